// A sorted list with access by rank, for the management API's indexes: page N of a list sorted by
// client id is found in O(log n + n/B) and read in O(limit), where a sorted array would cost O(n) per
// insert and a Map cannot be paged without walking it.
//
// Items sit in blocks of at most BLOCK_MAX, each block sorted and every item of a block before every
// item of the next (Python's sortedcontainers layout). Insert and delete search the blocks by their
// last item, then inside one block, and move at most BLOCK_MAX references; a full block splits in two,
// a small one merges with its neighbour. The rank of a position sums the block sizes before it: at
// 100,000 items that is ~400 additions, far below what one HTTP request costs.

const BLOCK_MAX = 512;
const BLOCK_MIN = BLOCK_MAX / 8;

/** Where an item of the list is: its block and the index inside it. */
interface Position {
  block: number;
  index: number;
}

export class OrderedList<T> {
  #blocks: T[][] = [];
  #size = 0;

  /** `compare` must be a total order in which no two distinct items compare equal (break ties on a unique key). */
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.#size;
  }

  insert(item: T): void {
    this.#size++;
    const blocks = this.#blocks;
    if (blocks.length === 0) {
      blocks.push([item]);
      return;
    }
    let b = blocks.length - 1;
    let block = blocks[b]!;
    // Past the last item (a newer connection time, a larger id): one comparison, no search.
    if (this.compare(block[block.length - 1]!, item) < 0) {
      block.push(item);
    } else {
      const probe = (other: T): number => this.compare(other, item);
      b = this.#firstBlockReaching(probe);
      block = blocks[b]!;
      block.splice(lowerIndex(block, probe), 0, item);
    }
    if (block.length > BLOCK_MAX) blocks.splice(b + 1, 0, block.splice(BLOCK_MAX / 2));
  }

  /** Removes the item (found by `compare`); false when it is not in the list. */
  delete(item: T): boolean {
    const position = this.#find((other) => this.compare(other, item));
    if (position === undefined) return false;
    const block = this.#blocks[position.block]!;
    if (this.compare(block[position.index]!, item) !== 0) return false;
    block.splice(position.index, 1);
    this.#size--;
    this.#rebalance(position.block);
    return true;
  }

  /**
   * The rank of the first item for which `probe(item) >= 0`, where `probe` is ascending over the list
   * (negative before the place looked for, then zero or positive): a lower bound. `size` when none.
   */
  lowerBound(probe: (item: T) => number): number {
    const position = this.#find(probe);
    return position === undefined ? this.#size : this.#rank(position);
  }

  /** The item at a rank (0-based), or undefined past the end. */
  at(rank: number): T | undefined {
    const position = this.#positionOf(rank);
    return position === undefined ? undefined : this.#blocks[position.block]![position.index];
  }

  /** Calls `visit` for the items of ranks [from, to) in order (or from to-1 down to `from` when `reverse`) until it returns false. */
  scan(from: number, to: number, reverse: boolean, visit: (item: T) => boolean | void): void {
    const end = Math.min(to, this.#size);
    if (from >= end) return;
    const blocks = this.#blocks;
    let remaining = end - from;
    if (!reverse) {
      let { block: b, index: i } = this.#positionOf(from)!;
      while (remaining > 0) {
        const block = blocks[b]!;
        for (; i < block.length && remaining > 0; i++, remaining--) if (visit(block[i]!) === false) return;
        b++;
        i = 0;
      }
      return;
    }
    let { block: b, index: i } = this.#positionOf(end - 1)!;
    while (remaining > 0) {
      const block = blocks[b]!;
      for (; i >= 0 && remaining > 0; i--, remaining--) if (visit(block[i]!) === false) return;
      b--;
      if (b >= 0) i = blocks[b]!.length - 1;
    }
  }

  /** The index of the first block whose last item has `probe >= 0`; blocks.length when none has. */
  #firstBlockReaching(probe: (item: T) => number): number {
    const blocks = this.#blocks;
    let low = 0;
    let high = blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const block = blocks[middle]!;
      if (probe(block[block.length - 1]!) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The position of the first item with `probe >= 0`, or undefined when there is none. */
  #find(probe: (item: T) => number): Position | undefined {
    const b = this.#firstBlockReaching(probe);
    if (b === this.#blocks.length) return undefined;
    return { block: b, index: lowerIndex(this.#blocks[b]!, probe) };
  }

  #rank(position: Position): number {
    let rank = position.index;
    for (let b = 0; b < position.block; b++) rank += this.#blocks[b]!.length;
    return rank;
  }

  #positionOf(rank: number): Position | undefined {
    if (rank < 0 || rank >= this.#size) return undefined;
    const blocks = this.#blocks;
    // From whichever end is nearer: the last pages are as cheap as the first.
    if (rank < this.#size / 2) {
      let index = rank;
      for (let b = 0; b < blocks.length; b++) {
        const length = blocks[b]!.length;
        if (index < length) return { block: b, index };
        index -= length;
      }
    } else {
      let fromEnd = this.#size - 1 - rank;
      for (let b = blocks.length - 1; b >= 0; b--) {
        const length = blocks[b]!.length;
        if (fromEnd < length) return { block: b, index: length - 1 - fromEnd };
        fromEnd -= length;
      }
    }
    return undefined;
  }

  #rebalance(b: number): void {
    const blocks = this.#blocks;
    const block = blocks[b]!;
    if (block.length === 0) {
      blocks.splice(b, 1);
      return;
    }
    if (block.length >= BLOCK_MIN) return;
    const next = blocks[b + 1];
    if (next !== undefined && block.length + next.length <= BLOCK_MAX) {
      block.push(...next);
      blocks.splice(b + 1, 1);
    }
  }
}

/** The index of the first item of a sorted block with `probe >= 0` (block.length when none). */
function lowerIndex<T>(block: readonly T[], probe: (item: T) => number): number {
  let low = 0;
  let high = block.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (probe(block[middle]!) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
