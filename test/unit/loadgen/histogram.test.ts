// The benchmark histogram: bucket boundaries, percentile accuracy against exact sorting, merging.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTOGRAM_BUCKET_COUNT, Histogram, bucketIndex, bucketLowerBound, bucketWidth } from '../../../src/loadgen/histogram.js';

test('histogram - values below 128 get their own bucket', () => {
  for (let value = 0; value < 128; value++) {
    assert.equal(bucketIndex(value), value);
    assert.equal(bucketLowerBound(value), value);
    assert.equal(bucketWidth(value), 1);
  }
});

test('histogram - every value falls inside the bucket it is assigned to', () => {
  for (const value of [128, 129, 255, 256, 257, 1000, 65_535, 1_000_000, 2 ** 31, 2 ** 32 - 2]) {
    const index = bucketIndex(value);
    assert.ok(index < HISTOGRAM_BUCKET_COUNT, `index ${index} for ${value}`);
    assert.ok(bucketLowerBound(index) <= value, `lower bound for ${value}`);
    assert.ok(value < bucketLowerBound(index) + bucketWidth(index), `upper bound for ${value}`);
  }
});

test('histogram - bucket width stays within 1/128 of the value', () => {
  for (let index = 128; index < HISTOGRAM_BUCKET_COUNT; index += 37) {
    assert.ok(bucketWidth(index) / bucketLowerBound(index) <= 1 / 128);
  }
});

test('histogram - huge and negative values are clamped, not lost', () => {
  const histogram = new Histogram();
  histogram.record(-5);
  histogram.record(1e15);
  assert.equal(histogram.count, 2);
  assert.equal(histogram.percentile(100), 1e15);
});

test('histogram - percentiles are within 1% of the exact order statistic', () => {
  const histogram = new Histogram();
  const values: number[] = [];
  let seed = 12345;
  for (let index = 0; index < 20_000; index++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const value = Math.floor(Math.exp((seed / 2 ** 31) * 14)); // spread over 1 .. 1.2 million
    values.push(value);
    histogram.record(value);
  }
  values.sort((a, b) => a - b);
  for (const percent of [50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((percent / 100) * values.length) - 1]!;
    const estimate = histogram.percentile(percent);
    assert.ok(Math.abs(estimate - exact) <= Math.max(1, exact / 100), `p${percent}: ${estimate} vs ${exact}`);
  }
  assert.equal(histogram.percentile(100), values[values.length - 1]);
  assert.equal(histogram.minimum, values[0]);
});

test('histogram - merging snapshots equals recording everything in one', () => {
  const left = new Histogram();
  const right = new Histogram();
  const whole = new Histogram();
  for (let value = 1; value <= 5000; value++) {
    (value % 3 === 0 ? left : right).record(value * 7);
    whole.record(value * 7);
  }
  const merged = new Histogram();
  merged.merge(left.snapshot());
  merged.merge(right.snapshot());
  assert.equal(merged.count, whole.count);
  assert.equal(merged.minimum, whole.minimum);
  assert.equal(merged.maximum, whole.maximum);
  for (const percent of [1, 50, 99, 99.9]) assert.equal(merged.percentile(percent), whole.percentile(percent));
});

test('histogram - an empty histogram reports zeros', () => {
  const histogram = new Histogram();
  assert.equal(histogram.percentile(99), 0);
  assert.equal(histogram.mean(), 0);
  assert.equal(histogram.snapshot().minimum, 0);
});
