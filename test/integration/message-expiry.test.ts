import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

type Message = [string, Buffer, mqtt.IPublishPacket];

describe('message expiry', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  /** Subscribes a persistent-session client, then disconnects it so that messages queue. */
  async function offlineSubscriber(clientId: string, filter: string): Promise<void> {
    const client = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId, clean: true, properties: { sessionExpiryInterval: 300 } });
    await client.subscribeAsync(filter, { qos: 1 });
    await client.endAsync();
  }

  /** Reconnects to the session with the message handler in place before CONNACK is read. */
  function resume(clientId: string, got: Message[]): mqtt.MqttClient {
    const client = mqtt.connect(server.url, { protocolVersion: 5, clientId, clean: false, reconnectPeriod: 0, properties: { sessionExpiryInterval: 300 } });
    client.on('message', (...args: Message) => got.push(args));
    return client;
  }

  test('message expiry - a message queued for an offline session past its expiry is not delivered [MQTT-3.3.2-5]', async () => {
    await offlineSubscriber('expiry-offline', 'expiry/offline');
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-offline-pub' });
    const droppedBefore = server.broker.counters.droppedExpired;
    await publisher.publishAsync('expiry/offline', 'short-lived', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await publisher.publishAsync('expiry/offline', 'long-lived', { qos: 1, properties: { messageExpiryInterval: 60 } });
    await publisher.endAsync();
    // Let the 1 s expiry pass: the condition waited for here is time itself.
    const expiredAt = Date.now() + 1100;
    await waitFor(() => Date.now() > expiredAt, 'the short expiry to pass', 3000);

    const got: Message[] = [];
    const subscriber = resume('expiry-offline', got);
    try {
      // The long-lived message was queued after the short one, so it is the marker.
      await waitFor(() => got.length >= 1, 'the long-lived message');
      assert.deepEqual(
        got.map(([, payload]) => payload.toString()),
        ['long-lived'],
      );
      assert.equal(server.broker.counters.droppedExpired, droppedBefore + 1);
    } finally {
      await subscriber.endAsync();
    }
  });

  test('message expiry - a message delivered after waiting carries the remaining expiry interval [MQTT-3.3.2-6]', async () => {
    await offlineSubscriber('expiry-decrement', 'expiry/decrement');
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-decrement-pub' });
    await publisher.publishAsync('expiry/decrement', 'waits', { qos: 1, properties: { messageExpiryInterval: 60 } });
    await publisher.endAsync();
    const waitedUntil = Date.now() + 1100;
    await waitFor(() => Date.now() > waitedUntil, 'over a second in the queue', 3000);

    const got: Message[] = [];
    const subscriber = resume('expiry-decrement', got);
    try {
      await waitFor(() => got.length === 1, 'the queued message');
      const interval = got[0]![2].properties?.messageExpiryInterval;
      assert.ok(interval !== undefined && interval <= 59 && interval >= 57, `remaining expiry ${interval} is 60 less the time waited`);
    } finally {
      await subscriber.endAsync();
    }
  });

  test('message expiry - a retained message is not sent on subscribe once expired [MQTT-3.3.2-5]', async () => {
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-retained-pub' });
    await publisher.publishAsync('expiry/retained/short', 'gone', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
    await publisher.publishAsync('expiry/retained/long', 'kept', { qos: 1, retain: true, properties: { messageExpiryInterval: 60 } });
    const expiredAt = Date.now() + 1100;
    await waitFor(() => Date.now() > expiredAt, 'the short expiry to pass', 3000);
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-retained-sub' });
    try {
      const got: Message[] = [];
      subscriber.on('message', (...args: Message) => got.push(args));
      await subscriber.subscribeAsync('expiry/retained/+', { qos: 1 });
      // A live message after the subscribe is the marker behind any retained ones.
      await publisher.publishAsync('expiry/retained/marker', 'marker', { qos: 1 });
      await waitFor(() => got.some(([topic]) => topic === 'expiry/retained/marker'), 'the marker');
      assert.deepEqual(
        got.map(([, payload]) => payload.toString()),
        ['kept', 'marker'],
      );
      const interval = got[0]![2].properties?.messageExpiryInterval;
      assert.ok(interval !== undefined && interval < 60, `retained message expiry counts down: ${interval}`);
    } finally {
      await publisher.publishAsync('expiry/retained/long', '', { qos: 1, retain: true });
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });

  test('message expiry - a message delivered at once keeps its expiry interval, one without none gets none', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-live' });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'expiry-live-pub' });
    try {
      await subscriber.subscribeAsync('expiry/live', { qos: 1 });
      let received = nextEvent<Message>(subscriber, 'message');
      await publisher.publishAsync('expiry/live', 'x', { qos: 1, properties: { messageExpiryInterval: 30 } });
      const [, , withExpiry] = await received;
      assert.equal(withExpiry.properties?.messageExpiryInterval, 30);
      received = nextEvent<Message>(subscriber, 'message');
      await publisher.publishAsync('expiry/live', 'y', { qos: 1 });
      const [, , without] = await received;
      assert.equal(without.properties?.messageExpiryInterval, undefined);
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });
});
