// Event-loop delay, the broker's own view of its tail: how late a 10 ms timer fires (perf_hooks'
// histogram). The registry's gauges show the last full window (10 s), so $SYS, exporters and the API
// reading at different times agree and none of them resets what another reads.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './registry.js';

const RESOLUTION_MS = 10;
export const EVENT_LOOP_WINDOW_MS = 10_000;

export class EventLoopDelay {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private timer: NodeJS.Timeout | undefined;
  /** Milliseconds, for the last full window. */
  private window = { p50: 0, p99: 0, max: 0 };

  constructor(private readonly windowMs = EVENT_LOOP_WINDOW_MS) {}

  register(metrics: MetricsRegistry): void {
    const gauge = (name: 'p50' | 'p99' | 'max', help: string): void =>
      metrics.registerReading({ name: `eventloop.delay.${name}`, help, type: 'gauge' }, () => this.window[name]);
    gauge('p50', `Median event-loop delay over the last ${this.windowMs / 1000} s, in milliseconds`);
    gauge('p99', `99th percentile event-loop delay over the last ${this.windowMs / 1000} s, in milliseconds`);
    gauge('max', `Longest event-loop delay over the last ${this.windowMs / 1000} s, in milliseconds`);
  }

  start(): void {
    this.histogram.enable();
    this.timer = setInterval(() => this.closeWindow(), this.windowMs).unref();
  }

  stop(): void {
    this.histogram.disable();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private closeWindow(): void {
    const histogram = this.histogram;
    // The histogram holds whole intervals in nanoseconds: the delay is what exceeds the resolution.
    // An empty window (no sample yet) reads 0.
    const ms = (ns: number): number => (Number.isFinite(ns) && ns > 0 ? Math.max(0, Math.round(ns / 1e3) / 1e3 - RESOLUTION_MS) : 0);
    this.window = { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
    histogram.reset();
  }
}
