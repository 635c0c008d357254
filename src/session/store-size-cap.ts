// The total store size cap (max_store_bytes) without measuring the store for every message: writes
// are counted by an estimate of their size, and the store is measured again after every `step`
// estimated bytes. It is full once the measured size is within one step of the cap, so the file
// stays under the cap unless records take more room than estimated (LMDB's half-full pages) or
// one commit's writes were not measured yet. `step` is 1% of the cap, between 16 KiB and 1 MiB.

import type { Store } from '../store/store.js';

const MIN_STEP = 16 * 1024;
const MAX_STEP = 1024 * 1024;
/** While full, how often the size is measured again (space freed by acknowledged messages is reused). */
const FULL_RECHECK_MS = 1000;

export class StoreSizeCap {
  readonly step: number;
  private over = false;
  private unmeasured = 0;
  private measuredAt = 0;

  constructor(
    private readonly store: Pick<Store, 'sizeBytes'>,
    readonly maxBytes: number,
    /** Called when the store becomes full, with its measured size. */
    private readonly onFull: (sizeBytes: number) => void,
  ) {
    this.step = Math.min(MAX_STEP, Math.max(MIN_STEP, Math.floor(maxBytes / 100)));
  }

  /** True while new messages for persistent sessions must be dropped. */
  get full(): boolean {
    if (this.over && Date.now() - this.measuredAt >= FULL_RECHECK_MS) this.measure();
    return this.over;
  }

  /** Counts bytes about to be written. */
  add(bytes: number): void {
    this.unmeasured += bytes;
    if (this.unmeasured >= this.step) this.measure();
  }

  private measure(): void {
    this.unmeasured = 0;
    this.measuredAt = Date.now();
    const size = this.store.sizeBytes();
    const over = size + this.step >= this.maxBytes;
    if (over && !this.over) this.onFull(size);
    this.over = over;
  }
}
