// Client id takeover: a second connection with a connected client's id closes the first and
// continues its session [MQTT-3.1.4-3].

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { nextEvent } from '../helpers/wait.js';

describe('takeover', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  test('takeover - MQTT 5: the first connection gets DISCONNECT 0x8E and the second continues its session [MQTT-3.1.4-3]', async () => {
    const pool = new ClientPool(server.url);
    const options = { protocolVersion: 5 as const, clientId: 'takeover-v5', clean: false, properties: { sessionExpiryInterval: 60 } };
    try {
      const first = await pool.connect(options);
      await first.subscribeAsync('takeover/v5', { qos: 1 });
      const disconnected = nextEvent<[mqtt.IDisconnectPacket]>(first, 'disconnect');
      const firstClosed = nextEvent(first, 'close');
      const second = await pool.attempt(options);
      assert.equal(second.connack?.sessionPresent, true, 'the session is taken over, not started anew');
      const [disconnect] = await disconnected;
      assert.equal(disconnect.reasonCode, 0x8e);
      await firstClosed;

      const secondClient = (await pool.lastClient())!;
      const received = record(secondClient);
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'takeover-v5-publisher' });
      await publisher.publishAsync('takeover/v5', 'after takeover', { qos: 1 });
      const message = await messageOn(received, 'takeover/v5');
      assert.equal(message.payload, 'after takeover');
      assert.equal(first.connected, false);
    } finally {
      await pool.closeAll();
    }
  });

  test('takeover - MQTT 3.1.1: the first connection is closed and its subscriptions serve the second [MQTT-3.1.4-3]', async () => {
    const pool = new ClientPool(server.url);
    const options = { protocolVersion: 4 as const, clientId: 'takeover-v4', clean: false };
    try {
      const first = await pool.connect(options);
      await first.subscribeAsync('takeover/v4', { qos: 1 });
      const firstClosed = nextEvent(first, 'close');
      const second = await pool.connect(options);
      await firstClosed;
      const received = record(second);
      const publisher = await pool.connect({ protocolVersion: 4, clientId: 'takeover-v4-publisher' });
      await publisher.publishAsync('takeover/v4', 'after takeover', { qos: 1 });
      assert.equal((await messageOn(received, 'takeover/v4')).payload, 'after takeover');
      assert.equal(server.broker.registry.isConnected('takeover-v4'), true);
    } finally {
      await pool.closeAll();
    }
  });

  test('takeover - the will of the connection taken over is published (no Will Delay) [MQTT-3.1.4-3]', async () => {
    const pool = new ClientPool(server.url);
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'takeover-will-watcher' });
      const received = record(watcher);
      await watcher.subscribeAsync('takeover/will', { qos: 1 });
      const first = await pool.connect({
        protocolVersion: 5,
        clientId: 'takeover-will',
        will: { topic: 'takeover/will', payload: Buffer.from('taken over'), qos: 1, retain: false },
      });
      const firstClosed = nextEvent(first, 'close');
      await pool.connect({ protocolVersion: 5, clientId: 'takeover-will' });
      await firstClosed;
      assert.equal((await messageOn(received, 'takeover/will')).payload, 'taken over');
    } finally {
      await pool.closeAll();
    }
  });
});
