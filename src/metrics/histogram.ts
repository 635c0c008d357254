// A histogram of fixed buckets for things observed off the per-message path (a store commit's
// duration): observe() adds one count to one bucket; readers get cumulative counts when they collect.

export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ascending; the last bucket (+Inf) is implied. */
  readonly bounds: readonly number[];
  /** Observations at or below each bound, then the total (the +Inf bucket): `bounds.length + 1` entries. */
  readonly cumulative: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram {
  /** Observations per bucket (not cumulative); the last one is over every bound. */
  private readonly counts: Float64Array;
  private total = 0;
  private observations = 0;

  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`histogram bounds must ascend: ${bounds.join(', ')}`);
    }
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.total += value;
    this.observations++;
  }

  snapshot(): HistogramSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (const count of this.counts) cumulative.push((running += count));
    return { bounds: this.bounds, cumulative, sum: this.total, count: this.observations };
  }
}

/**
 * Observations per bucket (not cumulative, `bounds.length + 1` entries) between two snapshots of one
 * histogram; undefined when nothing was observed in between. A histogram that restarted (fewer
 * observations than before) counts from zero.
 */
export function bucketIncrease(before: HistogramSnapshot | undefined, after: HistogramSnapshot): number[] | undefined {
  const restarted = before === undefined || after.count < before.count;
  if (!restarted && after.count === before.count) return undefined;
  if (restarted && after.count === 0) return undefined;
  const counts: number[] = [];
  let previous = 0;
  for (let i = 0; i < after.cumulative.length; i++) {
    const cumulative = after.cumulative[i]! - (restarted ? 0 : before.cumulative[i]!);
    counts.push(cumulative - previous);
    previous = cumulative;
  }
  return counts;
}

/**
 * The `q` quantile (0..1) of observations counted per bucket, as Prometheus' histogram_quantile
 * estimates it: linear within the bucket that holds the rank (from 0 for the first bucket), the
 * highest bound for ranks in the bucket past it. Undefined without observations.
 */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], q: number): number | undefined {
  let total = 0;
  for (const count of counts) total += count;
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = counts[i]!;
    if (inBucket > 0 && below + inBucket >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1];
}
