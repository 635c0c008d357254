// Registry histograms (fixed buckets, cumulative at collection) and the Prometheus exposition of a
// registry: names, _total on counters, labels kept, histogram series, the EMQX-named and scaled gauges.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, MetricsRegistry, PrometheusExporter, prometheusName } from '../../../src/internal.js';

test('histogram - a value on a bound counts in that bucket; cumulative counts, sum and count; bounds must ascend', () => {
  const histogram = new Histogram([0.001, 0.01, 0.1]);
  for (const value of [0.0005, 0.001, 0.002, 0.5, 0.05]) histogram.observe(value);
  const snapshot = histogram.snapshot();
  assert.deepEqual(snapshot.cumulative, [2, 3, 4, 5]);
  assert.equal(snapshot.count, 5);
  assert.ok(Math.abs(snapshot.sum - 0.5535) < 1e-12);
  assert.throws(() => new Histogram([0.1, 0.1]), /must ascend/);
});

test('histogram - registered histograms read their histogram at collection, and count as their observations', () => {
  const metrics = new MetricsRegistry();
  let histogram: Histogram | undefined;
  metrics.registerHistogram({ name: 'store.commit.seconds', help: 'Commit seconds', bounds: [0.01, 0.1] }, () => histogram);
  assert.deepEqual(metrics.family('store.commit.seconds')!.samples, [{ labels: {}, value: 0, histogram: { bounds: [0.01, 0.1], cumulative: [0, 0, 0], sum: 0, count: 0 } }]);
  histogram = new Histogram([0.01, 0.1]);
  histogram.observe(0.05);
  assert.equal(metrics.value('store.commit.seconds'), 1);
  assert.throws(() => metrics.register({ name: 'x.histogram', help: 'X', type: 'histogram' }, () => undefined), /registerHistogram/);
});

test('prometheus - names: starling_ and underscores, _total on counters, EMQX names and seconds where the table says', () => {
  assert.equal(prometheusName({ name: 'messages.dropped', type: 'counter' }), 'starling_messages_dropped_total');
  assert.equal(prometheusName({ name: 'subscriptions.shared.count', type: 'gauge' }), 'starling_subscriptions_shared_count');
  assert.equal(prometheusName({ name: 'store.commit.seconds', type: 'histogram' }), 'starling_store_commit_seconds');
  assert.equal(prometheusName({ name: 'clients.connected', type: 'gauge' }), 'starling_live_connections_count');
  assert.equal(prometheusName({ name: 'eventloop.delay.p99', type: 'gauge' }), 'starling_eventloop_delay_p99_seconds');
});

test('prometheus - the exposition renders labels, histogram series and scaled gauges, and follows new metrics', async () => {
  const metrics = new MetricsRegistry();
  const dropped = { queue_full: 3 };
  metrics.register({ name: 'messages.dropped', help: 'Dropped', type: 'counter', labelNames: ['reason'] }, (sample) => sample(dropped.queue_full, { reason: 'queue_full' }));
  metrics.registerReading({ name: 'eventloop.delay.p99', help: 'Delay p99 in ms', type: 'gauge' }, () => 12);
  const histogram = new Histogram([0.01]);
  histogram.observe(0.5);
  metrics.registerHistogram({ name: 'store.commit.seconds', help: 'Commit seconds', bounds: [0.01] }, () => histogram);
  const exporter = new PrometheusExporter(metrics);
  const text = await exporter.scrape();
  assert.match(text, /^# TYPE starling_messages_dropped_total counter\nstarling_messages_dropped_total\{reason="queue_full"\} 3$/m);
  assert.match(text, /^starling_eventloop_delay_p99_seconds 0\.012$/m);
  assert.match(text, /^# TYPE starling_store_commit_seconds histogram\nstarling_store_commit_seconds_bucket\{le="0\.01"\} 0\nstarling_store_commit_seconds_bucket\{le="\+Inf"\} 1\nstarling_store_commit_seconds_sum 0\.5\nstarling_store_commit_seconds_count 1$/m);
  assert.match(text, /^process_cpu_seconds_total /m);
  assert.doesNotMatch(text, /^(process_open_fds|nodejs_active_handles)/m, 'nothing that lists every socket');
  dropped.queue_full = 4;
  metrics.registerReading({ name: 'retained.count', help: 'Retained', type: 'gauge' }, () => 7);
  const again = await exporter.scrape();
  assert.match(again, /^starling_messages_dropped_total\{reason="queue_full"\} 4$/m, 'read at each scrape');
  assert.match(again, /^starling_retained_count 7$/m, 'a metric registered after the first scrape');
});
