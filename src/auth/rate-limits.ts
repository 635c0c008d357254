// Token buckets for connection and message rates.
//
// A bucket holds up to one second's worth of tokens and refills continuously. take(n) succeeds while
// the bucket is not empty and may drive it below zero (a 10 kB message against a 1 kB/s budget goes
// through, then the client waits ten seconds), so the long-run rate is exact without refusing
// messages bigger than the budget forever.
//
// - ConnectionRateLimiter: new sockets per listener and per address (checked before any byte is read).
// - PublishLimiter: PUBLISH packets and payload bytes per client, with the policy for the excess:
//   'drop' refuses it, 'disconnect' closes the connection, 'slow' drops excess QoS 0 and holds
//   QoS 1/2 (the channel stops reading, the acknowledgement waits) until the buckets refill.

import type { RateLimitPolicy, RateLimitsConfig } from '../config/types.js';
import type { PublishLimit } from '../hooks/events.js';

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    /** Tokens per second. */
    readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.rate, this.tokens + (elapsed * this.rate) / 1000);
    this.updatedAt = now;
  }

  /** Takes n tokens when the bucket is not empty. */
  take(n: number, now: number): boolean {
    this.refill(now);
    if (this.tokens <= 0) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until take() can succeed again. */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens > 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate) + 1;
  }

  /** True when full again (idle long enough that forgetting it changes nothing). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate;
  }
}

export class ConnectionRateLimiter {
  /** Keyed by the listener's configuration object: two listeners with the same label (port 0) keep separate budgets. */
  private readonly listeners = new Map<object | string, TokenBucket>();
  private readonly addresses = new Map<string, TokenBucket>();

  constructor(private config: Pick<RateLimitsConfig, 'connectionsPerSecond' | 'connectionsPerAddressPerSecond'>) {}

  /** New rates (a configuration reload): the buckets start again, full, at the new rates. */
  configure(config: Pick<RateLimitsConfig, 'connectionsPerSecond' | 'connectionsPerAddressPerSecond'>): void {
    this.config = config;
    this.listeners.clear();
    this.addresses.clear();
  }

  get enabled(): boolean {
    return this.config.connectionsPerSecond > 0 || this.config.connectionsPerAddressPerSecond > 0;
  }

  /** Whether a new connection on this listener from this address is within both rates. */
  allow(listener: object | string, address: string, now: number): boolean {
    const { connectionsPerSecond, connectionsPerAddressPerSecond } = this.config;
    if (connectionsPerAddressPerSecond > 0) {
      let bucket = this.addresses.get(address);
      if (bucket === undefined) this.addresses.set(address, (bucket = new TokenBucket(connectionsPerAddressPerSecond, now)));
      if (!bucket.take(1, now)) return false;
    }
    if (connectionsPerSecond > 0) {
      let bucket = this.listeners.get(listener);
      if (bucket === undefined) this.listeners.set(listener, (bucket = new TokenBucket(connectionsPerSecond, now)));
      if (!bucket.take(1, now)) return false;
    }
    return true;
  }

  /** Forgets the buckets of addresses that have been quiet for a while. */
  prune(now: number): void {
    for (const [address, bucket] of this.addresses) if (bucket.isFull(now)) this.addresses.delete(address);
  }
}

export class PublishLimiter {
  private readonly messages: TokenBucket | undefined;
  private readonly bytes: TokenBucket | undefined;

  constructor(
    config: Pick<RateLimitsConfig, 'messagesPerSecond' | 'bytesPerSecond'>,
    private readonly policy: RateLimitPolicy,
    now: number,
  ) {
    if (config.messagesPerSecond > 0) this.messages = new TokenBucket(config.messagesPerSecond, now);
    if (config.bytesPerSecond > 0) this.bytes = new TokenBucket(config.bytesPerSecond, now);
  }

  /** undefined: go on; 'drop' / 'disconnect'; or a promise that resolves once the PUBLISH may go on. */
  check(qos: number, bytes: number, now: number): PublishLimit | Promise<void> | undefined {
    if (this.tryTake(bytes, now)) return undefined;
    if (this.policy === 'disconnect') return 'disconnect';
    if (this.policy === 'drop' || qos === 0) return 'drop';
    return this.waitAndTake(bytes);
  }

  private tryTake(bytes: number, now: number): boolean {
    // Check both before taking from either, so a refusal costs nothing.
    if (this.messages !== undefined && this.messages.waitMs(now) > 0) return false;
    if (this.bytes !== undefined && this.bytes.waitMs(now) > 0) return false;
    this.messages?.take(1, now);
    this.bytes?.take(bytes, now);
    return true;
  }

  private waitMs(now: number): number {
    return Math.max(this.messages?.waitMs(now) ?? 0, this.bytes?.waitMs(now) ?? 0);
  }

  private waitAndTake(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      const attempt = (): void => {
        const now = Date.now();
        if (this.tryTake(bytes, now)) resolve();
        else setTimeout(attempt, Math.max(1, this.waitMs(now))).unref();
      };
      setTimeout(attempt, Math.max(1, this.waitMs(Date.now()))).unref();
    });
  }
}
