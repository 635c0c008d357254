// How a reload matches the running listeners with the file's: by type, host and port, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenerChanges } from '../../../src/reload/listeners.js';
import type { ListenerConfig, RunningListener } from '../../../src/internal.js';

function running(config: ListenerConfig): RunningListener {
  return { config, listener: { start: async () => ({ type: config.type, host: config.host, port: config.port }), stop: async () => undefined }, address: { type: config.type, host: config.host, port: config.port }, issued: new Set([config]) };
}

test('listener changes - unchanged, added, removed, restarted, and updated when only authentication or allow_anonymous differ', () => {
  const tcp: ListenerConfig = { type: 'tcp', host: '::', port: 1883 };
  const ws: ListenerConfig = { type: 'ws', host: '::', port: 8083, path: '/mqtt' };
  const tls: ListenerConfig = { type: 'tls', host: '::', port: 8883, certFile: 'a.pem', keyFile: 'a.key' };
  const anyPort: ListenerConfig = { type: 'tcp', host: '127.0.0.1', port: 0 };
  const current = [running(tcp), running(ws), running(tls), running(anyPort)];
  const changes = listenerChanges(current, [
    { ...tcp },
    { ...ws, path: '/other' },
    { ...anyPort, allowAnonymous: false, authentication: [{ type: 'builtin' }] },
    { type: 'tcp', host: '127.0.0.1', port: 0 },
  ]);
  assert.deepEqual(changes.removed.map((entry) => entry.config), [tls]);
  assert.deepEqual(changes.restarted.map((entry) => entry.next), [{ ...ws, path: '/other' }]);
  assert.deepEqual(changes.updated.map((entry) => [entry.running.config, entry.next.allowAnonymous]), [[anyPort, false]]);
  // Two alike (port 0): the first running one is matched with the first in the file, the second is new.
  assert.deepEqual(changes.added, [{ type: 'tcp', host: '127.0.0.1', port: 0 }]);
});
