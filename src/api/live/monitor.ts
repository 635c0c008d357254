// The broker's chart data: a sample of its metrics every 10 s kept for an hour, and a 1 min sample
// (six 10 s samples folded together) kept for a day, both in fixed ring buffers, so that a chart of
// any range up to a day is drawn from the server's own history and survives a page reload.
//
// A sample holds gauges as read at its end (sessions, connections, subscriptions, topics, retained,
// store size) and counter deltas over its interval (messages received/sent/dropped, drops by reason,
// bytes in/out, store commits and their latency). Everything is read from the metrics registry, the
// figures the Prometheus endpoint serves; a delta is the increase since the previous sample, so samples
// cover the whole time without gaps or overlap. Commit latency percentiles come from the increase of
// the `store.commit.seconds` histogram's buckets over the interval, estimated within a bucket as
// Prometheus' histogram_quantile does.

import { bucketIncrease, bucketQuantile, type HistogramSnapshot } from '../../metrics/histogram.js';
import type { MetricsReader } from '../../metrics/registry.js';

const COMMIT_HISTOGRAM = 'store.commit.seconds';
const STORE_SIZE = 'store.size.bytes';

export interface MonitorSample {
  /** End of the interval, milliseconds since the epoch. */
  time: number;
  /** Seconds the sample covers (10, or 60 for the folded ones). */
  interval: number;
  sessions: number;
  connections: number;
  subscriptions: number;
  sharedSubscriptions: number;
  topics: number;
  retained: number;
  /** Bytes the store uses on disk; undefined without a store (durability: memory). */
  storeBytes: number | undefined;
  received: number;
  sent: number;
  dropped: number;
  droppedByReason: Record<string, number>;
  bytesReceived: number;
  bytesSent: number;
  /** Store commits that ended in the interval. */
  commits: number;
  /** Commit latency percentiles over the interval, milliseconds; undefined without commits. */
  commitLatencyP50: number | undefined;
  commitLatencyP99: number | undefined;
  /** The commits per histogram bucket (kept to fold samples; undefined without commits). */
  commitBuckets: number[] | undefined;
}

export interface MonitorOptions {
  /** Milliseconds between samples. */
  intervalMs: number;
  /** Samples kept at that interval. */
  fineCapacity: number;
  /** Fine samples folded into one coarse sample. */
  coarseEvery: number;
  coarseCapacity: number;
}

export const MONITOR_DEFAULTS: MonitorOptions = { intervalMs: 10_000, fineCapacity: 360, coarseEvery: 6, coarseCapacity: 1440 };

/** Cumulative counters at one moment. */
interface CounterReading {
  received: number;
  sent: number;
  droppedByReason: Record<string, number>;
  bytesReceived: number;
  bytesSent: number;
  commits: HistogramSnapshot | undefined;
}

/** The per-second rates since the last sample, and the gauges now (EMQX's monitor_current). */
export interface CurrentRates {
  received: number;
  sent: number;
  dropped: number;
  bytesReceived: number;
  bytesSent: number;
  /** Commit latency percentiles since the last sample (ms), undefined without commits. */
  commitLatencyP50: number | undefined;
  commitLatencyP99: number | undefined;
}

/** A ring of the newest `capacity` samples. */
class SampleRing {
  private readonly items: Array<MonitorSample | undefined>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<MonitorSample | undefined>(capacity);
  }

  push(sample: MonitorSample): void {
    this.items[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Oldest first. */
  values(): MonitorSample[] {
    const values: MonitorSample[] = [];
    for (let i = this.count; i > 0; i--) values.push(this.items[(this.next - i + this.capacity) % this.capacity]!);
    return values;
  }

  get last(): MonitorSample | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}

export class Monitor {
  private readonly fine: SampleRing;
  private readonly coarse: SampleRing;
  /** Fine samples not yet folded into a coarse one. */
  private folding: MonitorSample[] = [];
  private previous: { time: number; counters: CounterReading };
  private timer: NodeJS.Timeout | undefined;

  /** The commit histogram's bucket bounds (seconds), once a reading had them. */
  private commitBounds: readonly number[] = [];

  /** `hasStore` says whether there is a store at all (with durability 'memory' its size is null, not 0). */
  constructor(
    private readonly metrics: MetricsReader,
    private readonly hasStore: () => boolean,
    readonly options: MonitorOptions = MONITOR_DEFAULTS,
    now = Date.now(),
  ) {
    this.fine = new SampleRing(options.fineCapacity);
    this.coarse = new SampleRing(options.coarseCapacity);
    this.previous = { time: now, counters: this.readCounters() };
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.options.intervalMs).unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a sample now (the timer does every interval). */
  sample(now = Date.now()): MonitorSample {
    const counters = this.readCounters();
    const before = this.previous.counters;
    const droppedByReason: Record<string, number> = {};
    let dropped = 0;
    for (const [reason, value] of Object.entries(counters.droppedByReason)) {
      const delta = increase(before.droppedByReason[reason] ?? 0, value);
      droppedByReason[reason] = delta;
      dropped += delta;
    }
    const sample: MonitorSample = {
      time: now,
      interval: Math.max(0, Math.round((now - this.previous.time) / 1000)),
      ...this.readGauges(),
      received: increase(before.received, counters.received),
      sent: increase(before.sent, counters.sent),
      dropped,
      droppedByReason,
      bytesReceived: increase(before.bytesReceived, counters.bytesReceived),
      bytesSent: increase(before.bytesSent, counters.bytesSent),
      ...this.commitFigures(counters.commits === undefined ? undefined : bucketIncrease(before.commits, counters.commits)),
    };
    this.previous = { time: now, counters };
    this.fine.push(sample);
    this.folding.push(sample);
    if (this.folding.length >= this.options.coarseEvery) {
      this.coarse.push(fold(this.folding, this.commitBounds));
      this.folding = [];
    }
    return sample;
  }

  /**
   * The samples of the last `latestSeconds` (all when undefined), oldest first: folded samples for the
   * time before the oldest 10 s sample, then the 10 s samples.
   */
  samples(latestSeconds?: number, now = Date.now()): MonitorSample[] {
    const since = latestSeconds === undefined ? Number.NEGATIVE_INFINITY : now - latestSeconds * 1000;
    const fine = this.fine.values();
    const fineStart = fine[0] === undefined ? Number.POSITIVE_INFINITY : fine[0].time - fine[0].interval * 1000;
    const older = this.coarse.values().filter((sample) => sample.time <= fineStart);
    return [...older, ...fine].filter((sample) => sample.time > since);
  }

  /** Per-second rates since the last sample (or over the last sample, when it was taken less than a second ago). */
  current(now = Date.now()): CurrentRates {
    const elapsed = (now - this.previous.time) / 1000;
    const last = this.fine.last;
    if (elapsed < 1) {
      if (last === undefined || last.interval === 0) return { received: 0, sent: 0, dropped: 0, bytesReceived: 0, bytesSent: 0, commitLatencyP50: undefined, commitLatencyP99: undefined };
      const per = (value: number): number => Math.round(value / last.interval);
      return {
        received: per(last.received),
        sent: per(last.sent),
        dropped: per(last.dropped),
        bytesReceived: per(last.bytesReceived),
        bytesSent: per(last.bytesSent),
        commitLatencyP50: last.commitLatencyP50,
        commitLatencyP99: last.commitLatencyP99,
      };
    }
    const counters = this.readCounters();
    const before = this.previous.counters;
    const rate = (from: number, to: number): number => Math.round(increase(from, to) / elapsed);
    let dropped = 0;
    for (const [reason, value] of Object.entries(counters.droppedByReason)) dropped += increase(before.droppedByReason[reason] ?? 0, value);
    return {
      received: rate(before.received, counters.received),
      sent: rate(before.sent, counters.sent),
      dropped: Math.round(dropped / elapsed),
      bytesReceived: rate(before.bytesReceived, counters.bytesReceived),
      bytesSent: rate(before.bytesSent, counters.bytesSent),
      ...percentiles(this.commitBounds, counters.commits === undefined ? undefined : bucketIncrease(before.commits, counters.commits)),
    };
  }

  /** Forgets every sample (DELETE /api/v5/monitor); the next one counts from now. */
  clear(now = Date.now()): void {
    this.fine.clear();
    this.coarse.clear();
    this.folding = [];
    this.previous = { time: now, counters: this.readCounters() };
  }

  private readGauges(): Pick<MonitorSample, 'sessions' | 'connections' | 'subscriptions' | 'sharedSubscriptions' | 'topics' | 'retained' | 'storeBytes'> {
    const metrics = this.metrics;
    return {
      sessions: metrics.value('sessions.count'),
      connections: metrics.value('clients.connected'),
      subscriptions: metrics.value('subscriptions.count'),
      sharedSubscriptions: metrics.value('subscriptions.shared.count'),
      topics: metrics.value('topics.count'),
      retained: metrics.value('retained.count'),
      storeBytes: this.hasStore() ? metrics.family(STORE_SIZE)?.samples[0]?.value : undefined,
    };
  }

  private commitFigures(buckets: number[] | undefined): Pick<MonitorSample, 'commits' | 'commitLatencyP50' | 'commitLatencyP99' | 'commitBuckets'> {
    let commits = 0;
    for (const count of buckets ?? []) commits += count;
    return { commits, commitBuckets: buckets, ...percentiles(this.commitBounds, buckets) };
  }

  private readCounters(): CounterReading {
    const metrics = this.metrics;
    const droppedByReason: Record<string, number> = {};
    for (const sample of metrics.family('messages.dropped')?.samples ?? []) {
      const reason = sample.labels['reason'] ?? 'other';
      droppedByReason[reason] = (droppedByReason[reason] ?? 0) + sample.value;
    }
    const commits = metrics.family(COMMIT_HISTOGRAM)?.samples[0]?.histogram;
    if (commits !== undefined) this.commitBounds = commits.bounds;
    return {
      received: metrics.value('messages.received'),
      sent: metrics.value('messages.sent'),
      droppedByReason,
      bytesReceived: metrics.value('bytes.received'),
      bytesSent: metrics.value('bytes.sent'),
      commits,
    };
  }
}

/** A counter's increase; a counter that went down (restarted) counts from zero. */
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/** p50 and p99 of the commits counted per bucket, in milliseconds (3 decimals). */
function percentiles(bounds: readonly number[], buckets: readonly number[] | undefined): { commitLatencyP50: number | undefined; commitLatencyP99: number | undefined } {
  const milliseconds = (q: number): number | undefined => {
    const seconds = buckets === undefined ? undefined : bucketQuantile(bounds, buckets, q);
    return seconds === undefined ? undefined : Math.round(seconds * 1_000_000) / 1000;
  };
  return { commitLatencyP50: milliseconds(0.5), commitLatencyP99: milliseconds(0.99) };
}

/** Bucket counts added up; undefined when none of them has any. */
function addBuckets(samples: readonly MonitorSample[]): number[] | undefined {
  let total: number[] | undefined;
  for (const sample of samples) {
    const buckets = sample.commitBuckets;
    if (buckets === undefined) continue;
    if (total === undefined) total = [...buckets];
    else for (let i = 0; i < buckets.length; i++) total[i] = (total[i] ?? 0) + buckets[i]!;
  }
  return total;
}

/** Several consecutive samples as one: gauges of the last, deltas summed, commit percentiles over them all. */
function fold(samples: readonly MonitorSample[], commitBounds: readonly number[]): MonitorSample {
  const last = samples[samples.length - 1]!;
  const droppedByReason: Record<string, number> = {};
  const commitBuckets = addBuckets(samples);
  const sum = (field: 'interval' | 'received' | 'sent' | 'dropped' | 'bytesReceived' | 'bytesSent' | 'commits'): number => samples.reduce((total, sample) => total + sample[field], 0);
  for (const sample of samples) {
    for (const [reason, value] of Object.entries(sample.droppedByReason)) droppedByReason[reason] = (droppedByReason[reason] ?? 0) + value;
  }
  return {
    ...last,
    interval: sum('interval'),
    received: sum('received'),
    sent: sum('sent'),
    dropped: sum('dropped'),
    droppedByReason,
    bytesReceived: sum('bytesReceived'),
    bytesSent: sum('bytesSent'),
    commits: sum('commits'),
    commitBuckets,
    ...percentiles(commitBounds, commitBuckets),
  };
}
