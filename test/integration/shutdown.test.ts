// Graceful shutdown: close() stops accepting, tells MQTT 5 clients why (DISCONNECT 0x8B), closes
// every connection and resolves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { ClientPool } from '../helpers/client-pool.js';
import { nextEvent } from '../helpers/wait.js';

test('shutdown - close() sends MQTT 5 clients DISCONNECT 0x8B, closes MQTT 3.1.1 clients and resolves', async () => {
  const server = await startBroker();
  const pool = new ClientPool(server.url);
  try {
    const v5 = await pool.connect({ protocolVersion: 5, clientId: 'shutdown-v5' });
    const v4 = await pool.connect({ protocolVersion: 4, clientId: 'shutdown-v4' });
    const wire = await pool.raw(server.port, 4);
    await wire.connect({ clientId: 'shutdown-wire-v4' });
    const disconnect = nextEvent<[mqtt.IDisconnectPacket]>(v5, 'disconnect');
    const v5Closed = nextEvent(v5, 'close');
    const v4Closed = nextEvent(v4, 'close');

    await server.close();

    assert.equal((await disconnect)[0].reasonCode, 0x8b);
    await Promise.all([v5Closed, v4Closed, wire.closed()]);
    assert.equal(wire.pending('disconnect').length, 0, 'MQTT 3.1.1 has no DISCONNECT from the server');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port: server.port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    assert.equal(refused, true, 'the listener no longer accepts connections');
  } finally {
    await pool.closeAll();
    await server.close();
  }
});

test('shutdown - close() resolves with no client connected, and twice', async () => {
  const server = await startBroker();
  await server.close();
  await server.broker.close();
  assert.equal(server.broker.registry.connectedCount, 0);
});
