// Persistent sessions: MQTT 3.1.1 Clean Session 0, MQTT 5 Clean Start and Session Expiry Interval,
// messages queued while offline, and the bound on that queue.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';

describe('session', () => {
  let server: TestBroker;
  let small: TestBroker;
  before(async () => {
    server = await startBroker();
    small = await startBroker({ maxQueuedMessages: 5 });
  });
  after(async () => {
    await Promise.all([server.close(), small.close()]);
  });

  test('session - MQTT 3.1.1 Clean Session 0 keeps subscriptions and delivers QoS 1/2 messages sent while offline [MQTT-3.1.2-4] [MQTT-3.1.2-5]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'persistent-v4';
    try {
      const first = await pool.connect({ protocolVersion: 4, clientId, clean: false });
      await first.subscribeAsync({ 'offline4/q1': { qos: 1 }, 'offline4/q2': { qos: 2 }, 'offline4/q0': { qos: 0 } });
      await first.endAsync();
      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to see the disconnection');

      const publisher = await pool.connect({ protocolVersion: 4, clientId: 'persistent-v4-pub' });
      await publisher.publishAsync('offline4/q1', 'one', { qos: 1 });
      await publisher.publishAsync('offline4/q2', 'two', { qos: 2 });
      await publisher.publishAsync('offline4/q0', 'zero', { qos: 0 });

      const { received, connack } = await pool.connectRecording({ protocolVersion: 4, clientId, clean: false });
      assert.equal(connack.sessionPresent, true);
      assert.equal((await messageOn(received, 'offline4/q1')).packet.qos, 1);
      assert.equal((await messageOn(received, 'offline4/q2')).packet.qos, 2);
      // The subscriptions are still there for live messages too; the marker also shows QoS 0 was not queued.
      await publisher.publishAsync('offline4/q0', 'marker', { qos: 0 });
      await messageOn(received, 'offline4/q0', 'marker');
      assert.deepEqual(received.map((m) => m.payload), ['one', 'two', 'marker']);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 3.1.1 Clean Session 1 discards the previous session [MQTT-3.1.2-6]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'clean-v4';
    try {
      const first = await pool.connect({ protocolVersion: 4, clientId, clean: false });
      await first.subscribeAsync('clean4/t', { qos: 1 });
      await first.endAsync();
      const { connack } = await pool.connectRecording({ protocolVersion: 4, clientId, clean: true });
      assert.equal(connack.sessionPresent, false);
      assert.equal(server.broker.registry.get(clientId)?.subscriptions.size, 0);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 5 Session Expiry Interval 0 ends the session at disconnection [MQTT-3.1.2-23]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'expiry-zero';
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 0 } });
      await first.subscribeAsync('expiry0/t', { qos: 1 });
      await first.endAsync();
      await waitFor(() => server.broker.registry.get(clientId) === undefined, 'the session to end');
      const { connack } = await pool.connectRecording({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      assert.equal(connack.sessionPresent, false);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 5 session with expiry 2 s is kept for 2 s after disconnection, then ends [MQTT-3.1.2-23]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'expiry-two';
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId, clean: true, properties: { sessionExpiryInterval: 2 } });
      await first.subscribeAsync('expiry2/t', { qos: 1 });
      await first.endAsync();
      const disconnectedAt = Date.now();
      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to see the disconnection');
      assert.ok(server.broker.registry.get(clientId) !== undefined, 'kept right after disconnection');
      await waitFor(() => server.broker.registry.get(clientId) === undefined, 'the session to expire', 5000);
      const elapsed = Date.now() - disconnectedAt;
      assert.ok(elapsed >= 1900, `ended after ${elapsed} ms, before its 2 s expiry`);
      const { connack } = await pool.connectRecording({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 2 } });
      assert.equal(connack.sessionPresent, false);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 5 Clean Start 0 resumes the session and receives what was queued; Clean Start 1 discards it [MQTT-3.1.2-4]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'clean-start-v5';
    const properties = { sessionExpiryInterval: 60 };
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId, clean: false, properties });
      await first.subscribeAsync('cleanstart5/t', { qos: 1 });
      await first.endAsync();
      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to see the disconnection');
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'clean-start-v5-pub' });
      await publisher.publishAsync('cleanstart5/t', 'queued', { qos: 1 });

      const resumed = await pool.connectRecording({ protocolVersion: 5, clientId, clean: false, properties });
      assert.equal(resumed.connack.sessionPresent, true);
      assert.equal((await messageOn(resumed.received, 'cleanstart5/t')).payload, 'queued');
      await resumed.client.endAsync();

      const fresh = await pool.connectRecording({ protocolVersion: 5, clientId, clean: true, properties });
      assert.equal(fresh.connack.sessionPresent, false);
      assert.equal(server.broker.registry.get(clientId)?.subscriptions.size, 0);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - the offline queue is bounded by max_queued_messages; the rest are dropped and counted', async () => {
    const pool = new ClientPool(small.url);
    const clientId = 'bounded-queue';
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      await first.subscribeAsync('bounded/t', { qos: 1 });
      await first.endAsync();
      await waitFor(() => !small.broker.registry.isConnected(clientId), 'the broker to see the disconnection');
      const droppedBefore = small.broker.counters.droppedQueueFull;
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'bounded-queue-pub' });
      for (let i = 1; i <= 10; i++) await publisher.publishAsync('bounded/t', `m${i}`, { qos: 1 });
      assert.equal(small.broker.counters.droppedQueueFull - droppedBefore, 5);

      const { received } = await pool.connectRecording({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      await publisher.publishAsync('bounded/t', 'marker', { qos: 1 });
      await messageOn(received, 'bounded/t', 'marker');
      assert.deepEqual(received.map((m) => m.payload), ['m1', 'm2', 'm3', 'm4', 'm5', 'marker']);
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 5 DISCONNECT may change the Session Expiry Interval: 0 ends the session at once [MQTT-3.14.2-2]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'expiry-at-disconnect';
    try {
      const wire = await pool.raw(server.port, 5);
      await wire.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      wire.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
      await wire.closed();
      await waitFor(() => server.broker.registry.get(clientId) === undefined, 'the session to end');
    } finally {
      await pool.closeAll();
    }
  });

  test('session - MQTT 5 DISCONNECT raising the Session Expiry Interval from 0 is a protocol error and the will is sent [MQTT-3.14.2-2]', async () => {
    const pool = new ClientPool(server.url);
    const clientId = 'expiry-raised';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'expiry-raised-watcher' });
      const received = record(watcher);
      await watcher.subscribeAsync('expiry-raised/will', { qos: 1 });
      const wire = await pool.raw(server.port, 5);
      await wire.connect({ clientId, will: { topic: 'expiry-raised/will', payload: Buffer.from('will'), qos: 1, retain: false } });
      wire.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
      const disconnect = await wire.receive('disconnect');
      assert.equal(disconnect.reasonCode, 0x82);
      await wire.closed();
      assert.equal((await messageOn(received, 'expiry-raised/will')).payload, 'will');
      assert.equal(server.broker.registry.get(clientId), undefined);
    } finally {
      await pool.closeAll();
    }
  });
});
