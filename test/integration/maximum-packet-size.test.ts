import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

describe('maximum packet size', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ maxPacketSize: 1024 });
  });
  after(async () => {
    await server.close();
  });

  const bigPublish = (protocolVersion: 4 | 5): mqtt.IPublishPacket => ({
    cmd: 'publish',
    topic: `mps/big/${protocolVersion}`,
    payload: Buffer.alloc(2000, 0x61),
    qos: 0,
    retain: false,
    dup: false,
  });

  test('maximum packet size - CONNACK announces the broker maximum', async () => {
    const { client, connack } = await RawClient.connect(server.port, { clientId: 'mps-connack' });
    try {
      assert.equal(connack.properties?.maximumPacketSize, 1024);
    } finally {
      client.destroy();
    }
  });

  test('maximum packet size - a PUBLISH over the broker maximum gets DISCONNECT 0x95 (MQTT 5)', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'mps-big-5' });
    const other = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'mps-bystander-5' });
    try {
      client.send(bigPublish(5));
      const disconnect = await client.expect('disconnect');
      assert.equal(disconnect.reasonCode, 0x95);
      await client.closed();
      // Another client is unaffected.
      await other.subscribeAsync('mps/after', { qos: 1 });
      const received = nextEvent<[string, Buffer]>(other, 'message');
      await other.publishAsync('mps/after', 'fine', { qos: 1 });
      assert.equal((await received)[1].toString(), 'fine');
    } finally {
      client.destroy();
      await other.endAsync();
    }
  });

  test('maximum packet size - a PUBLISH over the broker maximum closes an MQTT 3.1.1 connection', async () => {
    const { client, connack } = await RawClient.connect(server.port, { clientId: 'mps-big-4', protocolVersion: 4 });
    assert.equal(connack.returnCode, 0);
    client.send(bigPublish(4));
    await client.closed();
  });

  test('maximum packet size - a message larger than the subscriber maximum is not sent to it, a later small one is [MQTT-3.1.2-25]', async () => {
    const { client: subscriber } = await RawClient.connect(server.port, { clientId: 'mps-small-sub', properties: { maximumPacketSize: 100 } });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'mps-small-pub' });
    try {
      subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'mps/sub', qos: 1 }] });
      await subscriber.expect('suback');
      const droppedBefore = server.broker.counters.droppedTooLarge;
      await publisher.publishAsync('mps/sub', Buffer.alloc(500, 0x62), { qos: 1 });
      await publisher.publishAsync('mps/sub', 'small', { qos: 1 });
      // The small message is the marker: the large one, routed first, never came before it.
      const publish = await subscriber.expect('publish');
      assert.equal(String(publish.payload), 'small');
      assert.equal(server.broker.counters.droppedTooLarge, droppedBefore + 1);
      // Nor is the large one retried later (it was dropped, not left in flight): the next packet is a PINGRESP.
      subscriber.send({ cmd: 'puback', messageId: publish.messageId! });
      subscriber.send({ cmd: 'pingreq' });
      await subscriber.expect('pingresp');
    } finally {
      subscriber.destroy();
      await publisher.endAsync();
    }
  });

  test('maximum packet size - a QoS 0 message over the subscriber maximum is dropped too, the connection stays', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'mps-js-sub', properties: { maximumPacketSize: 100 } });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'mps-js-pub' });
    try {
      const got: string[] = [];
      subscriber.on('message', (_topic, payload) => got.push(payload.length > 20 ? `big:${payload.length}` : payload.toString()));
      await subscriber.subscribeAsync('mps/js', { qos: 0 });
      await publisher.publishAsync('mps/js', Buffer.alloc(500, 0x62), { qos: 0 });
      await publisher.publishAsync('mps/js', 'small', { qos: 0 });
      await waitFor(() => got.length >= 1, 'the small message');
      assert.deepEqual(got, ['small']);
      assert.equal(subscriber.connected, true);
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });
});
