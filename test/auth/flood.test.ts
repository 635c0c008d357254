// A connection flood: 1,000 TCP connections from 127.0.0.1 that never send CONNECT, against
// max_pending_connections_per_address. At the cap the broker closes the address's oldest pending
// connection to make room for each new one, so a genuine MQTT.js client on the same address connects
// in the middle of the flood and keeps publishing and receiving without losing a message; the
// evictions are counted exactly and logged in a few summary lines, not one per socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker } from '../helpers/broker.js';
import { ClientPool, record } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';
import { capturingLogger } from './clients.js';

const FLOOD = 1000;
const MAX_PENDING = 100;
const BATCH = 100;

interface SilentSocket {
  socket: net.Socket;
  closed: boolean;
}

/** Opens `count` sockets that never send a byte; resolves once each is connected (or already closed). */
async function openSilent(port: number, count: number, into: SilentSocket[]): Promise<SilentSocket[]> {
  const batch = Array.from({ length: count }, () => {
    const entry: SilentSocket = { socket: net.connect(port, '127.0.0.1'), closed: false };
    entry.socket.on('error', () => undefined); // ECONNRESET when the broker closes it
    entry.socket.once('close', () => (entry.closed = true));
    into.push(entry);
    return entry;
  });
  await Promise.all(
    batch.map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          socket.once('connect', () => resolve());
          socket.once('close', () => resolve());
        }),
    ),
  );
  return batch;
}

test('flood - 1,000 silent connections from one address: the oldest are closed to make room, a client on that address connects mid-flood and keeps publishing', { timeout: 60_000 }, async () => {
  const { logger, lines } = capturingLogger();
  // A connect timeout longer than the test: every socket the broker closes here was evicted by the cap.
  const server = await startBroker({ maxPendingConnectionsPerAddress: MAX_PENDING, connectTimeout: 120, logger });
  const pool = new ClientPool(server.url);
  const sockets: SilentSocket[] = [];
  const stats = server.broker.authorization!.stats;
  const started = Date.now();
  try {
    // First half of the flood: the address is at its cap from the 100th socket on.
    for (let opened = 0; opened < FLOOD / 2; opened += BATCH) await openSilent(server.port, BATCH, sockets);
    await waitFor(() => sockets.filter((entry) => entry.closed).length === FLOOD / 2 - MAX_PENDING, 'the first half evicted down to the cap');

    // A client on the same address, arriving while the cap is full (refused outright under a plain cap).
    const client = await pool.connect({ protocolVersion: 5, clientId: 'normal' });
    const received = record(client);
    await client.subscribeAsync('flood/#', { qos: 1 });
    let sent = 0;
    let publishing = true;
    const publisher = (async () => {
      while (publishing) await client.publishAsync('flood/normal', String(sent++), { qos: 1 });
    })();

    // Second half while the client publishes.
    const sentBeforeSecondHalf = sent;
    let lastBatch: SilentSocket[] = [];
    for (let opened = 0; opened < FLOOD / 2; opened += BATCH) lastBatch = await openSilent(server.port, BATCH, sockets);
    await waitFor(() => sockets.filter((entry) => entry.closed).length === FLOOD - MAX_PENDING, `${FLOOD - MAX_PENDING} sockets closed`, 10_000);
    publishing = false;
    await publisher;

    // Exactly the excess was evicted, oldest first: the newest MAX_PENDING silent sockets are the ones still open.
    assert.equal(stats.pendingEvicted, FLOOD - MAX_PENDING);
    assert.equal(lastBatch.length, MAX_PENDING);
    assert.deepEqual(lastBatch.filter((entry) => entry.closed), []);
    // The client published during the second half and received every message, in order.
    assert.ok(sent > sentBeforeSecondHalf, 'no message published while the second half of the flood arrived');
    await waitFor(() => received.length === sent, `${sent} messages (${received.length} so far)`);
    assert.deepEqual(received.map((message) => Number(message.payload)), Array.from({ length: sent }, (_, index) => index));
    assert.equal(client.connected, true);
    // With the cap still full of silent sockets, another genuine client gets in too.
    await pool.connect({ protocolVersion: 4, clientId: 'after-flood' });
    assert.equal(stats.pendingEvicted, FLOOD - MAX_PENDING + 1);

    // Logged as summaries (at most one line a second), adding up to every eviction.
    await waitFor(() => sumEvicted(lines) === stats.pendingEvicted, 'the eviction log lines', 3000);
    const evictionLines = lines.filter((line) => typeof line['evicted'] === 'number');
    const seconds = Math.ceil((Date.now() - started) / 1000);
    assert.ok(evictionLines.length <= seconds + 1, `${evictionLines.length} log lines in ${seconds} s`);
    assert.deepEqual(Object.keys(evictionLines[0]!['addresses'] as object), ['127.0.0.1']);
  } finally {
    for (const { socket } of sockets) socket.destroy();
    await pool.closeAll();
    await server.close();
  }
});

function sumEvicted(lines: Array<Record<string, unknown>>): number {
  return lines.reduce((sum, line) => sum + (typeof line['evicted'] === 'number' ? line['evicted'] : 0), 0);
}
