// A plain TCP listener's connections are RawTcpSockets (src/transport/raw-tcp-socket.ts): libuv's handle
// without a net.Socket. What a net.Socket did for the broker must still happen: writes the kernel cannot
// take wait and leave in order, with 'drain'; the peer's FIN ends our side after what was written; a reset
// closes the connection; the peer's address is known; the listener's max_connections holds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { RawTcpSocket } from '../../src/transport/raw-tcp-socket.js';
import type { ClientConnectedEvent } from '../../src/index.js';
import type { StarlingBroker } from '../../src/instance.js';
import { startTransportBroker, type TransportBroker } from './transport-broker.js';

const CONNECT = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'half-closer', clean: true, keepalive: 60 }, { protocolVersion: 4 });

function linksOf(server: TransportBroker): Array<{ socket: unknown; channel: { clientId?: string } }> {
  return [...(server.broker as unknown as StarlingBroker).channels.all()] as unknown as Array<{ socket: unknown; channel: { clientId?: string } }>;
}

function socketsOf(server: TransportBroker): unknown[] {
  return linksOf(server).map((link) => link.socket);
}

/** Opens a plain socket and collects what it receives until the broker closes it. */
function openSocket(port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received }));
    socket.once('error', reject);
  });
}

describe('raw TCP sockets', () => {
  let server: TransportBroker;
  const clients: RawClient[] = [];

  before(async () => {
    server = await startTransportBroker([{ type: 'tcp' }, { type: 'tcp', proxyProtocol: true }, { type: 'tcp', maxConnections: 2 }], { allowAnonymous: true });
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await server.close();
  });

  async function connected(clientId: string, port = server.ports[0]!): Promise<RawClient> {
    const { client } = await RawClient.connect(port, { protocolVersion: 4, clientId });
    clients.push(client);
    return client;
  }

  test('a plain listener hands the broker RawTcpSockets; a PROXY-protocol listener net.Sockets', async () => {
    const plain = await connected('kind-plain');
    const proxied = await RawClient.open(server.ports[1]!, 4);
    clients.push(proxied);
    proxied.write(Buffer.from('PROXY TCP4 203.0.113.1 127.0.0.1 51000 1883\r\n'));
    await proxied.connect({ clientId: 'kind-proxied' });
    const kinds = socketsOf(server).map((socket) => (socket instanceof RawTcpSocket ? 'raw' : 'net'));
    assert.deepEqual(kinds.sort(), ['net', 'raw']);
    plain.destroy();
    proxied.destroy();
  });

  test('writes the kernel cannot take wait, count in writableLength, leave in order, and their end is signalled (drain)', async () => {
    const subscriber = await connected('backlog-subscriber');
    subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'backlog/t', qos: 1 }] });
    await subscriber.expect('suback');
    subscriber.socket.pause();
    const publisher = await connected('backlog-publisher');
    // 64 messages of 512 KB: the first few fill the loopback socket buffers and the broker's 1 MB
    // outgoing cap; the rest wait in the session.
    const payload = Buffer.alloc(512 * 1024, 0x61);
    const count = 64;
    for (let index = 0; index < count; index++) {
      publisher.send({ cmd: 'publish', topic: 'backlog/t', payload: Buffer.concat([Buffer.from(`${index}:`), payload]), qos: 1, messageId: index + 1, retain: false, dup: false });
      await publisher.expect('puback');
    }
    const raw = socketsOf(server).find((socket): socket is RawTcpSocket => socket instanceof RawTcpSocket && socket.writableLength > 0);
    assert.ok(raw !== undefined, 'no socket had writes waiting for the kernel');

    // Read without acknowledging: only the end of the waiting writes ('drain') lets the session send
    // more, up to max_inflight (32) unacknowledged messages.
    const order: number[] = [];
    const messageIds: number[] = [];
    subscriber.onPacket((packet) => {
      if (packet.cmd !== 'publish') return;
      order.push(Number(String((packet.payload as Buffer).subarray(0, 8)).split(':')[0]));
      messageIds.push(packet.messageId!);
    });
    subscriber.socket.resume();
    await waitFor(() => order.length === 32, `32 messages before any acknowledgement (got ${order.length})`);
    for (const messageId of messageIds) subscriber.send({ cmd: 'puback', messageId });
    await waitFor(() => order.length === count, `all ${count} messages (got ${order.length})`);
    assert.deepEqual(order, Array.from({ length: count }, (_, index) => index));
    assert.equal(raw.writableLength, 0);
  });

  test('a peer that sends CONNECT and its FIN at once gets its CONNACK, then the broker closes', async () => {
    const { socket, received } = await openSocket(server.ports[0]!);
    const closed = nextEvent(socket, 'close', 5000);
    socket.end(CONNECT);
    await closed;
    const bytes = Buffer.concat(received);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x20, 0x02, 0x00, 0x00]);
  });

  test('a reset connection is closed: its will is published', async () => {
    const watcher = await connected('reset-watcher');
    watcher.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'reset/will', qos: 0 }] });
    await watcher.expect('suback');
    const { client: doomed } = await RawClient.connect(server.ports[0]!, {
      protocolVersion: 4,
      clientId: 'reset-doomed',
      will: { topic: 'reset/will', payload: Buffer.from('gone'), qos: 0, retain: false },
    });
    (doomed.socket as Socket).resetAndDestroy();
    const will = await watcher.expect('publish');
    assert.equal(String(will.payload), 'gone');
  });

  test('the peer address is read from the handle', async () => {
    const seen = new Promise<ClientConnectedEvent>((resolve) => server.broker.once('client.connected', resolve));
    await connected('address-reader');
    const { client } = await seen;
    assert.equal(client.peer.address, '127.0.0.1');
    assert.ok(client.peer.port > 0);
  });

  test('the listener\'s max_connections: the connection over it is closed unanswered, and a place that frees up is reused', async () => {
    const port = server.ports[2]!;
    const first = await connected('max-1', port);
    await connected('max-2', port);
    const over = await RawClient.open(port, 4);
    clients.push(over);
    over.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'max-3', clean: true, keepalive: 60 });
    await over.closed(5000);
    assert.equal(over.pending('connack').length, 0);
    await first.disconnect();
    await waitFor(() => !linksOf(server).some((link) => link.channel.clientId === 'max-1'), 'the first connection to close');
    await connected('max-4', port);
  });
});
