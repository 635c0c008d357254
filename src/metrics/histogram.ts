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
