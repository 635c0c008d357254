// Which segment holds each stored message, and which of a segment's messages have ended. A segment
// record stays on disk while any of its messages is still owed; the ended ones are listed in the
// segment's dead-message bitmap (its own record), written before the delivery records of those
// messages are removed, so that a restart never brings an ended message back.

/** Message ids one segment may span: keeps its dead-message bitmap at most 1 KiB. */
export const SEGMENT_SPAN = 8192;
/** Bytes after which a segment is closed early: keeps one record's copy and an ended segment's waste bounded. */
export const SEGMENT_BYTES = 1024 * 1024;

export class Segment {
  /** One past the highest message id in the segment. */
  end: number;
  /** Messages not ended. */
  live = 0;
  /** Bit (id - segment id) set for each ended message; undefined while none has ended. */
  dead: Uint8Array | undefined;
  /** The dead bitmap has bits not yet written. */
  deadChanged = false;
  /** A dead bitmap record exists (or is queued) for this segment. */
  deadWritten = false;
  /** Taken out of the index: its record is removed or was never written. */
  removed = false;

  constructor(readonly id: number) {
    this.end = id;
  }

  isDead(messageId: number): boolean {
    const offset = messageId - this.id;
    return this.dead !== undefined && (this.dead[offset >> 3]! & (1 << (offset & 7))) !== 0;
  }

  markDead(messageId: number): void {
    const offset = messageId - this.id;
    this.dead ??= new Uint8Array(SEGMENT_SPAN >> 3);
    this.dead[offset >> 3]! |= 1 << (offset & 7);
    this.deadChanged = true;
  }

  /** The bitmap as stored: trimmed to the segment's span. */
  deadBytes(): Buffer {
    return Buffer.from(this.dead!.subarray(0, ((this.end - this.id) >> 3) + 1));
  }

  /** Reads a stored bitmap. */
  loadDead(bytes: Uint8Array): void {
    this.dead = new Uint8Array(SEGMENT_SPAN >> 3);
    this.dead.set(bytes.subarray(0, this.dead.length));
    this.deadWritten = true;
  }
}

/** Segments in id order; a message belongs to the last segment whose id is not above its own. */
export class SegmentIndex {
  private segments: Segment[] = [];
  private removedCount = 0;

  /** Adds a segment whose id is above every message id in the index. */
  add(segment: Segment): void {
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && segment.id < last.end) throw new Error(`segment ${segment.id} overlaps segment ${last.id}`);
    this.segments.push(segment);
  }

  find(messageId: number): Segment | undefined {
    const segments = this.segments;
    let low = 0;
    let high = segments.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const segment = segments[middle]!;
      if (messageId < segment.id) high = middle - 1;
      else if (messageId >= segment.end) low = middle + 1;
      else return segment.removed ? undefined : segment;
    }
    return undefined;
  }

  remove(segment: Segment): void {
    segment.removed = true;
    // Removed segments keep their place (binary search still works) until they are half the array.
    if (++this.removedCount * 2 > this.segments.length) {
      this.segments = this.segments.filter((kept) => !kept.removed);
      this.removedCount = 0;
    }
  }
}
