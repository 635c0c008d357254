// Which sequence numbers of one publisher a subscriber has seen: a growable bitset, so loss and
// duplicates are exact without storing samples.

export class SequenceSet {
  private bits = new Uint8Array(1024);
  /** Highest sequence seen plus one; 0 when empty. */
  end = 0;
  /** Lowest sequence seen; Infinity when empty. */
  start = Number.POSITIVE_INFINITY;
  unique = 0;

  /** Returns false when the sequence was already seen (a duplicate). */
  add(sequence: number): boolean {
    const byteIndex = sequence >>> 3;
    if (byteIndex >= this.bits.length) {
      let size = this.bits.length * 2;
      while (size <= byteIndex) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (sequence & 7);
    const byte = this.bits[byteIndex]!;
    if ((byte & mask) !== 0) return false;
    this.bits[byteIndex] = byte | mask;
    this.unique++;
    if (sequence + 1 > this.end) this.end = sequence + 1;
    if (sequence < this.start) this.start = sequence;
    return true;
  }

  has(sequence: number): boolean {
    const byte = this.bits[sequence >>> 3];
    return byte !== undefined && (byte & (1 << (sequence & 7))) !== 0;
  }

  /** How many sequences in [from, to) were seen. */
  countInRange(from: number, to: number): number {
    let count = 0;
    for (let sequence = from; sequence < to; sequence++) if (this.has(sequence)) count++;
    return count;
  }

  /** Sequences missing between the lowest and highest seen (losses when the publisher list is unknown). */
  gaps(): number {
    return this.unique === 0 ? 0 : this.end - this.start - this.unique;
  }
}
