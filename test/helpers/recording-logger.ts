// A pino logger writing its JSON lines into an array, for tests that check what was logged.

import { Writable } from 'node:stream';
import { createLogger } from '../../src/internal.js';

export function recordingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ logLevel: 'info', logPretty: false }, destination), lines };
}
