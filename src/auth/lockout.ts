// Failed-authentication lockout: after `maxFailures` failures from one address or for one username
// within `window` seconds, that address or username is refused for `duration` seconds. Failures are
// kept as timestamps per key (at most maxFailures of them), so memory is bounded by the number of
// recently failing addresses and usernames, and prune() forgets the old ones.

import type { LockoutConfig } from '../config/types.js';
import { normalizeAddress } from './bans.js';

export interface LockoutStats {
  /** Locks started. */
  locks: number;
  /** Connections refused because of a lock. */
  refused: number;
  /** Failures recorded. */
  failures: number;
}

export class Lockout {
  readonly stats: LockoutStats = { locks: 0, refused: 0, failures: 0 };
  private readonly failures = new Map<string, number[]>();
  private readonly locked = new Map<string, number>();

  constructor(private config: LockoutConfig) {}

  /** New settings (a configuration reload); failures counted and locks in force are kept. */
  configure(config: LockoutConfig): void {
    this.config = config;
  }

  get enabled(): boolean {
    return this.config.maxFailures > 0;
  }

  /** Records a failure; returns the keys ('address 10.0.0.1', 'username bob') that this failure locked. */
  recordFailure(address: string, username: string | undefined, now: number): string[] {
    if (!this.enabled) return [];
    this.stats.failures++;
    const newlyLocked: string[] = [];
    for (const key of keysOf(address, username)) {
      if (this.isLocked(key, now)) continue;
      const windowStart = now - this.config.window * 1000;
      const times = (this.failures.get(key) ?? []).filter((time) => time > windowStart);
      times.push(now);
      if (times.length >= this.config.maxFailures) {
        this.failures.delete(key);
        this.locked.set(key, now + this.config.duration * 1000);
        this.stats.locks++;
        newlyLocked.push(key);
      } else {
        this.failures.set(key, times);
      }
    }
    return newlyLocked;
  }

  /** Whether anything is locked now (otherwise a client's address need not be looked up). */
  get hasLocks(): boolean {
    return this.locked.size > 0;
  }

  /** The lock that refuses this address or username, if any. */
  lockFor(address: string, username: string | undefined, now: number): { key: string; until: number } | undefined {
    if (this.locked.size === 0) return undefined;
    for (const key of keysOf(address, username)) {
      const until = this.locked.get(key);
      if (until !== undefined && until > now) return { key, until };
    }
    return undefined;
  }

  private isLocked(key: string, now: number): boolean {
    const until = this.locked.get(key);
    return until !== undefined && until > now;
  }

  prune(now: number): void {
    for (const [key, until] of this.locked) if (until <= now) this.locked.delete(key);
    const windowStart = now - this.config.window * 1000;
    for (const [key, times] of this.failures) {
      if (times[times.length - 1]! <= windowStart) this.failures.delete(key);
    }
  }
}

function keysOf(address: string, username: string | undefined): string[] {
  const keys = [`address ${normalizeAddress(address)}`];
  if (username !== undefined && username !== '') keys.push(`username ${username}`);
  return keys;
}
