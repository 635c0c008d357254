// TCP connections read into one buffer shared by every socket (src/transport/shared-read-buffer.ts):
// what each read delivers must be a copy, whole packets must survive being cut at any byte or across
// reads larger than the shared buffer, and bytes kept by the broker (a retained message) must not be
// overwritten by other clients' later reads. Both kinds of plain TCP socket read that way: the
// RawTcpSockets of a plain listener, and the net.Sockets of a PROXY-protocol listener.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqttPacket from 'mqtt-packet';
import { RawClient } from '../helpers/raw-client.js';
import { sharedReadsSupported } from '../../src/transport/shared-read-buffer.js';
import { startTransportBroker, type TransportBroker } from './transport-broker.js';

function encode(packet: mqttPacket.Packet): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: 4 });
}

const PROXY_HEADER = Buffer.from('PROXY TCP4 203.0.113.1 127.0.0.1 51000 1883\r\n');

for (const proxied of [false, true]) {
  const kind = proxied ? 'net.Sockets behind the PROXY protocol' : 'raw TCP sockets';
describe(`reads into the shared buffer, ${kind}`, () => {
  let server: TransportBroker;
  const clients: RawClient[] = [];

  before(async () => {
    server = await startTransportBroker([{ type: 'tcp', proxyProtocol: proxied }], { allowAnonymous: true });
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await server.close();
  });

  async function connected(clientId: string): Promise<RawClient> {
    const client = await opened();
    await client.connect({ clientId });
    return client;
  }

  /** A socket to the listener, past its PROXY header when it wants one. */
  async function opened(): Promise<RawClient> {
    const client = await RawClient.open(server.ports[0]!, 4);
    clients.push(client);
    if (proxied) client.write(PROXY_HEADER);
    return client;
  }

  test('this Node.js version lets accepted sockets use it (the p99 latency fix depends on it)', () => {
    assert.equal(sharedReadsSupported, true);
  });

  test('packets sent one byte per write arrive whole', async () => {
    const subscriber = await connected('bytewise-subscriber');
    subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bytewise/#', qos: 1 }] });
    await subscriber.expect('suback');

    const publisher = await opened();
    const bytes = Buffer.concat([
      encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'bytewise-publisher', clean: true, keepalive: 60 }),
      encode({ cmd: 'publish', topic: 'bytewise/a', payload: Buffer.from('first'), qos: 1, messageId: 7, retain: false, dup: false }),
      encode({ cmd: 'publish', topic: 'bytewise/b', payload: Buffer.from('second'), qos: 0, retain: false, dup: false }),
    ]);
    for (const byte of bytes) {
      publisher.write([byte]);
      // One write per turn, so that each byte is its own read.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await publisher.expect('connack');
    assert.equal((await publisher.expect('puback')).messageId, 7);
    const first = await subscriber.expect('publish');
    const second = await subscriber.expect('publish');
    assert.deepEqual([first.topic, first.payload.toString()], ['bytewise/a', 'first']);
    assert.deepEqual([second.topic, second.payload.toString()], ['bytewise/b', 'second']);
  });

  test('a payload larger than the shared buffer, among many small packets in one write, arrives intact', async () => {
    const subscriber = await connected('large-subscriber');
    subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'large/#', qos: 0 }] });
    await subscriber.expect('suback');
    const publisher = await connected('large-publisher');

    const large = randomBytes(300 * 1024);
    const small = Array.from({ length: 200 }, (_, index) => Buffer.from(`small ${index}`));
    publisher.write(
      Buffer.concat([
        ...small.slice(0, 100).map((payload) => encode({ cmd: 'publish', topic: 'large/small', payload, qos: 0, retain: false, dup: false })),
        encode({ cmd: 'publish', topic: 'large/big', payload: large, qos: 0, retain: false, dup: false }),
        ...small.slice(100).map((payload) => encode({ cmd: 'publish', topic: 'large/small', payload, qos: 0, retain: false, dup: false })),
      ]),
    );
    const received: Buffer[] = [];
    for (let index = 0; index < 201; index++) received.push((await subscriber.expect('publish')).payload as Buffer);
    assert.deepEqual(received.slice(0, 100), small.slice(0, 100));
    assert.ok(received[100]!.equals(large), 'the large payload differs from what was sent');
    assert.deepEqual(received.slice(101), small.slice(100));
  });

  test('a retained payload is not overwritten by other clients\' later reads', async () => {
    const publisher = await connected('retain-publisher');
    const kept = randomBytes(1000);
    publisher.send({ cmd: 'publish', topic: 'kept/one', payload: kept, qos: 1, messageId: 1, retain: true, dup: false });
    await publisher.expect('puback');

    // Other sockets' reads now fill the shared buffer with other bytes.
    const noisy = await connected('retain-noise');
    for (let index = 0; index < 50; index++) {
      noisy.send({ cmd: 'publish', topic: 'noise', payload: Buffer.alloc(4000, index), qos: 1, messageId: index + 1, retain: false, dup: false });
      await noisy.expect('puback');
    }

    const late = await connected('retain-late');
    late.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'kept/#', qos: 0 }] });
    const retained = await late.receive('publish');
    assert.ok((retained.payload as Buffer).equals(kept), 'the retained payload changed after other reads');
  });
});
}
