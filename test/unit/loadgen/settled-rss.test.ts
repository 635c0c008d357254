// The settled-RSS rule of the idle-connections row: RSS has settled once it dropped by no more than 1 % over 10 s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTLE_WINDOW_SAMPLES, hasSettled, waitForSettledResidentBytes } from '../../../src/loadgen/settled-rss.js';

const MB = 1024 * 1024;

test('settled rss - fewer samples than the window are never settled', () => {
  assert.equal(hasSettled(Array.from({ length: SETTLE_WINDOW_SAMPLES }, () => 100 * MB)), false);
  assert.equal(hasSettled(Array.from({ length: SETTLE_WINDOW_SAMPLES + 1 }, () => 100 * MB)), true);
});

test('settled rss - a drop of more than 1 % inside the window is not settled, one of 1 % is', () => {
  const flat = Array.from({ length: SETTLE_WINDOW_SAMPLES }, () => 100 * MB);
  assert.equal(hasSettled([100 * MB, ...flat.slice(1), 98.9 * MB]), false);
  assert.equal(hasSettled([100 * MB, ...flat.slice(1), 99 * MB]), true);
  // The drop happened before the window: what counts is the last ten seconds.
  assert.equal(hasSettled([140 * MB, 120 * MB, ...flat, 100 * MB]), true);
});

test('settled rss - growth is not a drop', () => {
  const rising = Array.from({ length: SETTLE_WINDOW_SAMPLES + 1 }, (_, index) => (100 + index) * MB);
  assert.equal(hasSettled(rising), true);
});

test('settled rss - reading this process ends at the bound when it does not settle in time', async () => {
  const reading = await waitForSettledResidentBytes(process.pid, 0);
  assert.ok(reading !== undefined, '/proc is readable on Linux');
  assert.equal(reading.settled, false);
  assert.ok(reading.residentBytes > MB);
});
