// The embedding API: createBroker() events, authentication and authorization hooks, and
// broker.publish() reaching subscribers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientConnectedEvent, DisconnectedEvent, MessageDroppedEvent, MessagePublishedEvent, SubscribedEvent, UnsubscribedEvent } from '../../src/index.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

describe('library', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ maxQueuedMessages: 1 });
  });
  after(async () => {
    await server.close();
  });

  test('library - client.connected and client.disconnected events describe the client', async () => {
    const pool = new ClientPool(server.url);
    const events = server.broker.core.events;
    try {
      const connected = nextEvent<[ClientConnectedEvent]>(events, 'client.connected');
      const client = await pool.connect({ protocolVersion: 5, clientId: 'lib-events', username: 'bob', keepalive: 20 });
      const [{ client: info, sessionPresent }] = await connected;
      assert.equal(info.clientId, 'lib-events');
      assert.equal(info.username, 'bob');
      assert.equal(info.protocolVersion, 5);
      assert.equal(info.keepAlive, 20);
      assert.equal(info.peer.address, '127.0.0.1');
      assert.equal(sessionPresent, false);

      const disconnected = nextEvent<[DisconnectedEvent]>(events, 'client.disconnected');
      await client.endAsync();
      const [event] = await disconnected;
      assert.equal(event.client.clientId, 'lib-events');
      assert.equal(event.reasonCode, 0);
    } finally {
      await pool.closeAll();
    }
  });

  test('library - session.subscribed, session.unsubscribed and message.published events', async () => {
    const pool = new ClientPool(server.url);
    const events = server.broker.core.events;
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'lib-subs' });
      const subscribed = nextEvent<[SubscribedEvent]>(events, 'session.subscribed');
      await client.subscribeAsync('lib/events/+', { qos: 2 });
      const [sub] = await subscribed;
      assert.equal(sub.client.clientId, 'lib-subs');
      assert.equal(sub.subscription.topicFilter, 'lib/events/+');
      assert.equal(sub.grantedQoS, 2);

      const published = nextEvent<[MessagePublishedEvent]>(events, 'message.published');
      await client.publishAsync('lib/events/x', 'payload', { qos: 1, retain: false });
      const [{ message }] = await published;
      assert.equal(message.topic, 'lib/events/x');
      assert.equal(message.payload.toString(), 'payload');
      assert.equal(message.qos, 1);
      assert.equal(message.from, 'lib-subs');

      const unsubscribed = nextEvent<[UnsubscribedEvent]>(events, 'session.unsubscribed');
      await client.unsubscribeAsync('lib/events/+');
      const [unsub] = await unsubscribed;
      assert.equal(unsub.client.clientId, 'lib-subs');
      assert.equal(unsub.topicFilter, 'lib/events/+');
    } finally {
      await pool.closeAll();
    }
  });

  test('library - message.dropped fires when an offline queue is full', async () => {
    const pool = new ClientPool(server.url);
    const events = server.broker.core.events;
    const clientId = 'lib-dropped';
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      await client.subscribeAsync('lib/dropped', { qos: 1 });
      await client.endAsync();
      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the disconnection');
      server.broker.publish({ topic: 'lib/dropped', payload: 'queued', qos: 1 });
      const dropped = nextEvent<[MessageDroppedEvent]>(events, 'message.dropped');
      server.broker.publish({ topic: 'lib/dropped', payload: 'over the limit', qos: 1 });
      const [event] = await dropped;
      assert.equal(event.reason, 'queue_full');
      assert.equal(event.clientId, clientId);
      assert.equal(event.message.payload.toString(), 'over the limit');
    } finally {
      await pool.closeAll();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`library - authenticate hook deny refuses the connection with ${protocolVersion === 5 ? 'CONNACK 0x86' : 'return code 4'}`, async () => {
      const pool = new ClientPool(server.url);
      const remove = server.broker.addHook('authenticate', (request) =>
        request.username === 'mallory' ? { result: 'deny' } : undefined,
      );
      try {
        const refused = await pool.attempt({ protocolVersion, clientId: `lib-auth-deny-${protocolVersion}`, username: 'mallory', password: 'x' });
        assert.equal(refused.error?.code, protocolVersion === 5 ? 0x86 : 4);
        const allowed = await pool.attempt({ protocolVersion, clientId: `lib-auth-allow-${protocolVersion}`, username: 'alice', password: 'x' });
        assert.equal(allowed.connack?.cmd, 'connack');
        assert.equal(server.broker.registry.isConnected(`lib-auth-deny-${protocolVersion}`), false);
      } finally {
        remove();
        await pool.closeAll();
      }
    });
  }

  test('library - authorizePublish hook deny answers PUBACK 0x87 (MQTT 5) and does not route the message', async () => {
    const pool = new ClientPool(server.url);
    const remove = server.broker.addHook('authorizePublish', (request) => !request.topic.endsWith('/forbidden'));
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'lib-authz-pub-sub' });
      const received = record(subscriber);
      await subscriber.subscribeAsync('lib/authz/#', { qos: 1 });
      const wire = await pool.raw(server.port, 5);
      await wire.connect({ clientId: 'lib-authz-pub' });
      wire.send({ cmd: 'publish', topic: 'lib/authz/forbidden', payload: Buffer.from('no'), qos: 1, dup: false, retain: false, messageId: 1 });
      const puback = await wire.receive('puback');
      assert.equal(puback.messageId, 1);
      assert.equal(puback.reasonCode, 0x87);
      wire.send({ cmd: 'publish', topic: 'lib/authz/allowed', payload: Buffer.from('marker'), qos: 1, dup: false, retain: false, messageId: 2 });
      assert.equal((await wire.receive('puback')).reasonCode ?? 0, 0);
      await messageOn(received, 'lib/authz/allowed');
      assert.deepEqual(received.map((m) => m.topic), ['lib/authz/allowed']);
    } finally {
      remove();
      await pool.closeAll();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`library - authorizeSubscribe hook deny fails only that filter with ${protocolVersion === 5 ? '0x87' : '0x80'}`, async () => {
      const pool = new ClientPool(server.url);
      const remove = server.broker.addHook('authorizeSubscribe', (request) => request.subscription.topicFilter !== 'lib/secret');
      try {
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId: `lib-authz-sub-${protocolVersion}` });
        wire.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: 'lib/public', qos: 1 }, { topic: 'lib/secret', qos: 1 }] });
        const suback = await wire.receive('suback');
        assert.deepEqual(suback.granted, [1, protocolVersion === 5 ? 0x87 : 0x80]);
        const session = server.broker.registry.get(`lib-authz-sub-${protocolVersion}`)!;
        assert.deepEqual([...session.subscriptions.keys()], ['lib/public']);
      } finally {
        remove();
        await pool.closeAll();
      }
    });
  }

  test('library - broker.publish() reaches subscribers with its QoS, retain flag and properties', async () => {
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'lib-publish' });
      const received = record(subscriber);
      await subscriber.subscribeAsync('lib/from-broker', { qos: 1, rap: true });
      const count = server.broker.publish({
        topic: 'lib/from-broker',
        payload: 'hello from the broker',
        qos: 1,
        retain: true,
        properties: { contentType: 'text/plain' },
      });
      assert.equal(count, 1);
      const message = await messageOn(received, 'lib/from-broker');
      assert.equal(message.payload, 'hello from the broker');
      assert.equal(message.packet.qos, 1);
      assert.equal(message.packet.retain, true);
      assert.equal(message.packet.properties?.contentType, 'text/plain');
      server.broker.publish({ topic: 'lib/from-broker', payload: '', retain: true });
    } finally {
      await pool.closeAll();
    }
  });
});
