// The one clock every benchmark timestamp uses: CLOCK_MONOTONIC in milliseconds (float).
// It is system-wide on Linux, so threads and separate `starling bench pub` / `sub` processes agree.

export function monotonicMilliseconds(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
