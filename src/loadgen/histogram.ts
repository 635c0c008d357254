// A fixed log-linear latency histogram (HdrHistogram-like): constant memory, O(1) record, and mergeable
// across workers by adding bucket counts, so no arrays of samples travel between threads.
//
// Values are non-negative integers (the benchmark records microseconds). Values below 128 get their own
// bucket; above that each power of two is split into 128 equal buckets, so a reported percentile is
// within 1/128 (< 0.8 %) of the true value. Values at or above 2^32 land in the last bucket.

const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS;
const HIGHEST_EXPONENT = 31;
export const HISTOGRAM_BUCKET_COUNT = SUB_BUCKET_COUNT + (HIGHEST_EXPONENT - SUB_BUCKET_BITS + 1) * SUB_BUCKET_COUNT;
const LARGEST_TRACKABLE = 2 ** 32 - 1;

export function bucketIndex(value: number): number {
  const integer = value <= 0 ? 0 : value >= LARGEST_TRACKABLE ? LARGEST_TRACKABLE : Math.floor(value);
  if (integer < SUB_BUCKET_COUNT) return integer;
  const exponent = 31 - Math.clz32(integer);
  const shift = exponent - SUB_BUCKET_BITS;
  const mantissa = integer >>> shift; // in [128, 255]
  return SUB_BUCKET_COUNT + shift * SUB_BUCKET_COUNT + (mantissa - SUB_BUCKET_COUNT);
}

/** Smallest value that falls in the bucket. */
export function bucketLowerBound(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const shift = Math.floor((index - SUB_BUCKET_COUNT) / SUB_BUCKET_COUNT);
  const mantissa = SUB_BUCKET_COUNT + ((index - SUB_BUCKET_COUNT) % SUB_BUCKET_COUNT);
  return mantissa * 2 ** shift;
}

export function bucketWidth(index: number): number {
  if (index < SUB_BUCKET_COUNT) return 1;
  return 2 ** Math.floor((index - SUB_BUCKET_COUNT) / SUB_BUCKET_COUNT);
}

/** Plain data form, safe to post between threads and to merge. */
export interface HistogramSnapshot {
  counts: number[];
  count: number;
  minimum: number;
  maximum: number;
  sum: number;
}

export class Histogram {
  private counts = new Float64Array(HISTOGRAM_BUCKET_COUNT);
  count = 0;
  minimum = Number.POSITIVE_INFINITY;
  maximum = 0;
  sum = 0;

  record(value: number): void {
    const index = bucketIndex(value);
    this.counts[index]! += 1;
    this.count++;
    this.sum += value;
    if (value < this.minimum) this.minimum = value;
    if (value > this.maximum) this.maximum = value;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.minimum = Number.POSITIVE_INFINITY;
    this.maximum = 0;
    this.sum = 0;
  }

  merge(other: HistogramSnapshot): void {
    for (let index = 0; index < other.counts.length; index++) this.counts[index]! += other.counts[index] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.minimum = Math.min(this.minimum, other.minimum);
      this.maximum = Math.max(this.maximum, other.maximum);
    }
  }

  /**
   * The value at or below which `percent` % of recorded values fall: the middle of the bucket holding
   * that rank, clamped to the exact minimum and maximum seen (the top rank is the maximum). 0 when empty.
   */
  percentile(percent: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.count));
    if (rank >= this.count) return this.maximum; // the top rank is known exactly
    let seen = 0;
    for (let index = 0; index < this.counts.length; index++) {
      seen += this.counts[index]!;
      if (seen >= rank) {
        const middle = bucketLowerBound(index) + (bucketWidth(index) - 1) / 2;
        return Math.min(this.maximum, Math.max(this.minimum, middle));
      }
    }
    return this.maximum;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  snapshot(): HistogramSnapshot {
    return {
      counts: Array.from(this.counts),
      count: this.count,
      minimum: this.count === 0 ? 0 : this.minimum,
      maximum: this.maximum,
      sum: this.sum,
    };
  }
}
