// Logs the messages the per-session queue cap and the store size cap drop, without a line per
// message: the first drop for a session is logged at once; later ones are counted and logged as
// one line per session and reason every interval, with the count. A session quiet for a whole
// interval starts over.

import type { Logger } from '../log.js';
import type { DropReason } from './session.js';

export const DROP_LOG_INTERVAL_MS = 10_000;

export class DropLog {
  /** Drops not logged yet, by reason then client id; an entry at 0 means "logged this interval". */
  private readonly unlogged = new Map<DropReason, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = DROP_LOG_INTERVAL_MS,
  ) {}

  note(clientId: string, reason: DropReason): void {
    let byClient = this.unlogged.get(reason);
    if (byClient === undefined) {
      byClient = new Map();
      this.unlogged.set(reason, byClient);
    }
    const count = byClient.get(clientId);
    if (count !== undefined) {
      byClient.set(clientId, count + 1);
      return;
    }
    byClient.set(clientId, 0);
    this.log(clientId, reason, 1);
    this.timer ??= setInterval(() => this.flush(), this.intervalMs).unref();
  }

  /** Logs what was counted and stops the timer (at shutdown). */
  close(): void {
    this.flush();
    clearInterval(this.timer);
    this.timer = undefined;
    this.unlogged.clear();
  }

  private flush(): void {
    for (const [reason, byClient] of this.unlogged) {
      for (const [clientId, count] of byClient) {
        if (count === 0) {
          byClient.delete(clientId);
          continue;
        }
        this.log(clientId, reason, count);
        byClient.set(clientId, 0);
      }
      if (byClient.size === 0) this.unlogged.delete(reason);
    }
    if (this.unlogged.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private log(clientId: string, reason: DropReason, count: number): void {
    this.logger.warn({ clientId, reason, count, intervalMs: this.intervalMs }, 'messages dropped for a session');
  }
}
