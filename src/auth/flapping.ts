// Flapping detection: a client id that disconnects `maxCount` times within `window` seconds is
// reported (and then banned for a while by authorization-setup.ts). Timestamps per client id are kept
// only for the window, at most maxCount of them.

import type { FlappingConfig } from '../config/types.js';

export class FlappingDetector {
  private readonly disconnects = new Map<string, number[]>();

  constructor(private config: FlappingConfig) {}

  /** New settings (a configuration reload); disconnections counted so far are kept. */
  configure(config: FlappingConfig): void {
    this.config = config;
  }

  get enabled(): boolean {
    return this.config.maxCount > 0;
  }

  /** Records one disconnection; true when the client id is now flapping. */
  record(clientId: string, now: number): boolean {
    if (!this.enabled) return false;
    const windowStart = now - this.config.window * 1000;
    const times = (this.disconnects.get(clientId) ?? []).filter((time) => time > windowStart);
    times.push(now);
    if (times.length >= this.config.maxCount) {
      this.disconnects.delete(clientId);
      return true;
    }
    this.disconnects.set(clientId, times);
    return false;
  }

  prune(now: number): void {
    const windowStart = now - this.config.window * 1000;
    for (const [clientId, times] of this.disconnects) {
      if (times[times.length - 1]! <= windowStart) this.disconnects.delete(clientId);
    }
  }
}
