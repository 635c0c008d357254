// The broker's metrics registry over real sockets: traffic by listener, messages by outcome, gauges,
// the abuse counters, and $SYS reading the same numbers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';

describe('metrics', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  test('metrics - every broker metric has help text, and counts what clients did', async () => {
    const metrics = server.broker.metrics;
    for (const family of metrics.collect()) assert.ok(family.help.length > 10, `${family.name} has help text`);
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'metrics-sub' });
      const received = record(subscriber);
      await subscriber.subscribeAsync('metrics/a', { qos: 1 });
      const publisher = await pool.connect({ protocolVersion: 4, clientId: 'metrics-pub' });
      await publisher.publishAsync('metrics/a', 'one', { qos: 1 });
      await publisher.publishAsync('metrics/nobody', 'two', { qos: 0 });
      await publisher.publishAsync('metrics/retained', 'three', { qos: 0, retain: true });
      await messageOn(received, 'metrics/a');
      await waitFor(() => metrics.value('messages.received') === 3, 'three messages routed', 3000);

      assert.equal(metrics.value('connections.accepted', { listener: 'tcp' }), 2);
      assert.equal(metrics.value('clients.connected'), 2);
      assert.equal(metrics.value('sessions.count'), 2);
      assert.equal(metrics.value('subscriptions.count'), 1);
      assert.equal(metrics.value('retained.count'), 1);
      assert.equal(metrics.value('messages.sent'), 1);
      assert.equal(metrics.value('messages.sent', { qos: '1' }), 1);
      assert.equal(metrics.value('messages.received', { qos: '0' }), 2);
      assert.equal(metrics.value('messages.received', { qos: '1' }), 1);
      assert.equal(metrics.value('authentication.success'), 2);
      assert.equal(metrics.value('authentication.success.anonymous'), 2);
      assert.equal(metrics.value('authentication.failure'), 0);
      assert.equal(metrics.value('authorization.allow') + metrics.value('authorization.deny'), 0, 'no authorization hook: nothing counted');
      assert.equal(metrics.value('messages.dropped', { reason: 'no_subscribers' }), 2, 'metrics/nobody and metrics/retained reached nobody');
      // Subscriber: CONNECT, SUBSCRIBE, PUBACK; publisher: CONNECT, PUBLISH x3.
      await waitFor(() => metrics.value('packets.received', { listener: 'tcp' }) >= 7, 'seven packets received', 3000);
      assert.equal(metrics.value('packets.received'), 7);
      // CONNACK x2, SUBACK, PUBACK to the publisher, PUBLISH to the subscriber.
      assert.equal(metrics.value('packets.sent', { listener: 'tcp' }), 5);
      const byType = (name: string): Record<string, number> =>
        Object.fromEntries(metrics.family(name)!.samples.filter((sample) => sample.value > 0).map((sample) => [sample.labels['type'], sample.value]));
      assert.deepEqual(byType('packets.received'), { connect: 2, subscribe: 1, puback: 1, publish: 3 });
      assert.deepEqual(byType('packets.sent'), { connack: 2, suback: 1, puback: 1, publish: 1 });
      assert.equal(metrics.value('connections.count', { listener: 'tcp' }), 2);
      assert.ok(metrics.value('bytes.received') > metrics.value('packets.received'));
      assert.ok(metrics.value('bytes.sent') > 0);
    } finally {
      await pool.closeAll();
    }
  });

  test('metrics - connections by listener go down on disconnect; a PUBLISH to $SYS is dropped as not authorized', async () => {
    const metrics = server.broker.metrics;
    await waitFor(() => metrics.value('connections.count', { listener: 'tcp' }) === 0, 'the earlier test\'s clients gone', 3000);
    const before = metrics.value('messages.dropped', { reason: 'not_authorized' });
    const pool = new ClientPool(server.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'metrics-sys-writer' });
      assert.equal(metrics.value('connections.count', { listener: 'tcp' }), 1);
      await client.publishAsync('$SYS/broker/fake', 'x', { qos: 1 }).catch(() => undefined); // PUBACK 0x87
      assert.equal(metrics.value('messages.dropped', { reason: 'not_authorized' }), before + 1);
    } finally {
      await pool.closeAll();
    }
    await waitFor(() => metrics.value('connections.count', { listener: 'tcp' }) === 0, 'the client gone from its listener', 3000);
    assert.equal(metrics.value('clients.connected'), 0);
  });

  test('metrics - store commits are timed and counted, the store size read (durability sync)', async () => {
    const durable = await startBroker({ durability: 'sync' });
    const metrics = durable.broker.metrics;
    const pool = new ClientPool(durable.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'metrics-store-sub', clean: false, properties: { sessionExpiryInterval: 300 } });
      await subscriber.subscribeAsync('metrics/store', { qos: 1 });
      const received = record(subscriber);
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'metrics-store-pub' });
      for (let index = 0; index < 5; index++) await publisher.publishAsync('metrics/store', String(index), { qos: 1 });
      await waitFor(() => received.length === 5, 'five messages delivered', 3000);
      await waitFor(() => metrics.value('store.commit.seconds') > 0, 'a commit timed', 3000);
      assert.ok(metrics.value('store.commit.messages') >= 5, `${metrics.value('store.commit.messages')} messages committed`);
      assert.ok(metrics.value('store.size.bytes') > 0);
      const [sample] = metrics.family('store.commit.seconds')!.samples;
      const histogram = sample!.histogram!;
      assert.equal(histogram.cumulative.length, histogram.bounds.length + 1);
      assert.equal(histogram.cumulative.at(-1), histogram.count);
      assert.ok(histogram.cumulative.every((count, index) => index === 0 || count >= histogram.cumulative[index - 1]!), 'cumulative counts never decrease');
      assert.ok(histogram.sum > 0);
    } finally {
      await pool.closeAll();
      await durable.close();
    }
  });

  test('metrics - without a store the store metrics read zero', () => {
    const metrics = server.broker.metrics;
    assert.deepEqual([metrics.value('store.commit.seconds'), metrics.value('store.commit.messages'), metrics.value('store.size.bytes')], [0, 0, 0]);
    assert.equal(metrics.family('store.commit.seconds')!.type, 'histogram');
  });

  test('metrics - $SYS statistics read the registry', async () => {
    const sysServer = await startBroker({ sysInterval: 1 });
    const pool = new ClientPool(sysServer.url);
    try {
      const sys = await pool.connect({ protocolVersion: 5, clientId: 'metrics-sys' });
      const received = record(sys);
      await sys.subscribeAsync('$SYS/broker/subscriptions/count', { qos: 0 });
      await sys.subscribeAsync('metrics/b', { qos: 0 });
      // The next periodic publication counts both subscriptions.
      await waitFor(() => received.some((message) => !message.packet.retain && message.payload === '2'), 'a periodic $SYS/broker/subscriptions/count of 2', 3000);
      assert.equal(sysServer.broker.metrics.value('subscriptions.count'), 2);
    } finally {
      await pool.closeAll();
      await sysServer.close();
    }
  });

  test('metrics - authorization decisions of the hooks are counted, allowed and denied', async () => {
    const aclServer = await startBroker();
    aclServer.broker.addHook('authorizePublish', ({ topic }) => !topic.startsWith('secret/'));
    aclServer.broker.addHook('authorizeSubscribe', ({ subscription }) => !subscription.topicFilter.startsWith('secret/'));
    const pool = new ClientPool(aclServer.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'metrics-acl' });
      await client.subscribeAsync('open/#', { qos: 1 });
      await client.subscribeAsync('secret/#', { qos: 1 }).catch(() => undefined); // MQTT.js rejects a refused grant
      await client.publishAsync('open/x', 'ok', { qos: 1 });
      await client.publishAsync('secret/x', 'no', { qos: 1 }).catch(() => undefined);
      await waitFor(() => aclServer.broker.metrics.value('authorization.deny') === 2, 'two denials', 3000);
      assert.equal(aclServer.broker.metrics.value('authorization.allow'), 2);
      assert.equal(aclServer.broker.metrics.value('messages.dropped', { reason: 'not_authorized' }), 1);
    } finally {
      await pool.closeAll();
      await aclServer.close();
    }
  });

  test('metrics - topics count distinct filters, a shared group once; shared subscriptions count members', async () => {
    const topicServer = await startBroker();
    const metrics = topicServer.broker.metrics;
    const pool = new ClientPool(topicServer.url);
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId: 'metrics-share-1' });
      const second = await pool.connect({ protocolVersion: 5, clientId: 'metrics-share-2' });
      await first.subscribeAsync('plain/+', { qos: 0 });
      await second.subscribeAsync('plain/+', { qos: 0 });
      await first.subscribeAsync('$share/g/jobs', { qos: 1 });
      await second.subscribeAsync('$share/g/jobs', { qos: 1 });
      assert.deepEqual([metrics.value('topics.count'), metrics.value('subscriptions.count'), metrics.value('subscriptions.shared.count')], [2, 4, 2]);
      await second.unsubscribeAsync('$share/g/jobs');
      await second.unsubscribeAsync('plain/+');
      assert.deepEqual([metrics.value('topics.count'), metrics.value('subscriptions.count'), metrics.value('subscriptions.shared.count')], [2, 2, 1]);
      await first.unsubscribeAsync('$share/g/jobs');
      assert.deepEqual([metrics.value('topics.count'), metrics.value('subscriptions.shared.count')], [1, 0]);
    } finally {
      await pool.closeAll();
      await topicServer.close();
    }
  });
});
