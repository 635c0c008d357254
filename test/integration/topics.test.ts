// Topic filters: wildcards, $-topics, invalid filters, and overlapping subscriptions of one client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';

describe('topics', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  /** Publishes each topic at QoS 1 in order, then a marker; returns the topics received before the marker. */
  async function deliveredTopics(filter: string, topics: string[], marker: string, protocolVersion: 4 | 5 = 5): Promise<string[]> {
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion, clientId: `topics-sub-${filter}` });
      const received = record(subscriber);
      await subscriber.subscribeAsync(filter, { qos: 1 });
      const publisher = await pool.connect({ protocolVersion, clientId: `topics-pub-${filter}` });
      for (const topic of topics) await publisher.publishAsync(topic, 'x', { qos: 1 });
      await publisher.publishAsync(marker, 'marker', { qos: 1 });
      // Same publisher, same QoS, so in order: anything routed arrived before the marker.
      await messageOn(received, marker, 'marker');
      return received.filter((m) => m.payload !== 'marker').map((m) => m.topic);
    } finally {
      await pool.closeAll();
    }
  }

  test("topics - '+' matches exactly one level [MQTT-4.7.1-2]", async () => {
    const topics = await deliveredTopics('plus/+/c', ['plus/b/c', 'plus/b/d', 'plus/b/c/d', 'plus/c', 'plus//c'], 'plus/marker/c');
    assert.deepEqual(topics, ['plus/b/c', 'plus//c']);
  });

  test("topics - '#' matches any number of levels, the parent level included [MQTT-4.7.1-2]", async () => {
    const topics = await deliveredTopics('sport/#', ['sport', 'sport/tennis', 'sport/tennis/player1', 'sports', 'other/sport'], 'sport/marker');
    assert.deepEqual(topics, ['sport', 'sport/tennis', 'sport/tennis/player1']);
  });

  test("topics - '$SYS' topics are not matched by '#' or '+/...' but by '$SYS/#' [MQTT-4.7.2-1]", async () => {
    const pool = new ClientPool(server.url);
    try {
      const all = await pool.connect({ protocolVersion: 5, clientId: 'dollar-all' });
      const plus = await pool.connect({ protocolVersion: 5, clientId: 'dollar-plus' });
      const sys = await pool.connect({ protocolVersion: 5, clientId: 'dollar-sys' });
      const toAll = record(all);
      const toPlus = record(plus);
      const toSys = record(sys);
      await all.subscribeAsync('#', { qos: 0 });
      await plus.subscribeAsync('+/dollar-test/x', { qos: 0 });
      await sys.subscribeAsync('$SYS/#', { qos: 0 });
      server.broker.publish({ topic: '$SYS/dollar-test/x', payload: 'sys' });
      server.broker.publish({ topic: 'marker/dollar-test/x', payload: 'marker' });
      await messageOn(toAll, 'marker/dollar-test/x');
      await messageOn(toPlus, 'marker/dollar-test/x');
      await messageOn(toSys, '$SYS/dollar-test/x');
      assert.equal(toAll.filter((m) => m.topic.startsWith('$')).length, 0, "'#' got a $SYS message");
      assert.equal(toPlus.filter((m) => m.topic.startsWith('$')).length, 0, "'+/...' got a $SYS message");
    } finally {
      await pool.closeAll();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    const failure = protocolVersion === 5 ? 0x8f : 0x80;
    test(`topics - invalid filters get SUBACK ${failure === 0x8f ? '0x8F' : '0x80'}, valid ones in the same SUBSCRIBE are granted (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) [MQTT-4.7.1-1]`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId: `invalid-filter-${protocolVersion}` });
        wire.send({
          cmd: 'subscribe',
          messageId: 3,
          subscriptions: [
            { topic: 'a/#/b', qos: 1 },
            { topic: 'valid/+', qos: 1 },
            { topic: 'a+', qos: 0 },
            { topic: 'b/c#', qos: 0 },
          ],
        });
        const suback = await wire.receive('suback');
        assert.deepEqual(suback.granted, [failure, 1, failure, failure]);
        assert.equal(wire.isClosed, false);
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('topics - overlapping subscriptions give one copy at the highest QoS with every Subscription Identifier (MQTT 5)', async () => {
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'overlap-v5' });
      const received = record(subscriber);
      await subscriber.subscribeAsync('overlap5/#', { qos: 0, properties: { subscriptionIdentifier: 11 } });
      await subscriber.subscribeAsync('overlap5/+/x', { qos: 2, properties: { subscriptionIdentifier: 22 } });
      await subscriber.subscribeAsync('overlap5/a/x', { qos: 1 });
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'overlap-v5-pub' });
      await publisher.publishAsync('overlap5/a/x', 'once', { qos: 2 });
      await publisher.publishAsync('overlap5/a/x', 'marker', { qos: 2 });
      await messageOn(received, 'overlap5/a/x', 'marker');
      const copies = received.filter((m) => m.payload === 'once');
      assert.equal(copies.length, 1);
      assert.equal(copies[0]!.packet.qos, 2);
      const ids = copies[0]!.packet.properties?.subscriptionIdentifier;
      assert.deepEqual([ids].flat().sort((a, b) => a! - b!), [11, 22]);
    } finally {
      await pool.closeAll();
    }
  });

  test('topics - overlapping subscriptions give one copy at the highest QoS (MQTT 3.1.1)', async () => {
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 4, clientId: 'overlap-v4' });
      const received = record(subscriber);
      await subscriber.subscribeAsync({ 'overlap4/#': { qos: 1 }, 'overlap4/+': { qos: 0 } });
      const publisher = await pool.connect({ protocolVersion: 4, clientId: 'overlap-v4-pub' });
      await publisher.publishAsync('overlap4/a', 'once', { qos: 2 });
      await publisher.publishAsync('overlap4/a', 'marker', { qos: 2 });
      await messageOn(received, 'overlap4/a', 'marker');
      const copies = received.filter((m) => m.payload === 'once');
      assert.equal(copies.length, 1);
      assert.equal(copies[0]!.packet.qos, 1);
    } finally {
      await pool.closeAll();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`topics - after UNSUBSCRIBE nothing more arrives on that filter; UNSUBACK answers every filter (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) [MQTT-3.10.4-4]`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId: `unsubscribe-${protocolVersion}` });
        wire.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'unsub/a', qos: 0 }, { topic: 'unsub/b', qos: 0 }] });
        await wire.receive('suback');
        wire.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['unsub/a', 'unsub/never'] });
        const unsuback = await wire.receive('unsuback');
        assert.equal(unsuback.messageId, 2);
        if (protocolVersion === 5) assert.deepEqual(unsuback.granted, [0x00, 0x11]);
        server.broker.publish({ topic: 'unsub/a', payload: 'after unsubscribe' });
        server.broker.publish({ topic: 'unsub/b', payload: 'marker' });
        const publish = await wire.receive('publish');
        assert.equal(publish.topic, 'unsub/b', 'the first message after UNSUBACK is the marker');
      } finally {
        await pool.closeAll();
      }
    });
  }
});
