// The arithmetic and parsing behind `npm run soak`'s verdict (benchmarks/soak-memory.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { growthAfterWarmup, lastHeapAfterGc, slopePerMinute, type MemorySample } from '../../../benchmarks/soak-memory.js';

function sample(seconds: number, residentMegabytes: number | undefined): MemorySample {
  return {
    seconds,
    residentMegabytes,
    fileBackedMegabytes: undefined,
    heapAfterFullGcMegabytes: undefined,
    heapAfterAnyGcMegabytes: undefined,
    connected: undefined,
    sessions: undefined,
    subscriptions: undefined,
    retained: undefined,
  };
}

test('soak - the slope is megabytes per minute by least squares', () => {
  const line = [0, 60, 120, 180].map((seconds) => ({ seconds, megabytes: 100 + (2 * seconds) / 60 }));
  assert.ok(Math.abs(slopePerMinute(line) - 2) < 1e-9, String(slopePerMinute(line)));
  const flatWithNoise = [0, 30, 60, 90].map((seconds, index) => ({ seconds, megabytes: index % 2 === 0 ? 50 : 51 }));
  // x = 0, 0.5, 1, 1.5 min; y = 50, 51, 50, 51: covariance 0.5 / variance 1.25
  assert.ok(Math.abs(slopePerMinute(flatWithNoise) - 0.4) < 1e-9, String(slopePerMinute(flatWithNoise)));
  assert.equal(slopePerMinute([{ seconds: 0, megabytes: 1 }]), 0);
});

test('soak - growth compares the median of three samples after the warm-up with the median of the last three', () => {
  // The warm-up (before 20 s) grows fast and must not count; after it, a spike in each window is ignored by the median.
  const samples = [
    sample(0, 10), sample(10, 60),
    sample(20, 80), sample(25, 95), sample(30, 81),
    sample(35, 82), sample(40, 82),
    sample(45, 84), sample(50, 99), sample(55, 85),
  ];
  const growth = growthAfterWarmup(samples, 20, (entry) => entry.residentMegabytes);
  assert.ok(growth !== undefined);
  assert.equal(growth.atWarmupEnd, 81);
  assert.equal(growth.atEnd, 85);
  assert.equal(growth.megabytes, 4);
  assert.ok(growth.megabytesPerMinute > 0);
});

test('soak - growth needs six samples after the warm-up and skips missing readings', () => {
  const samples = [sample(0, 1), sample(5, 1), sample(10, undefined), sample(15, 1), sample(20, 1), sample(25, 1)];
  assert.equal(growthAfterWarmup(samples, 0, (entry) => entry.residentMegabytes), undefined);
  assert.equal(growthAfterWarmup([...samples, sample(35, 1)], 0, (entry) => entry.residentMegabytes)?.megabytes, 0);
});

test('soak - heap after the last full and the last any collection, from --trace-gc lines', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-soak-test-'));
  try {
    const log = path.join(directory, 'broker.log');
    assert.deepEqual(lastHeapAfterGc(log), { full: undefined, any: undefined }); // no log yet
    writeFileSync(
      log,
      [
        '[123:0x5a]      812 ms: Scavenge 7.9 (9.5) -> 7.1 (10.5) MB, 1.02 / 0.00 ms  (average mu = 1.000) allocation failure;',
        '{"level":40,"msg":"a log line in between"}',
        '[123:0x5a]     5012 ms: Mark-Compact 12.4 (15.0) -> 9.8 (14.2) MB, 4.10 / 0.01 ms  (average mu = 0.990) finalize incremental marking',
        '[123:0x5a]     9000 ms: Mark-Compact (reduce) 10.4 (14.0) -> 9.6 (13.0) MB, 3.00 / 0.00 ms  (average mu = 0.99) memory reducer',
        '[123:0x5a]     9900 ms: Scavenge 14.2 (16.0) -> 10.9 (16.0) MB, 0.80 / 0.00 ms  (average mu = 0.990) allocation failure;',
        '',
      ].join('\n'),
    );
    assert.deepEqual(lastHeapAfterGc(log), { full: 9.6, any: 10.9 });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
