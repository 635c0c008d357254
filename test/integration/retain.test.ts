// Retained messages: stored, replaced, deleted, sent on subscribe with RETAIN 1; MQTT 5 Retain
// Handling and Retain As Published.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';

describe('retain', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  /** Subscribes a new client to `topic`, then publishes a non-retained marker; returns what arrived before it. */
  async function onSubscribe(pool: ClientPool, topic: string, protocolVersion: 4 | 5, clientId: string, marker = topic): Promise<Array<{ payload: string; retain: boolean }>> {
    const subscriber = await pool.connect({ protocolVersion, clientId });
    const received = record(subscriber);
    await subscriber.subscribeAsync(topic, { qos: 1 });
    await subscriber.publishAsync(marker, 'marker', { qos: 1 });
    await messageOn(received, marker, 'marker');
    return received.filter((m) => m.payload !== 'marker').map((m) => ({ payload: m.payload, retain: m.packet.retain }));
  }

  for (const protocolVersion of [4, 5] as const) {
    const v = protocolVersion === 5 ? '5' : '3.1.1';
    test(`retain - a retained message is stored and sent to new subscribers with RETAIN 1 (MQTT ${v}) [MQTT-3.3.1-5] [MQTT-3.3.1-8]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `retain/stored/${protocolVersion}`;
      try {
        const publisher = await pool.connect({ protocolVersion, clientId: `retain-pub-${protocolVersion}` });
        await publisher.publishAsync(topic, 'kept', { qos: 1, retain: true });
        assert.deepEqual(await onSubscribe(pool, topic, protocolVersion, `retain-sub-${protocolVersion}`), [{ payload: 'kept', retain: true }]);
      } finally {
        await pool.closeAll();
      }
    });

    test(`retain - a new retained message replaces the old one and an empty one deletes it (MQTT ${v}) [MQTT-3.3.1-5] [MQTT-3.3.1-6]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `retain/replaced/${protocolVersion}`;
      try {
        const publisher = await pool.connect({ protocolVersion, clientId: `replace-pub-${protocolVersion}` });
        await publisher.publishAsync(topic, 'first', { qos: 1, retain: true });
        await publisher.publishAsync(topic, 'second', { qos: 1, retain: true });
        assert.deepEqual(await onSubscribe(pool, topic, protocolVersion, `replace-sub1-${protocolVersion}`), [{ payload: 'second', retain: true }]);
        await publisher.publishAsync(topic, '', { qos: 1, retain: true });
        assert.deepEqual(await onSubscribe(pool, topic, protocolVersion, `replace-sub2-${protocolVersion}`), []);
        assert.equal(server.broker.core.retained.get(topic), undefined);
      } finally {
        await pool.closeAll();
      }
    });

    test(`retain - a retained message forwarded to an existing subscriber has RETAIN 0 (MQTT ${v}) [MQTT-3.3.1-12]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `retain/live/${protocolVersion}`;
      try {
        const subscriber = await pool.connect({ protocolVersion, clientId: `live-sub-${protocolVersion}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(topic, { qos: 1 });
        const publisher = await pool.connect({ protocolVersion, clientId: `live-pub-${protocolVersion}` });
        await publisher.publishAsync(topic, 'live', { qos: 1, retain: true });
        assert.equal((await messageOn(received, topic, 'live')).packet.retain, false);
        await publisher.publishAsync(topic, '', { qos: 1, retain: true });
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('retain - a wildcard subscription receives every matching retained message', async () => {
    const pool = new ClientPool(server.url);
    try {
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'wild-retain-pub' });
      await publisher.publishAsync('retain/wild/a', 'a', { qos: 1, retain: true });
      await publisher.publishAsync('retain/wild/b/c', 'b/c', { qos: 1, retain: true });
      await publisher.publishAsync('retain/other', 'other', { qos: 1, retain: true });
      const got = await onSubscribe(pool, 'retain/wild/#', 5, 'wild-retain-sub', 'retain/wild/marker');
      assert.deepEqual(got.map((m) => m.payload).sort(), ['a', 'b/c']);
      assert.ok(got.every((m) => m.retain));
    } finally {
      await pool.closeAll();
    }
  });

  for (const [retainHandling, expected, id] of [
    [0, 2, 'MQTT-3.3.1-9'],
    [1, 1, 'MQTT-3.3.1-10'],
    [2, 0, 'MQTT-3.3.1-11'],
  ] as const) {
    test(`retain - Retain Handling ${retainHandling}: subscribing twice delivers the retained message ${expected} time(s) [${id}]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `retain/handling/${retainHandling}`;
      try {
        const publisher = await pool.connect({ protocolVersion: 5, clientId: `rh-pub-${retainHandling}` });
        await publisher.publishAsync(topic, 'retained', { qos: 1, retain: true });
        const subscriber = await pool.connect({ protocolVersion: 5, clientId: `rh-sub-${retainHandling}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(topic, { qos: 1, rh: retainHandling });
        await subscriber.subscribeAsync(topic, { qos: 1, rh: retainHandling });
        await publisher.publishAsync(topic, 'marker', { qos: 1 });
        await messageOn(received, topic, 'marker');
        assert.equal(received.filter((m) => m.payload === 'retained').length, expected);
      } finally {
        await pool.closeAll();
      }
    });
  }

  for (const [retainAsPublished, id] of [[true, 'MQTT-3.3.1-13'], [false, 'MQTT-3.3.1-12']] as const) {
    test(`retain - Retain As Published ${retainAsPublished ? 'on keeps' : 'off clears'} RETAIN on forwarded messages [${id}]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `retain/rap/${retainAsPublished}`;
      try {
        const subscriber = await pool.connect({ protocolVersion: 5, clientId: `rap-sub-${retainAsPublished}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(topic, { qos: 1, rap: retainAsPublished });
        const publisher = await pool.connect({ protocolVersion: 5, clientId: `rap-pub-${retainAsPublished}` });
        await publisher.publishAsync(topic, 'retained', { qos: 1, retain: true });
        await publisher.publishAsync(topic, 'plain', { qos: 1, retain: false });
        await messageOn(received, topic, 'plain');
        const flags = received.map((m) => [m.payload, m.packet.retain]);
        assert.deepEqual(flags, [['retained', retainAsPublished], ['plain', false]]);
        await publisher.publishAsync(topic, '', { qos: 1, retain: true });
      } finally {
        await pool.closeAll();
      }
    });
  }
});
