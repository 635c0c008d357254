// The cluster's commit sequence: every JetStream write whose acknowledgement something waits for
// (a QoS 1/2 message, a session's state, a retained message, a new interest before SUBACK) is tracked
// here, and flushed() gives the Store seam's promise: everything written so far is acknowledged.
// SessionPersistence turns it into the Barrier that holds PUBACK/PUBREC/SUBACK.
//
// A failed write fails the flushes that cover it (their packets are dropped with their connections), not
// later ones: after NATS recovers, acknowledgements resume.

export class CommitTracker {
  private batch: Array<Promise<unknown>> = [];
  private last: Promise<void> | undefined;

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
