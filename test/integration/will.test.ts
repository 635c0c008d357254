// Will messages: published when a connection ends without a normal DISCONNECT, with the will's
// QoS, retain flag and properties; MQTT 5 DISCONNECT 0x04 and Will Delay Interval.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import type { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

describe('will', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  async function willClient(pool: ClientPool, protocolVersion: 4 | 5, clientId: string, topic: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
    const wire = await pool.raw(server.port, protocolVersion);
    const connack = await wire.connect({
      clientId,
      will: { topic, payload: Buffer.from(`will of ${clientId}`), qos: 1, retain: false, ...(extra.will as object) },
      ...(extra.connect as object),
    });
    assert.equal(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
    return wire;
  }

  for (const protocolVersion of [4, 5] as const) {
    const v = protocolVersion === 5 ? '5' : '3.1.1';
    test(`will - published when the connection is lost (MQTT ${v}) [MQTT-3.1.2-8]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `will/lost/${protocolVersion}`;
      try {
        const watcher = await pool.connect({ protocolVersion, clientId: `will-watch-lost-${protocolVersion}` });
        const received = record(watcher);
        await watcher.subscribeAsync(topic, { qos: 1 });
        const wire = await willClient(pool, protocolVersion, `will-lost-${protocolVersion}`, topic);
        wire.destroy();
        assert.equal((await messageOn(received, topic)).payload, `will of will-lost-${protocolVersion}`);
      } finally {
        await pool.closeAll();
      }
    });

    test(`will - not published after a normal DISCONNECT (MQTT ${v}) [MQTT-3.1.2-10]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `will/normal/${protocolVersion}`;
      const clientId = `will-normal-${protocolVersion}`;
      try {
        const watcher = await pool.connect({ protocolVersion, clientId: `will-watch-normal-${protocolVersion}` });
        const received = record(watcher);
        await watcher.subscribeAsync(topic, { qos: 1 });
        const wire = await willClient(pool, protocolVersion, clientId, topic);
        wire.send({ cmd: 'disconnect' });
        await wire.closed();
        await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to end the connection');
        await watcher.publishAsync(topic, 'marker', { qos: 1 });
        await messageOn(received, topic, 'marker');
        assert.deepEqual(received.map((m) => m.payload), ['marker']);
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('will - MQTT 5 DISCONNECT with reason 0x04 publishes the will', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/with-will';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-0x04' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const wire = await willClient(pool, 5, 'will-0x04', topic);
      wire.send({ cmd: 'disconnect', reasonCode: 0x04 });
      assert.equal((await messageOn(received, topic)).payload, 'will of will-0x04');
    } finally {
      await pool.closeAll();
    }
  });

  test('will - the will QoS and retain flag are honoured [MQTT-3.1.2-14] [MQTT-3.1.2-17]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/qos-retain';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-qos' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 2, rap: true });
      const wire = await willClient(pool, 5, 'will-qos', topic, { will: { qos: 2, retain: true } });
      wire.destroy();
      const live = await messageOn(received, topic);
      assert.equal(live.packet.qos, 2);
      assert.equal(live.packet.retain, true, 'Retain As Published shows the will was retained');
      assert.equal(server.broker.core.retained.get(topic)?.payload.toString(), 'will of will-qos');

      const late = await pool.connect({ protocolVersion: 5, clientId: 'will-late-qos' });
      const lateReceived = record(late);
      await late.subscribeAsync(topic, { qos: 1 });
      const retained = await messageOn(lateReceived, topic);
      assert.equal(retained.packet.retain, true);
      assert.equal(retained.packet.qos, 1);
      await late.publishAsync(topic, '', { qos: 1, retain: true });
    } finally {
      await pool.closeAll();
    }
  });

  test('will - MQTT 5 will properties are passed on to subscribers', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/properties';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-props' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const wire = await willClient(pool, 5, 'will-props', topic, {
        will: {
          properties: {
            contentType: 'text/plain',
            responseTopic: 'will/reply',
            correlationData: Buffer.from('c0ffee'),
            payloadFormatIndicator: true,
            userProperties: { origin: 'will-test' },
          },
        },
      });
      wire.destroy();
      const will = await messageOn(received, topic);
      const properties = will.packet.properties ?? {};
      assert.equal(properties.contentType, 'text/plain');
      assert.equal(properties.responseTopic, 'will/reply');
      assert.equal(properties.correlationData?.toString(), 'c0ffee');
      assert.equal(properties.payloadFormatIndicator, true);
      assert.deepEqual({ ...properties.userProperties }, { origin: 'will-test' });
    } finally {
      await pool.closeAll();
    }
  });

  test('will - MQTT 5 Will Delay Interval delays the will [MQTT-3.1.3-9]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/delayed';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-delay' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const wire = await willClient(pool, 5, 'will-delay', topic, {
        will: { properties: { willDelayInterval: 1 } },
        connect: { properties: { sessionExpiryInterval: 60 } },
      });
      const lostAt = Date.now();
      wire.destroy();
      await messageOn(received, topic, undefined, 4000);
      const elapsed = Date.now() - lostAt;
      assert.ok(elapsed >= 950, `will after ${elapsed} ms, before the 1 s delay`);
    } finally {
      await pool.closeAll();
    }
  });

  test('will - MQTT 5 reconnecting before the Will Delay Interval cancels the will [MQTT-3.1.3-9]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/cancelled';
    const clientId = 'will-cancel';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-cancel' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      const wire = await willClient(pool, 5, clientId, topic, {
        will: { properties: { willDelayInterval: 1 } },
        connect: { clean: false, properties: { sessionExpiryInterval: 60 } },
      });
      wire.destroy();
      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to notice the lost connection');
      const back = await pool.raw(server.port, 5);
      const connack = await back.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      assert.equal(connack.sessionPresent, true);
      assert.equal(server.broker.registry.get(clientId)?.willTimer, undefined, 'no will timer left');
      // A bounded window of 1.5 s, past the 1 s delay: the will must not come.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(received.map((m) => m.payload), []);
    } finally {
      await pool.closeAll();
    }
  });

  test('will - MQTT 5 delayed will is published when the session ends first [MQTT-3.1.3-9]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'will/session-ends';
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'will-watch-expiry' });
      const received = record(watcher);
      await watcher.subscribeAsync(topic, { qos: 1 });
      // Will Delay 60 s, session expiry 0: the session ends at disconnection and the will goes at once.
      const wire = await willClient(pool, 5, 'will-expiry', topic, { will: { properties: { willDelayInterval: 60 } } });
      wire.destroy();
      assert.equal((await messageOn(received, topic)).payload, 'will of will-expiry');
    } finally {
      await pool.closeAll();
    }
  });
});
