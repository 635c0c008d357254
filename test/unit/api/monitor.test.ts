// The monitor's ring buffers against a real metrics registry whose counters the test moves: deltas
// per sample, drops by reason, folding six 10 s samples into one, the rings keeping only their
// newest samples, `latest`, rates since the last sample, and clear().

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry, Monitor } from '../../../src/internal.js';

function registry() {
  const state = { sessions: 0, connected: 0, received: 0, sent: 0, noSubscribers: 0, queueFull: 0, bytesIn: 0, bytesOut: 0 };
  const metrics = new MetricsRegistry();
  const reading = (name: string, read: () => number): void => metrics.registerReading({ name, help: name, type: 'gauge' }, read);
  reading('sessions.count', () => state.sessions);
  reading('clients.connected', () => state.connected);
  reading('subscriptions.count', () => 3);
  reading('subscriptions.shared.count', () => 1);
  reading('topics.count', () => 2);
  reading('retained.count', () => 4);
  reading('messages.received', () => state.received);
  reading('messages.sent', () => state.sent);
  reading('bytes.received', () => state.bytesIn);
  reading('bytes.sent', () => state.bytesOut);
  metrics.register({ name: 'messages.dropped', help: 'drops', type: 'counter', labelNames: ['reason'] }, (sample) => {
    sample(state.noSubscribers, { reason: 'no_subscribers' });
    sample(state.queueFull, { reason: 'queue_full' });
  });
  return { metrics, state };
}

test('monitor - each sample holds gauges at its end and counter deltas over its interval', () => {
  const { metrics, state } = registry();
  const start = 1_000_000;
  const monitor = new Monitor(metrics, () => 8192, { intervalMs: 10_000, fineCapacity: 10, coarseEvery: 6, coarseCapacity: 10 }, start);
  state.received = 50;
  state.sent = 40;
  state.noSubscribers = 7;
  state.bytesIn = 1000;
  state.sessions = 5;
  state.connected = 4;
  const first = monitor.sample(start + 10_000);
  assert.deepEqual(first, {
    time: start + 10_000,
    interval: 10,
    sessions: 5,
    connections: 4,
    subscriptions: 3,
    sharedSubscriptions: 1,
    topics: 2,
    retained: 4,
    storeBytes: 8192,
    received: 50,
    sent: 40,
    dropped: 7,
    droppedByReason: { no_subscribers: 7, queue_full: 0 },
    bytesReceived: 1000,
    bytesSent: 0,
  });
  state.received = 80;
  state.queueFull = 2;
  const second = monitor.sample(start + 20_000);
  assert.deepEqual([second.received, second.sent, second.dropped, second.droppedByReason], [30, 0, 2, { no_subscribers: 0, queue_full: 2 }]);
  // Rates since the last sample
  state.received = 180;
  assert.equal(monitor.current(start + 30_000).received, 10);
  // Taken less than a second after a sample: the rates of that sample
  assert.equal(monitor.current(start + 20_500).received, 3);
});

test('monitor - six samples fold into one; the rings keep their newest; latest selects by time; clear forgets', () => {
  const { metrics, state } = registry();
  const start = 0;
  const monitor = new Monitor(metrics, () => undefined, { intervalMs: 10_000, fineCapacity: 12, coarseEvery: 6, coarseCapacity: 3 }, start);
  for (let i = 1; i <= 30; i++) {
    state.received += i;
    state.connected = i;
    monitor.sample(start + i * 10_000);
  }
  // 30 fine samples: the last 12 are kept (19..30); 5 folded ones were made, the last 3 kept (13..18, 19..24, 25..30)
  const all = monitor.samples(undefined, start + 300_000);
  const folded = all.filter((sample) => sample.interval === 60);
  const fine = all.filter((sample) => sample.interval === 10);
  assert.deepEqual(fine.map((sample) => sample.connections), Array.from({ length: 12 }, (_, i) => 19 + i));
  // Only the folded samples older than the oldest fine one: the one ending at sample 18
  assert.deepEqual(folded.map((sample) => [sample.time, sample.connections, sample.received]), [[180_000, 18, 13 + 14 + 15 + 16 + 17 + 18]]);
  assert.deepEqual(all.map((sample) => sample.time), [...all.map((sample) => sample.time)].sort((a, b) => a - b));
  const latest = monitor.samples(35, start + 300_000);
  assert.deepEqual(latest.map((sample) => sample.connections), [27, 28, 29, 30]);
  monitor.clear(start + 300_000);
  assert.deepEqual(monitor.samples(undefined, start + 300_000), []);
  state.received += 5;
  assert.equal(monitor.sample(start + 310_000).received, 5);
});
