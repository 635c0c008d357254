// A broker's resident memory once it has settled after a connect burst. Right after many connections open,
// RSS still holds what the burst itself needed (a grown young generation in V8, garbage not yet collected,
// allocator caches) and a runtime gives part of it back only after some idle seconds. This samples RSS once
// a second while the connections stay open and idle, until it has not dropped by more than 1 % for 10 s.

import { readResidentBytes } from './broker-process.js';

export const SETTLE_SAMPLE_MILLISECONDS = 1_000;
/** RSS counts as settled once it has not dropped by more than this fraction over SETTLE_WINDOW_SAMPLES samples. */
export const SETTLE_TOLERANCE = 0.01;
export const SETTLE_WINDOW_SAMPLES = 10;

export interface SettledReading {
  residentBytes: number;
  /** Seconds from the first sample to the reading. */
  seconds: number;
  /** False when the bound ran out before RSS settled. */
  settled: boolean;
}

/**
 * Whether the last SETTLE_WINDOW_SAMPLES + 1 samples (one per second) show no drop of more than
 * SETTLE_TOLERANCE from the oldest of them to any later one.
 */
export function hasSettled(samples: readonly number[]): boolean {
  if (samples.length <= SETTLE_WINDOW_SAMPLES) return false;
  const window = samples.slice(-SETTLE_WINDOW_SAMPLES - 1);
  const start = window[0]!;
  return Math.min(...window) >= start * (1 - SETTLE_TOLERANCE);
}

/**
 * Samples `pid`'s RSS each second until it settles (but not before `minSeconds`) or `maxSeconds` pass;
 * undefined when /proc cannot be read. V8 gives its grown young generation back only when its memory
 * reducer runs on an idle process, which can be 20 s or more after the burst, after RSS was flat for 10 s:
 * a minimum wait catches that.
 */
export async function waitForSettledResidentBytes(pid: number, maxSeconds: number, minSeconds = 0): Promise<SettledReading | undefined> {
  const samples: number[] = [];
  const startedAt = Date.now();
  for (;;) {
    const resident = readResidentBytes(pid);
    if (resident === undefined) return undefined;
    samples.push(resident);
    const seconds = (Date.now() - startedAt) / 1000;
    if (seconds >= minSeconds && hasSettled(samples)) return { residentBytes: resident, seconds, settled: true };
    if (seconds >= maxSeconds) return { residentBytes: resident, seconds, settled: false };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SAMPLE_MILLISECONDS));
  }
}
