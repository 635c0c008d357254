import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

/** A short round trip on an unrelated client: the broker is alive and serving. */
async function stillServes(client: RawClient, topic: string): Promise<void> {
  client.send({ cmd: 'publish', topic, payload: Buffer.from('ok'), qos: 1, messageId: 77, retain: false, dup: false });
  const ack = await client.expect('puback');
  assert.equal(ack.messageId, 77);
}

describe('limits', () => {
  test('limits - maxConnections: the connection over the limit gets CONNACK 0x97 (MQTT 5) or 3 (MQTT 3.1.1), the others keep working', async () => {
    const server = await startBroker({ maxConnections: 2 });
    const { client: first } = await RawClient.connect(server.port, { clientId: 'max-conn-1' });
    const { client: second } = await RawClient.connect(server.port, { clientId: 'max-conn-2' });
    try {
      const { client: refused5, connack: connack5 } = await RawClient.connect(server.port, { clientId: 'max-conn-3' });
      assert.equal(connack5.reasonCode, 0x97);
      await refused5.closed();
      const { client: refused4, connack: connack4 } = await RawClient.connect(server.port, { clientId: 'max-conn-4', protocolVersion: 4 });
      assert.equal(connack4.returnCode, 3);
      await refused4.closed();
      await stillServes(first, 'limits/conn');
      // A connection that leaves makes room.
      second.send({ cmd: 'disconnect' });
      await second.closed();
      await waitFor(() => server.broker.registry.connectedCount === 1, 'the second client gone');
      const { client: third, connack } = await RawClient.connect(server.port, { clientId: 'max-conn-5' });
      assert.equal(connack.reasonCode, 0);
      third.destroy();
    } finally {
      first.destroy();
      second.destroy();
      await server.close();
    }
  });

  test('limits - maxConnections: a client taking over its own session at the limit is accepted [MQTT-3.1.4-3]', async () => {
    const server = await startBroker({ maxConnections: 1 });
    const { client: old } = await RawClient.connect(server.port, { clientId: 'max-conn-takeover' });
    try {
      const { client: renewed, connack } = await RawClient.connect(server.port, { clientId: 'max-conn-takeover' });
      assert.equal(connack.reasonCode, 0);
      assert.equal((await old.expect('disconnect')).reasonCode, 0x8e);
      renewed.destroy();
    } finally {
      old.destroy();
      await server.close();
    }
  });

  describe('maxTopicLevels: 3', () => {
    let server: TestBroker;
    before(async () => {
      server = await startBroker({ maxTopicLevels: 3 });
    });
    after(async () => {
      await server.close();
    });

    test('limits - a PUBLISH to a topic with more levels gets DISCONNECT 0x90; another client keeps working', async () => {
      const { client: bystander } = await RawClient.connect(server.port, { clientId: 'levels-bystander' });
      const { client } = await RawClient.connect(server.port, { clientId: 'levels-publisher' });
      try {
        client.send({ cmd: 'publish', topic: 'a/b/c/d', payload: Buffer.from('x'), qos: 1, messageId: 1, retain: false, dup: false });
        assert.equal((await client.expect('disconnect')).reasonCode, 0x90);
        await client.closed();
        await stillServes(bystander, 'a/b/c');
      } finally {
        bystander.destroy();
      }
    });

    test('limits - a SUBSCRIBE to a filter with more levels gets 0x8F for that filter only', async () => {
      const { client } = await RawClient.connect(server.port, { clientId: 'levels-subscriber' });
      try {
        client.send({ cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'a/b/c/d', qos: 1 }, { topic: 'a/b/+', qos: 1 }, { topic: 'a/b/c/#', qos: 0 }] });
        const suback = await client.expect('suback');
        assert.deepEqual(suback.granted, [0x8f, 1, 0x8f]);
      } finally {
        client.destroy();
      }
    });

    test('limits - MQTT 3.1.1: over-deep SUBSCRIBE gets 0x80 and an over-deep PUBLISH closes the connection', async () => {
      const { client } = await RawClient.connect(server.port, { clientId: 'levels-v4', protocolVersion: 4 });
      client.send({ cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'a/b/c/d', qos: 1 }] });
      assert.deepEqual((await client.expect('suback')).granted, [0x80]);
      client.send({ cmd: 'publish', topic: 'a/b/c/d', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
      await client.closed();
    });
  });

  test('limits - maxQueuedMessages: an offline session keeps that many QoS 1 messages, the rest are dropped and counted', async () => {
    const server = await startBroker({ maxQueuedMessages: 3 });
    try {
      const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'queue-sub', properties: { sessionExpiryInterval: 300 } });
      await subscriber.subscribeAsync('limits/queue', { qos: 1 });
      await subscriber.endAsync();
      const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'queue-pub' });
      for (let i = 1; i <= 5; i++) await publisher.publishAsync('limits/queue', `m${i}`, { qos: 1 });
      await publisher.endAsync();
      assert.equal(server.broker.counters.droppedQueueFull, 2);

      const { client, connack } = await RawClient.connect(server.port, { clientId: 'queue-sub', clean: false, properties: { sessionExpiryInterval: 300 } });
      assert.equal(connack.sessionPresent, true);
      const payloads: string[] = [];
      for (let i = 0; i < 3; i++) {
        const publish = await client.expect('publish');
        payloads.push(String(publish.payload));
        client.send({ cmd: 'puback', messageId: publish.messageId! });
      }
      // Nothing more was queued: the next packet is the answer to a PINGREQ.
      client.send({ cmd: 'pingreq' });
      await client.expect('pingresp');
      assert.deepEqual(payloads, ['m1', 'm2', 'm3']);
      client.destroy();
    } finally {
      await server.close();
    }
  });

  describe('outbound inflight window', () => {
    let server: TestBroker;
    before(async () => {
      server = await startBroker({ maxInflight: 2 });
    });
    after(async () => {
      await server.close();
    });

    async function inflightWindow(clientId: string, receiveMaximum: number | undefined, expected: number): Promise<void> {
      const properties = receiveMaximum === undefined ? undefined : { receiveMaximum };
      const { client } = await RawClient.connect(server.port, { clientId, properties });
      const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: `${clientId}-pub` });
      try {
        client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `inflight/${clientId}`, qos: 1 }] });
        await client.expect('suback');
        for (let i = 1; i <= 5; i++) await publisher.publishAsync(`inflight/${clientId}`, `m${i}`, { qos: 1 });
        const first: mqtt.IPublishPacket[] = [];
        for (let i = 0; i < expected; i++) first.push(await client.expect('publish'));
        // The window is full: a PINGRESP comes before any further PUBLISH.
        client.send({ cmd: 'pingreq' });
        await client.expect('pingresp');
        const rest: string[] = [];
        for (const publish of first) client.send({ cmd: 'puback', messageId: publish.messageId! });
        while (rest.length < 5 - expected) {
          const publish = await client.expect('publish');
          rest.push(String(publish.payload));
          client.send({ cmd: 'puback', messageId: publish.messageId! });
        }
        assert.deepEqual([...first.map((p) => String(p.payload)), ...rest], ['m1', 'm2', 'm3', 'm4', 'm5']);
      } finally {
        client.destroy();
        await publisher.endAsync();
      }
    }

    test('limits - maxInflight caps unacknowledged QoS 1 deliveries; acks release the rest in order', async () => {
      await inflightWindow('window-broker', undefined, 2);
    });

    test('limits - the client Receive Maximum caps them further [MQTT-3.3.4-9]', async () => {
      await inflightWindow('window-client', 1, 1);
    });
  });

  test('limits - maxKeepAlive: a larger keep-alive is answered with Server Keep Alive [MQTT-3.2.2-21]', async () => {
    const server = await startBroker({ maxKeepAlive: 10 });
    try {
      const { client, connack } = await RawClient.connect(server.port, { clientId: 'keepalive-cap', keepalive: 60 });
      assert.equal(connack.properties?.serverKeepAlive, 10);
      client.destroy();
      const { client: within, connack: withinConnack } = await RawClient.connect(server.port, { clientId: 'keepalive-within', keepalive: 5 });
      assert.equal(withinConnack.properties?.serverKeepAlive, undefined);
      within.destroy();
    } finally {
      await server.close();
    }
  });

  test('limits - maxSessionExpiryInterval: a longer request is granted the maximum and CONNACK says so', async () => {
    const server = await startBroker({ maxSessionExpiryInterval: 100 });
    try {
      const { client, connack } = await RawClient.connect(server.port, { clientId: 'expiry-cap', properties: { sessionExpiryInterval: 1000 } });
      assert.equal(connack.properties?.sessionExpiryInterval, 100);
      client.destroy();
    } finally {
      await server.close();
    }
  });

  test('limits - a publisher hitting limits does not stop a subscriber from receiving', async () => {
    const server = await startBroker({ maxTopicLevels: 2, maxPacketSize: 512 });
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'limits-sub' });
    try {
      await subscriber.subscribeAsync('ok/t', { qos: 1 });
      const { client: deep } = await RawClient.connect(server.port, { clientId: 'limits-deep' });
      deep.send({ cmd: 'publish', topic: 'a/b/c', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
      const { client: big } = await RawClient.connect(server.port, { clientId: 'limits-big' });
      big.send({ cmd: 'publish', topic: 'ok/t', payload: Buffer.alloc(1000), qos: 0, retain: false, dup: false });
      await Promise.all([deep.closed(), big.closed()]);
      const received = nextEvent<[string, Buffer]>(subscriber, 'message');
      const { client: fine } = await RawClient.connect(server.port, { clientId: 'limits-fine' });
      fine.send({ cmd: 'publish', topic: 'ok/t', payload: Buffer.from('after'), qos: 0, retain: false, dup: false });
      assert.equal((await received)[1].toString(), 'after');
      fine.destroy();
    } finally {
      await subscriber.endAsync();
      await server.close();
    }
  });
});
