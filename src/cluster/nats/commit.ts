// The cluster's commit sequence: every JetStream write whose acknowledgement something waits for
// (a QoS 1/2 message, a session's state, a retained message, a new interest before SUBACK) is tracked
// here, and flushed() gives the Store seam's promise: everything written so far is acknowledged.
// SessionPersistence turns it into the Barrier that holds PUBACK/PUBREC/SUBACK.
//
// A failed write fails the flushes that cover it (their packets are dropped with their connections), not
// later ones: after NATS recovers, acknowledgements resume.

const RETRY_PAUSE_MS = 250;

export class CommitTracker {
  private batch: Array<Promise<unknown>> = [];
  private last: Promise<void> | undefined;
  /** Stops retries at shutdown. */
  stopped = false;

  /**
   * @param retryForMs how long a write is retried (a NATS server restart, a leader election) before it
   *   fails its commit; JetStream writes here are idempotent (same message id, or the same subject's one record).
   */
  constructor(private readonly retryForMs = 30_000) {}

  /** Runs a JetStream write, retrying it until `retryForMs`, in the current commit; resolves with its result. */
  write<T>(attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
    const written = this.retry(attempt);
    this.track(written);
    return written;
  }

  /** Runs a JetStream write, retrying it until `retryForMs` (not tracked: the caller tracks what waits for it). */
  async retry<T>(attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    for (;;) {
      try {
        return await attempt(Math.min(5000, Math.max(500, deadline - Date.now())));
      } catch (error) {
        if (this.stopped || Date.now() + RETRY_PAUSE_MS >= deadline || !retriable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  /** Adds a write to the current commit. */
  track(write: Promise<unknown>): void {
    this.batch.push(write);
  }

  /** Resolves when every write tracked so far is acknowledged (rejects if one of them failed); undefined when none is pending. */
  flushed(): Promise<void> | undefined {
    if (this.batch.length > 0) {
      const writes = this.batch;
      this.batch = [];
      const all = Promise.all(writes).then(noop);
      const previous = this.last;
      // In commit order: a flush is done only once the earlier ones are settled, whatever they came to.
      const chained = previous === undefined ? all : previous.then(() => all, () => all);
      this.last = chained;
      const clear = (): void => {
        if (this.last === chained) this.last = undefined;
      };
      chained.then(clear, clear);
      return chained;
    }
    return this.last;
  }

  /** Whether writes are tracked and not yet all acknowledged. */
  get pending(): boolean {
    return this.batch.length > 0 || this.last !== undefined;
  }
}

function noop(): void {}

/** Failures a later attempt may not have: timeouts, no JetStream responder (an election), a lost connection. */
function retriable(error: unknown): boolean {
  const text = `${(error as { name?: string }).name ?? ''} ${String((error as Error).message ?? error)}`;
  return /timeout|no responders|not enabled|503|connection|disconnect|closed|leader|insufficient resources|temporarily/i.test(text) && !/wrong last sequence/i.test(text);
}
