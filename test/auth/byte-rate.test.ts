// rate_limits.bytes_per_second (PUBLISH payload bytes per client) over real MQTT.js connections,
// with each policy: drop (excess QoS 0 dropped, excess QoS 1 refused with MQTT 5 PUBACK 0x97, nothing
// refused is routed), slow (excess QoS 0 dropped; QoS 1 and QoS 2 all arrive, their acknowledgements
// withheld so the client is paced at the byte rate; MQTT 3.1.1 and 5) and disconnect (0x96).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type mqtt from 'mqtt';
import type { TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record, type Received } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';
import { pubackCode } from './clients.js';
import { withRateLimitedBroker } from './rate-limited-broker.js';

const PAYLOAD = 200;

const payload = (index: number): string => String(index).padEnd(PAYLOAD, '.');


/** A watcher on rate/# that a marker from another client (never rate limited: its own budget) closes. */
async function watch(pool: ClientPool): Promise<{ received: Received[]; flush: () => Promise<void> }> {
  const watcher = await pool.connect({ protocolVersion: 5, clientId: 'watcher' });
  const received = record(watcher);
  await watcher.subscribeAsync('rate/#', { qos: 2 });
  const marker = await pool.connect({ protocolVersion: 5, clientId: 'marker' });
  let markers = 0;
  return {
    received,
    // Messages are routed in order per client, and a later marker arrives after anything routed before it.
    flush: async () => {
      const body = `m${markers++}`;
      await marker.publishAsync('rate/marker', body, { qos: 1 });
      await messageOn(received, 'rate/marker', body);
    },
  };
}

const from = (received: Received[], topic: string): Received[] => received.filter((message) => message.topic === topic);

/** QoS 0 burst: 20 messages of 200 bytes against a 1,000 bytes/s budget; what is over it is dropped and counted, nothing waits. */
async function qos0BurstIsCut(server: TestBroker, pool: ClientPool, received: Received[], clientId: string): Promise<void> {
  const stats = server.broker.authorization!.stats;
  const limitedBefore = stats.publishRateLimited;
  const client = await pool.connect({ protocolVersion: 5, clientId });
  for (let index = 0; index < 20; index++) client.publish(`rate/${clientId}`, payload(index), { qos: 0 });
  const routed = (): Received[] => from(received, `rate/${clientId}`);
  const dropped = (): number => stats.publishRateLimited - limitedBefore;
  await waitFor(() => routed().length + dropped() === 20, 'every QoS 0 message routed or dropped');
  const indexes = routed().map((message) => Number(message.payload.replace(/\.+$/, '')));
  // The first second's budget (1,000 bytes: 5 messages) goes through, in order; then only what the refill allows.
  assert.deepEqual(indexes.slice(0, 1000 / PAYLOAD), [0, 1, 2, 3, 4]);
  assert.ok(dropped() > 0, 'nothing was dropped');
  assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
}

test('byte rate - policy drop: QoS 1 over bytes_per_second gets PUBACK 0x97 and is not routed; QoS 0 over it is dropped', () =>
  withRateLimitedBroker({ bytesPerSecond: 1000, policy: 'drop' }, async (server, pool) => {
    const watched = await watch(pool);
    const publisher = await pool.connect({ protocolVersion: 5, clientId: 'bulk' });
    const started = Date.now();
    const codes = await Promise.all(Array.from({ length: 20 }, (_, index) => pubackCode(publisher, 'rate/bulk', payload(index))));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const accepted = codes.filter((code) => code === 0).length;
    const refused = codes.filter((code) => code === 0x97).length;
    assert.equal(accepted + refused, 20, `unexpected codes ${codes.join(',')}`);
    // One second's worth (1,000 bytes = 5 messages) up front, then the refill while the burst lasted.
    const perSecond = 1000 / PAYLOAD;
    assert.ok(accepted >= perSecond && accepted <= perSecond + Math.ceil(elapsedSeconds * perSecond) + 1, `accepted ${accepted} in ${elapsedSeconds} s`);
    assert.ok(refused > 0);
    await watched.flush();
    assert.equal(from(watched.received, 'rate/bulk').length, accepted);
    assert.equal(server.broker.authorization!.stats.publishRateLimited, refused);

    await qos0BurstIsCut(server, pool, watched.received, 'quiet-drop');
  }));

for (const protocolVersion of [4, 5] as const) {
  const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';
  test(`byte rate - policy slow, ${v}: every QoS 1 and QoS 2 message arrives, acknowledged at the byte rate`, () =>
    withRateLimitedBroker({ bytesPerSecond: 2000, policy: 'slow' }, async (server, pool) => {
      const watched = await watch(pool);
      for (const qos of [1, 2] as const) {
        const publisher = await pool.connect({ protocolVersion, clientId: `paced-${qos}` });
        const started = Date.now();
        await Promise.all(Array.from({ length: 20 }, (_, index) => publisher.publishAsync(`rate/paced-${qos}`, payload(index), { qos })));
        const elapsed = Date.now() - started;
        await watched.flush();
        const routed = from(watched.received, `rate/paced-${qos}`);
        assert.deepEqual(routed.map((message) => message.payload), Array.from({ length: 20 }, (_, index) => payload(index)));
        // 4,000 bytes against 2,000 bytes/s with one second's worth up front: the last acknowledgement comes after about 1 s.
        assert.ok(elapsed >= 900, `QoS ${qos}: 4,000 bytes at 2,000 bytes/s acknowledged within ${elapsed} ms`);
        assert.ok(elapsed < 5000, `QoS ${qos}: took ${elapsed} ms`);
      }
      assert.equal(server.broker.authorization!.stats.publishRateLimited > 0, true);
    }));
}

test('byte rate - policy slow: QoS 0 over bytes_per_second is dropped, not held', () =>
  withRateLimitedBroker({ bytesPerSecond: 1000, policy: 'slow' }, async (server, pool) => {
    await qos0BurstIsCut(server, pool, (await watch(pool)).received, 'quiet-slow');
  }));

test('byte rate - policy disconnect: the PUBLISH that goes over bytes_per_second gets DISCONNECT 0x96', () =>
  withRateLimitedBroker({ bytesPerSecond: 1000, policy: 'disconnect' }, async (server, pool) => {
    const publisher: mqtt.MqttClient = await pool.connect({ protocolVersion: 5, clientId: 'big' });
    const disconnected = new Promise<number | undefined>((resolve) => publisher.once('disconnect', (packet) => resolve(packet.reasonCode)));
    // 600 + 600 bytes spend the budget (it may go below zero once); the third is over it.
    for (let index = 0; index < 3; index++) publisher.publish('rate/big', 'x'.repeat(600), { qos: 0 });
    assert.equal(await disconnected, 0x96);
    assert.equal(server.broker.authorization!.stats.publishRateLimited, 1);
  }));
