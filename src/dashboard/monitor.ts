// Turns the broker's monitor samples (GET /api/v5/monitor, EMQX's shape: gauges at sample time and
// counts since the previous sample) into chart series: gauges as they are, counts divided by the
// time between samples, so a rate is right whatever the sampling interval of that age.

export type Sample = { time_stamp: number; interval?: number; dropped_by_reason?: Record<string, number> } & Record<string, unknown>;

export interface SeriesSpec {
  label: string;
  /** The sample field, first one present wins (names differ between API versions). */
  keys: string[];
  kind: 'gauge' | 'count';
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: 'count' | 'rate' | 'bytes' | 'bytes-rate' | 'ms';
  series: SeriesSpec[];
  /** Also chart each entry of this object field (dropped_by_reason: {reason: count}), as counts. */
  breakdown?: string;
}

export const CHARTS: ChartSpec[] = [
  { id: 'connections', title: 'Connections', unit: 'count', series: [{ label: 'sessions', keys: ['connections'], kind: 'gauge' }, { label: 'connected', keys: ['live_connections'], kind: 'gauge' }] },
  { id: 'messages', title: 'Messages per second', unit: 'rate', series: [{ label: 'in', keys: ['received'], kind: 'count' }, { label: 'out', keys: ['sent'], kind: 'count' }] },
  { id: 'dropped', title: 'Dropped per second', unit: 'rate', series: [{ label: 'all', keys: ['dropped'], kind: 'count' }], breakdown: 'dropped_by_reason' },
  { id: 'bytes', title: 'Bytes per second', unit: 'bytes-rate', series: [{ label: 'in', keys: ['received_bytes', 'bytes_received', 'bytes.received'], kind: 'count' }, { label: 'out', keys: ['sent_bytes', 'bytes_sent', 'bytes.sent'], kind: 'count' }] },
  { id: 'subscriptions', title: 'Subscriptions and topics', unit: 'count', series: [{ label: 'subscriptions', keys: ['subscriptions'], kind: 'gauge' }, { label: 'topics', keys: ['topics'], kind: 'gauge' }, { label: 'shared', keys: ['shared_subscriptions', 'subscriptions_shared'], kind: 'gauge' }] },
  { id: 'retained', title: 'Retained messages', unit: 'count', series: [{ label: 'retained', keys: ['retained', 'retained_msg_count', 'retained_count'], kind: 'gauge' }] },
  { id: 'store', title: 'Store size', unit: 'bytes', series: [{ label: 'size', keys: ['store_size', 'store_bytes', 'store.size'], kind: 'gauge' }] },
  { id: 'commit', title: 'Store commit latency', unit: 'ms', series: [{ label: 'p99', keys: ['commit_latency_p99', 'store_commit_latency_p99', 'commit_latency'], kind: 'gauge' }, { label: 'p50', keys: ['commit_latency_p50', 'store_commit_latency_p50'], kind: 'gauge' }] },
];

export interface BuiltChart {
  spec: ChartSpec;
  times: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

function firstKey(samples: readonly Sample[], keys: readonly string[]): string | undefined {
  return keys.find((key) => samples.some((sample) => typeof sample[key] === 'number'));
}

/**
 * Seconds a sample's counts cover: the time since the sample before it (exact, also across the 10 s
 * and 1 min rings), or for the first one its own `interval` (whole seconds, as Starling reports it).
 */
function secondsOf(samples: readonly Sample[], index: number): number {
  const sample = samples[index]!;
  const previous = samples[index - 1];
  if (previous !== undefined) return (sample.time_stamp - previous.time_stamp) / 1000;
  if (typeof sample.interval === 'number' && sample.interval > 0) return sample.interval;
  const next = samples[index + 1];
  return next !== undefined ? (next.time_stamp - sample.time_stamp) / 1000 : 10;
}

function rates(samples: readonly Sample[], read: (sample: Sample) => unknown): Array<number | null> {
  return samples.map((sample, index) => {
    const value = read(sample);
    if (typeof value !== 'number') return null;
    const seconds = secondsOf(samples, index);
    return seconds > 0 ? value / seconds : null;
  });
}

/** The charts the samples hold data for; the others are named in `missing`. */
export function buildCharts(samples: readonly Sample[]): { charts: BuiltChart[]; missing: string[] } {
  const times = samples.map((sample) => sample.time_stamp / 1000);
  const charts: BuiltChart[] = [];
  const missing: string[] = [];
  for (const spec of CHARTS) {
    const series: BuiltChart['series'] = [];
    for (const entry of spec.series) {
      const key = firstKey(samples, entry.keys);
      if (key === undefined) continue;
      series.push({ label: entry.label, values: entry.kind === 'count' ? rates(samples, (sample) => sample[key]) : samples.map((sample) => (typeof sample[key] === 'number' ? (sample[key] as number) : null)) });
    }
    const breakdown = spec.breakdown;
    if (breakdown !== undefined) {
      const reasons = new Set<string>();
      for (const sample of samples) for (const [reason, value] of Object.entries((sample[breakdown] as Record<string, number> | undefined) ?? {})) if (value > 0) reasons.add(reason);
      for (const reason of [...reasons].sort()) series.push({ label: reason, values: rates(samples, (sample) => (sample[breakdown] as Record<string, number> | undefined)?.[reason] ?? 0) });
    }
    if (series.length === 0) missing.push(spec.title);
    else charts.push({ spec, times, series });
  }
  return { charts, missing };
}
