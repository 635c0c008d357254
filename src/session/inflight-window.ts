// The QoS 1/2 deliveries a session has in flight, by packet id, in the order they were sent. A Map
// keyed by ever-new packet ids reallocates its hash table every few inserts even while it holds one
// entry (about 2 KB of garbage per message at one delivery in flight); this keeps them in an array
// instead, found by a scan from the oldest (acknowledgements mostly come in order), with a packet id
// index only while the window is larger than a scan should cover.

/** Windows up to this size are scanned; larger ones keep an index. */
const SCAN_LIMIT = 32;

export class InflightWindow<T extends { readonly packetId: number }> {
  /** Deliveries in send order from `head`; a removed one leaves a hole until the next compaction. */
  private slots: Array<T | undefined> = [];
  private head = 0;
  /** One past the last used slot; the array may be longer (storage kept for reuse). */
  private end = 0;
  private count = 0;
  /** Slot positions by packet id, only while the window is over SCAN_LIMIT. */
  private index: Map<number, number> | undefined;

  get size(): number {
    return this.count;
  }

  /** Adds a delivery under its (new) packet id, after the others. */
  add(delivery: T): void {
    // Holes (acknowledged out of order, or before head) are dropped once they outnumber the live
    // deliveries by SCAN_LIMIT: a scan never covers much more than the window, and compaction is amortized.
    if (this.end - this.head - this.count >= this.count + SCAN_LIMIT) this.compact();
    if (this.end === this.slots.length) this.slots.push(delivery);
    else this.slots[this.end] = delivery;
    this.end++;
    this.count++;
    if (this.index !== undefined) this.index.set(delivery.packetId, this.end - 1);
    else if (this.count > SCAN_LIMIT) this.buildIndex();
  }

  get(packetId: number): T | undefined {
    const position = this.find(packetId);
    return position < 0 ? undefined : this.slots[position];
  }

  has(packetId: number): boolean {
    return this.find(packetId) >= 0;
  }

  /** Removes the delivery with this packet id; false when there is none. Safe while iterating values(). */
  delete(packetId: number): boolean {
    const position = this.find(packetId);
    if (position < 0) return false;
    this.slots[position] = undefined;
    this.count--;
    this.index?.delete(packetId);
    const slots = this.slots;
    while (this.head < this.end && slots[this.head] === undefined) this.head++;
    if (this.head === this.end) {
      // Empty: start over at the front, keeping the array's storage (no allocation per message).
      this.head = 0;
      this.end = 0;
    }
    if (this.index !== undefined && this.count <= SCAN_LIMIT / 2) this.index = undefined;
    return true;
  }

  /** The deliveries in send order. */
  *values(): IterableIterator<T> {
    const slots = this.slots;
    for (let i = this.head; i < this.end; i++) {
      const delivery = slots[i];
      if (delivery !== undefined) yield delivery;
    }
  }

  private find(packetId: number): number {
    if (this.index !== undefined) return this.index.get(packetId) ?? -1;
    const slots = this.slots;
    for (let i = this.head; i < this.end; i++) {
      if (slots[i]?.packetId === packetId) return i;
    }
    return -1;
  }

  /** Moves the live deliveries to the front, in order. */
  private compact(): void {
    const slots = this.slots;
    let to = 0;
    for (let from = this.head; from < this.end; from++) {
      const delivery = slots[from];
      if (delivery !== undefined) slots[to++] = delivery;
    }
    for (let i = to; i < this.end; i++) slots[i] = undefined;
    this.head = 0;
    this.end = to;
    if (this.index !== undefined) this.buildIndex();
  }

  private buildIndex(): void {
    const index = new Map<number, number>();
    for (let i = this.head; i < this.end; i++) {
      const delivery = this.slots[i];
      if (delivery !== undefined) index.set(delivery.packetId, i);
    }
    this.index = index;
  }
}
