// createLogger: JSON lines by default, pino-pretty text when logPretty, the configured level honoured.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../../src/internal.js';

/** A destination that records every write as it happens. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('logs are JSON lines by default', () => {
  const output = capture();
  const logger = createLogger({ logLevel: 'info', logPretty: false }, output.stream);
  logger.info({ type: 'tcp', host: '127.0.0.1', port: 1883 }, 'listening');
  const lines = output.text().trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(record['msg'], 'listening');
  assert.equal(record['port'], 1883);
  assert.equal(record['level'], 30);
});

test('logPretty writes readable text synchronously, not JSON', () => {
  const output = capture();
  const logger = createLogger({ logLevel: 'info', logPretty: true }, output.stream);
  logger.info({ port: 1883 }, 'listening');
  const text = output.text();
  assert.match(text, /INFO.*listening/);
  assert.match(text, /port: 1883/);
  assert.throws(() => JSON.parse(text));
});

test('messages below the configured level are dropped', () => {
  const output = capture();
  const logger = createLogger({ logLevel: 'warn', logPretty: false }, output.stream);
  logger.info('not shown');
  logger.warn('shown');
  assert.doesNotMatch(output.text(), /not shown/);
  assert.match(output.text(), /"msg":"shown"/);
});
