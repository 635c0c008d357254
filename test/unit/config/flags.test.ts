// Command-line flag parsing for `starling start`: valued flags, optional boolean values, usage errors.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlags, UsageError } from '../../../src/internal.js';
import { startFlags } from '../../../src/internal.js';

test('valued flags take the next argument or an =value', () => {
  const { flags, positionals } = parseFlags(['--port', '0', '--host=127.0.0.1', '--max-packet-size', '2048'], startFlags);
  assert.deepEqual(flags, { port: '0', host: '127.0.0.1', 'max-packet-size': '2048' });
  assert.deepEqual(positionals, []);
});

test('a boolean flag alone is true and accepts an explicit true or false', () => {
  assert.deepEqual(parseFlags(['--log-pretty'], startFlags).flags, { 'log-pretty': true });
  assert.deepEqual(parseFlags(['--log-pretty', 'false', '--port', '1'], startFlags).flags, {
    'log-pretty': 'false',
    port: '1',
  });
  assert.deepEqual(parseFlags(['--no-retain-available'], startFlags).flags, { 'retain-available': false });
});

test('a boolean flag does not swallow a following positional', () => {
  const parsed = parseFlags(['--log-pretty', 'extra'], startFlags);
  assert.deepEqual(parsed.flags, { 'log-pretty': true });
  assert.deepEqual(parsed.positionals, ['extra']);
});

test('an unknown flag is a usage error with a suggestion', () => {
  assert.throws(() => parseFlags(['--prot', '1'], startFlags), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.equal(error.message, 'unknown flag --prot (did you mean --port?)');
    return true;
  });
});

test('a valued flag at the end without a value is a usage error', () => {
  assert.throws(() => parseFlags(['--config'], startFlags), UsageError);
});

test('-h is --help', () => {
  assert.deepEqual(parseFlags(['-h'], startFlags).flags, { help: true });
});
