// A connection flood: 1,000 TCP connections from 127.0.0.1 that never send CONNECT, against
// max_pending_connections_per_address and a 1-second connect timeout. The broker closes the excess
// at once and the rest at the timeout, while a connected MQTT.js client keeps publishing and
// receiving without losing a message; afterwards the address may connect again (no count leaked).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker } from '../helpers/broker.js';
import { ClientPool, record } from '../helpers/core-clients.js';
import { waitFor } from '../helpers/wait.js';

const FLOOD = 1000;
const MAX_PENDING = 100;
const BATCH = 100;

test('flood - 1,000 silent connections are shed (pending cap, connect timeout) while a normal client publishes and receives', { timeout: 30_000 }, async () => {
  const server = await startBroker({ maxPendingConnectionsPerAddress: MAX_PENDING, connectTimeout: 1 });
  const pool = new ClientPool(server.url);
  const sockets: net.Socket[] = [];
  const stats = server.broker.authorization!.stats;
  const started = Date.now();
  try {
    // The normal client connects first: once connected it no longer counts as pending.
    const client = await pool.connect({ protocolVersion: 5, clientId: 'normal' });
    const received = record(client);
    await client.subscribeAsync('flood/#', { qos: 1 });

    let closed = 0;
    let sent = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) await client.publishAsync('flood/normal', String(sent++), { qos: 1 });
    })();

    for (let opened = 0; opened < FLOOD; opened += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, () => {
          const socket = net.connect(server.port, '127.0.0.1');
          sockets.push(socket);
          socket.on('error', () => undefined); // ECONNRESET when the broker closes a refused socket
          socket.once('close', () => closed++);
          return new Promise<void>((resolve) => {
            socket.once('connect', () => resolve());
            socket.once('close', () => resolve());
          });
        }),
      );
    }
    const floodOpenedAt = Date.now();
    await waitFor(() => closed === FLOOD, `the broker to close all ${FLOOD} silent sockets (${closed} so far)`, 10_000);
    publishing = false;
    await publisher;

    // Refused at once by the cap; the admitted ones (at most MAX_PENDING at a time) by the connect timeout.
    assert.ok(stats.pendingRefused >= FLOOD - 3 * MAX_PENDING, `pendingRefused ${stats.pendingRefused}`);
    assert.ok(stats.pendingRefused < FLOOD, `pendingRefused ${stats.pendingRefused}`);
    // Every message the normal client published during the flood came back, in order.
    assert.ok(sent > 10, `only ${sent} messages published during the flood`);
    await waitFor(() => received.length === sent, `${sent} messages (${received.length} so far)`);
    assert.deepEqual(received.map((message) => Number(message.payload)), Array.from({ length: sent }, (_, index) => index));
    assert.equal(client.connected, true);
    // The pending count went back to zero: the same address connects again.
    await pool.connect({ protocolVersion: 5, clientId: 'after-flood' });
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await pool.closeAll();
    await server.close();
  }
});
