// Rate limits over real MQTT.js connections: messages_per_second with each policy (drop: MQTT 5
// PUBACK 0x97 and nothing routed; disconnect: DISCONNECT 0x96; slow: every QoS 1 message arrives,
// spread over time) and connections_per_address_per_second (excess sockets closed before CONNACK).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { record } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';
import { pubackCode } from './clients.js';
import { noLimits, withRateLimitedBroker } from './rate-limited-broker.js';


test('rate limits - messages_per_second, policy drop: the excess is refused with 0x97 and not routed', () =>
  withRateLimitedBroker({ messagesPerSecond: 10, policy: 'drop' }, async (server, pool) => {
    const watcher = await pool.connect({ protocolVersion: 5, clientId: 'watch' });
    const received = record(watcher);
    await watcher.subscribeAsync('rate/#', { qos: 1 });
    const publisher = await pool.connect({ protocolVersion: 5, clientId: 'fast' });
    const started = Date.now();
    const codes = await Promise.all(Array.from({ length: 40 }, (_, index) => pubackCode(publisher, 'rate/drop', String(index))));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const accepted = codes.filter((code) => code === 0).length;
    const refused = codes.filter((code) => code === 0x97).length;
    assert.equal(accepted + refused, 40, `unexpected codes ${codes.join(',')}`);
    // One second's worth up front, then the refill while the burst lasted.
    assert.ok(accepted >= 10 && accepted <= 10 + Math.ceil(elapsedSeconds * 10) + 1, `accepted ${accepted} in ${elapsedSeconds} s`);
    assert.ok(refused >= 20, `refused ${refused}`);
    // What was accepted arrives, what was refused does not: a marker from another client, sent after
    // every PUBACK came back, reaches the watcher after anything the burst routed.
    const marker = await pool.connect({ protocolVersion: 5, clientId: 'marker' });
    await marker.publishAsync('rate/marker', 'end', { qos: 1 });
    await waitFor(() => received.some((message) => message.topic === 'rate/marker'), 'the marker');
    assert.equal(received.filter((message) => message.topic === 'rate/drop').length, accepted);
    assert.equal(server.broker.authorization!.stats.publishRateLimited, refused);
    assert.equal(server.broker.metrics.value('messages.dropped', { reason: 'rate_limited' }), refused);
  }));

test('rate limits - messages_per_second, policy disconnect: the client is disconnected with 0x96', () =>
  withRateLimitedBroker({ messagesPerSecond: 5, policy: 'disconnect' }, async (server, pool) => {
    const publisher = await pool.connect({ protocolVersion: 5, clientId: 'chatty' });
    const disconnected = new Promise<number | undefined>((resolve) => publisher.once('disconnect', (packet) => resolve(packet.reasonCode)));
    const closed = new Promise<void>((resolve) => publisher.once('close', () => resolve()));
    for (let index = 0; index < 20; index++) publisher.publish('rate/disconnect', String(index), { qos: 0 });
    assert.equal(await disconnected, 0x96);
    await closed;
    assert.equal(server.broker.authorization!.stats.publishRateLimited, 1);
    assert.equal(server.broker.metrics.value('messages.dropped', { reason: 'rate_limited' }), 1);
    // Another client is not affected
    const other = await pool.connect({ protocolVersion: 5, clientId: 'quiet' });
    const received = record(other);
    await other.subscribeAsync('rate/other', { qos: 1 });
    assert.equal(await pubackCode(other, 'rate/other', 'x'), 0);
    await waitFor(() => received.length === 1, 'the other client\'s message');
  }));

test('rate limits - messages_per_second, policy slow: every QoS 1 message arrives, paced at the rate', () =>
  withRateLimitedBroker({ messagesPerSecond: 20, policy: 'slow' }, async (server, pool) => {
    const watcher = await pool.connect({ protocolVersion: 5, clientId: 'watch-slow' });
    const received = record(watcher);
    await watcher.subscribeAsync('rate/#', { qos: 1 });
    const publisher = await pool.connect({ protocolVersion: 5, clientId: 'steady' });
    const started = Date.now();
    const codes = await Promise.all(Array.from({ length: 50 }, (_, index) => pubackCode(publisher, 'rate/slow', String(index))));
    const elapsed = Date.now() - started;
    assert.deepEqual(new Set(codes), new Set([0]));
    await waitFor(() => received.length === 50, 'all 50 messages');
    assert.deepEqual(received.map((message) => message.payload), Array.from({ length: 50 }, (_, index) => String(index)));
    // 20 go at once, the other 30 at 20 per second: about 1.5 s.
    assert.ok(elapsed >= 1200, `50 messages at 20/s took only ${elapsed} ms`);
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  }));

test('rate limits - connections_per_address_per_second: sockets over the rate are closed before CONNACK, and the rate refills', async () => {
  const server = await startBroker({ rateLimits: { ...noLimits, connectionsPerAddressPerSecond: 3 } });
  const clients: mqtt.MqttClient[] = [];
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, index) => {
        const client = mqtt.connect(server.url, { protocolVersion: 5, clientId: `burst-${index}`, reconnectPeriod: 0, connectTimeout: 5000 });
        clients.push(client);
        return new Promise<'connected' | 'closed'>((resolve) => {
          client.once('connect', () => resolve('connected'));
          client.once('close', () => resolve('closed'));
        });
      }),
    );
    const connected = outcomes.filter((outcome) => outcome === 'connected').length;
    assert.ok(connected >= 3 && connected <= 4, `connected ${connected} of 8`);
    assert.equal(server.broker.authorization!.stats.connectionRateRefused, 8 - connected);
    // A rate, not a cap: a later connection gets through again (each refusal is immediate and takes no token).
    const deadline = Date.now() + 3000;
    for (;;) {
      const client = mqtt.connect(server.url, { protocolVersion: 5, clientId: 'later', reconnectPeriod: 0 });
      clients.push(client);
      const outcome = await new Promise<'connected' | 'closed'>((resolve) => {
        client.once('connect', () => resolve('connected'));
        client.once('close', () => resolve('closed'));
      });
      if (outcome === 'connected') break;
      assert.ok(Date.now() < deadline, 'no connection admitted within 3 s after the burst');
    }
  } finally {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
    await server.close();
  }
});
