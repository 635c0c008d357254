// The monitor's ring buffers against a real metrics registry whose counters the test moves: deltas
// per sample, drops by reason, folding six 10 s samples into one, the rings keeping only their
// newest samples, `latest`, rates since the last sample, and clear(); the store's size and its commit
// latency percentiles from the registry's gauge and histogram (the increase of the buckets per interval).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, MetricsRegistry, Monitor } from '../../../src/internal.js';

/** The store's commit histogram's bounds (seconds). */
const BOUNDS = [0.001, 0.002, 0.005, 0.01, 0.1] as const;

function registry() {
  const state = { sessions: 0, connected: 0, received: 0, sent: 0, noSubscribers: 0, queueFull: 0, bytesIn: 0, bytesOut: 0, storeBytes: 8192 };
  const commits = new Histogram(BOUNDS);
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
  metrics.registerHistogram({ name: 'store.commit.seconds', help: 'commits', bounds: BOUNDS }, () => commits);
  reading('store.size.bytes', () => state.storeBytes);
  return { metrics, state, commits };
}

test('monitor - each sample holds gauges at its end and counter deltas over its interval', () => {
  const { metrics, state } = registry();
  const start = 1_000_000;
  const monitor = new Monitor(metrics, () => true, { intervalMs: 10_000, fineCapacity: 10, coarseEvery: 6, coarseCapacity: 10 }, start);
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
    commits: 0,
    commitLatencyP50: undefined,
    commitLatencyP99: undefined,
    commitBuckets: undefined,
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
  const monitor = new Monitor(metrics, () => false, { intervalMs: 10_000, fineCapacity: 12, coarseEvery: 6, coarseCapacity: 3 }, start);
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

test('monitor - store size from the registry (null without a store); commit latency p50/p99 per interval from the histogram buckets, folded samples too', () => {
  const { metrics, state, commits } = registry();
  const monitor = new Monitor(metrics, () => true, { intervalMs: 10_000, fineCapacity: 12, coarseEvery: 2, coarseCapacity: 4 }, 0);
  // Commits before the first sample belong to it, not to later ones
  for (let i = 0; i < 10; i++) commits.observe(0.05);
  const first = monitor.sample(10_000);
  assert.equal(first.commits, 10);
  // All ten in the (0.01, 0.1] bucket: the median interpolated halfway, the 99th near its top
  assert.equal(first.commitLatencyP50, 55);
  assert.equal(first.commitLatencyP99, 99.1);

  // Next interval: 100 commits, 98 of them fast (≤ 1 ms), 2 slow (in (5, 10] ms)
  for (let i = 0; i < 98; i++) commits.observe(0.0005);
  commits.observe(0.007);
  commits.observe(0.009);
  state.storeBytes = 16_384;
  const second = monitor.sample(20_000);
  assert.equal(second.commits, 100);
  assert.equal(second.storeBytes, 16_384);
  // rank 50 of 98 in [0, 1 ms]: 50/98 ms
  assert.equal(second.commitLatencyP50, Math.round((50 / 98) * 1000) / 1000);
  // rank 99: the first of the two in (5, 10] ms → 5 + 5 × 1/2
  assert.equal(second.commitLatencyP99, 7.5);
  assert.deepEqual(second.commitBuckets, [98, 0, 0, 2, 0, 0]);

  // No commit in an interval: no latency (a gap in the chart, not a zero)
  const third = monitor.sample(30_000);
  assert.deepEqual([third.commits, third.commitLatencyP50, third.commitLatencyP99], [0, undefined, undefined]);

  // Folded: the same two intervals again in a monitor keeping one fine sample, so the folded one is answered;
  // it holds the percentiles of their 110 commits together
  const coarse = new Monitor(metrics, () => true, { intervalMs: 10_000, fineCapacity: 1, coarseEvery: 2, coarseCapacity: 4 }, 0);
  for (let i = 0; i < 10; i++) commits.observe(0.05);
  coarse.sample(10_000);
  for (let i = 0; i < 98; i++) commits.observe(0.0005);
  commits.observe(0.007);
  commits.observe(0.009);
  coarse.sample(20_000);
  coarse.sample(30_000);
  const [pair] = coarse.samples(undefined, 30_000);
  assert.equal(pair!.interval, 20);
  assert.equal(pair!.commits, 110);
  assert.deepEqual(pair!.commitBuckets, [98, 0, 0, 2, 10, 0]);
  // rank 55 of 110: in the first bucket (98 there): 55/98 ms; rank 108.9: in the last bucket (10 there, 100 below) → 10 + 90 × 8.9/10
  assert.equal(pair!.commitLatencyP50, Math.round((55 / 98) * 1000) / 1000);
  assert.equal(pair!.commitLatencyP99, 90.1);

  // Rates since the last sample carry the percentiles too
  commits.observe(0.0015);
  assert.equal(coarse.current(32_000).commitLatencyP50, 1.5);

  // Without a store (durability memory) the size is null, whatever the registry's gauge reads
  const storeless = new Monitor(metrics, () => false, { intervalMs: 10_000, fineCapacity: 2, coarseEvery: 2, coarseCapacity: 2 }, 0);
  assert.equal(storeless.sample(10_000).storeBytes, undefined);
});
