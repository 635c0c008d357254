// GET /api/v5/listeners: the MQTT listeners as bound, with the connections each holds now.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startManagedBroker } from '../helpers/management.js';

test('api listeners - each MQTT listener with its bound address, ws path and current connections; a viewer may read them', async () => {
  const b = await startManagedBroker({
    listeners: [
      { type: 'tcp', host: '127.0.0.1', port: 0 },
      { type: 'ws', host: '127.0.0.1', port: 0, maxConnections: 10 },
      { type: 'tcp', host: '127.0.0.1', port: 0 },
    ],
  });
  const client = await mqtt.connectAsync(`ws://127.0.0.1:${b.addresses[1]!.port}/mqtt`, { clientId: 'over-ws', reconnectPeriod: 0 });
  try {
    const token = await b.adminToken('watcher', 'watch@1234', 'viewer');
    const answer = await b.call('GET', '/api/v5/listeners', { token });
    assert.equal(answer.status, 200);
    const rows = answer.body as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((row) => [row['id'], row['type'], row['bind'], row['path'], row['running'], row['max_connections'], row['current_connections']]),
      [
        ['tcp:default', 'tcp', `127.0.0.1:${b.addresses[0]!.port}`, undefined, true, 'infinity', 0],
        ['ws:default', 'ws', `127.0.0.1:${b.addresses[1]!.port}`, '/mqtt', true, 10, 1],
        ['tcp:1', 'tcp', `127.0.0.1:${b.addresses[2]!.port}`, undefined, true, 'infinity', 0],
      ],
    );
    assert.deepEqual(rows[1]!['status'], { running: true, current_connections: 1, max_connections: 10 });
    assert.equal((await b.call('GET', '/api/v5/listeners')).status, 401);
  } finally {
    await client.endAsync();
    await b.close();
  }
});
