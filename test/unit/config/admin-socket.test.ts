// The admin_socket key: a path, or false / 'false' / '' to turn the admin endpoint off, from every
// config source; and where `starling start` and `starling ctl` put the socket when it is unset.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { configuredSocketPath } from '../../../src/internal.js';
import { ConfigError } from '../../../src/internal.js';
import { resolveConfig, validateConfig } from '../../../src/internal.js';

test('admin_socket - a path, or off, from a file, STARLING_ADMIN_SOCKET, --admin-socket and library options', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'starling-admin-config-'));
  try {
    const yaml = join(directory, 'starling.yaml');
    await writeFile(yaml, 'admin_socket: /run/starling/admin.sock\n');
    assert.equal(resolveConfig({ file: yaml }).adminSocket, '/run/starling/admin.sock');
    await writeFile(yaml, 'admin_socket: false\n');
    assert.equal(resolveConfig({ file: yaml }).adminSocket, false);
    await writeFile(yaml, 'admin_socket: 42\n');
    assert.throws(() => resolveConfig({ file: yaml }), (error: unknown) => error instanceof ConfigError && /^admin_socket: expected a socket path, or false to turn the admin endpoint off, got 42/.test(error.message));
    assert.equal(resolveConfig({ env: { STARLING_ADMIN_SOCKET: 'false' } }).adminSocket, false);
    assert.equal(resolveConfig({ env: { STARLING_ADMIN_SOCKET: '' } }).adminSocket, false);
    assert.equal(resolveConfig({ flags: { 'admin-socket': '/tmp/a.sock' } }).adminSocket, '/tmp/a.sock');
    assert.equal(validateConfig({ adminSocket: false }, 'options').adminSocket, false);
    assert.throws(() => validateConfig({ adminSocket: true }, 'options'), /adminSocket: expected a socket path, or false/);
    assert.equal(resolveConfig().adminSocket, undefined);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('admin_socket - unset: <data_dir>/starling.sock for a broker with a data directory, none with durability memory', () => {
  assert.equal(configuredSocketPath({ dataDir: './data', durability: 'sync' }), resolve('data/starling.sock'));
  assert.equal(configuredSocketPath({ dataDir: '/var/lib/starling', durability: 'batched' }), '/var/lib/starling/starling.sock');
  assert.equal(configuredSocketPath({ dataDir: './data', durability: 'memory' }), undefined);
  assert.equal(configuredSocketPath({ dataDir: './data', durability: 'sync', adminSocket: false }), undefined);
  assert.equal(configuredSocketPath({ dataDir: './data', durability: 'memory', adminSocket: 'admin.sock' }), resolve('admin.sock'));
});
