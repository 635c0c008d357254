// How many deliveries still need each stored message, by message id. Ids are handed out in
// increasing order, so the counts live in fixed-size pages of consecutive ids instead of one Map
// entry per message: a Map with millions of entries (offline sessions piling up messages) costs a
// hash insert and periodic rehashing of the whole table on every publish. A page is freed once none
// of its ids is counted, so memory follows the live messages (at worst one 256-byte page per live
// message, when live ids lie 64 or more apart).

const PAGE_BITS = 6;
const PAGE_SIZE = 1 << PAGE_BITS;

interface Page {
  counts: Uint32Array;
  /** How many ids in this page have a count above 0. */
  live: number;
}

export class ReferenceCounts {
  private readonly pages = new Map<number, Page>();

  /** Pages held: at most one per live id, none once every count is back to 0. */
  get pageCount(): number {
    return this.pages.size;
  }

  /** The count of an id; 0 when it has none. */
  get(id: number): number {
    return this.pages.get(pageOf(id))?.counts[slotOf(id)] ?? 0;
  }

  /** Sets a count; 0 removes the id. */
  set(id: number, count: number): void {
    const pageIndex = pageOf(id);
    let page = this.pages.get(pageIndex);
    if (page === undefined) {
      if (count === 0) return;
      page = { counts: new Uint32Array(PAGE_SIZE), live: 0 };
      this.pages.set(pageIndex, page);
    }
    const slot = slotOf(id);
    const before = page.counts[slot]!;
    page.counts[slot] = count;
    if (before === 0 && count !== 0) page.live++;
    else if (before !== 0 && count === 0 && --page.live === 0) this.pages.delete(pageIndex);
  }
}

function pageOf(id: number): number {
  return Math.floor(id / PAGE_SIZE);
}

function slotOf(id: number): number {
  return id % PAGE_SIZE;
}
