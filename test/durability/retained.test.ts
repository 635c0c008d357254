// Retained messages across a restart (issue 3): they come back with their QoS, properties and
// deletions, and a large set (20k here; 1M in `npm run bench:durability`) loads quickly and answers a
// wildcard subscription with exactly the matching topics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

async function retainedFor(url: string, filter: string, expected: number): Promise<Map<string, { payload: string; qos: number; contentType: string | undefined }>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  const seen = new Map<string, { payload: string; qos: number; contentType: string | undefined }>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain) seen.set(topic, { payload: payload.toString(), qos: packet.qos, contentType: packet.properties?.contentType });
  });
  try {
    await client.subscribeAsync(filter, { qos: 2 });
    await waitFor(() => seen.size >= expected, `${expected} retained messages on ${filter}`);
    // Anything beyond the expected set would already be on its way: a QoS 1 round trip lets it land.
    await client.publishAsync('retained-test/ping', 'x', { qos: 1 });
  } finally {
    await client.endAsync();
  }
  return seen;
}

test('retained - retained messages survive a restart with QoS and properties; a deleted one stays deleted', async () => {
  let broker: TestBroker = await startBroker({ durability: 'sync' });
  try {
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await client.publishAsync('home/kitchen/temp', '21.5', { qos: 1, retain: true, properties: { contentType: 'text/plain' } });
    await client.publishAsync('home/hall/temp', '19.0', { qos: 2, retain: true });
    await client.publishAsync('home/attic/temp', 'old', { qos: 1, retain: true });
    await client.publishAsync('home/attic/temp', '', { qos: 1, retain: true }); // deletes it [MQTT-3.3.1-6]
    await client.publishAsync('home/hall/temp', '19.5', { qos: 1, retain: true }); // replaces it
    await client.endAsync();

    broker = await broker.restart();
    assert.equal(broker.broker.counters.retainedMessages, 2);
    const seen = await retainedFor(broker.url, 'home/+/temp', 2);
    assert.deepEqual(Object.fromEntries(seen), {
      'home/kitchen/temp': { payload: '21.5', qos: 1, contentType: 'text/plain' },
      'home/hall/temp': { payload: '19.5', qos: 1, contentType: undefined },
    });
  } finally {
    await broker.close();
  }
});

test('retained - 20k retained messages reload after a restart and a wildcard subscribe gets exactly its matches', async () => {
  const { Writable } = await import('node:stream');
  const { createLogger } = await import('../../src/internal.js');
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    { logLevel: 'info', logPretty: false },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    }),
  );
  let broker: TestBroker = await startBroker({ durability: 'sync', logger });
  try {
    // 200 sites x 100 sensors, written through the broker (and so through the store).
    for (let site = 0; site < 200; site++) {
      for (let sensor = 0; sensor < 100; sensor++) {
        broker.broker.publish({ topic: `site/${site}/sensor/${sensor}`, payload: Buffer.from(`${site}.${sensor}`), qos: 1, retain: true });
      }
    }
    broker = await broker.restart();
    assert.equal(broker.broker.counters.retainedMessages, 20_000);
    const loaded = lines.filter((line) => line['msg'] === 'store loaded').at(-1);
    assert.equal(loaded?.['retained'], 20_000);
    assert.ok((loaded?.['ms'] as number) < 5000, `20k retained loaded in ${String(loaded?.['ms'])} ms`);

    const started = Date.now();
    const seen = await retainedFor(broker.url, 'site/+/sensor/42', 200);
    const took = Date.now() - started;
    assert.equal(seen.size, 200);
    for (let site = 0; site < 200; site++) assert.equal(seen.get(`site/${site}/sensor/42`)?.payload, `${site}.42`);
    assert.ok(took < 2000, `wildcard subscribe answered in ${took} ms`);

    const one = await retainedFor(broker.url, 'site/7/#', 100);
    assert.equal(one.size, 100);
    assert.ok([...one.keys()].every((topic) => topic.startsWith('site/7/')));
  } finally {
    await broker.close();
  }
});
