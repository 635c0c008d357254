// Answers `GET /api/v5/clients` from the client index: filters, order and one page.
//
// Every exact filter on an indexed attribute is a contiguous range of that attribute's sorted list
// (several ranges for a repeated `clientid` or `username`), and so is a `gte_`/`lte_` time range. The
// plan, cheapest first:
//   1. only ranges of one list that is already in the requested order: the page is read by rank, and
//      the count is the ranges' length, O(log n + limit) (no filter, or one exact filter, in client id
//      order or in that attribute's order);
//   2. otherwise either walk the list of the requested order (restricted to its own ranges) testing the
//      other filters, or gather the smallest range's matches and pick the page's first records in order
//      (a bounded selection, not a sort of them all), whichever visits fewer records: O(candidates).
// `like_*` substring filters and sorts on counts that change with traffic (inflight, queue, drops) can
// only be tested record by record, so they take plan 2. The count is always given (EMQX omits it with
// `like_*` filters; the callers must accept either).

import { compareValues, indexValue, type ClientIndex, type ClientRecord, type IndexedKey, type IndexValue } from './client-index.js';
import type { OrderedList } from './ordered-list.js';

export interface TimeRange {
  gte?: number;
  lte?: number;
}

export interface ClientFilters {
  clientIds?: readonly string[];
  usernames?: readonly string[];
  ipAddress?: string;
  /** EMQX's `idle` (a socket that has not finished CONNECT) is never in the index: it matches nothing. */
  connState?: 'connected' | 'disconnected' | 'idle';
  protocolVersion?: number;
  cleanStart?: boolean;
  likeClientId?: string;
  likeUsername?: string;
  createdAt?: TimeRange;
  connectedAt?: TimeRange;
}

/** A live count read from the session when the query runs (cannot be indexed: it changes with traffic). */
export type LiveMetric = (record: ClientRecord) => number;

export interface ClientOrder {
  /** An indexed attribute, or a live metric with its name. */
  by: IndexedKey | { name: string; read: LiveMetric };
  descending: boolean;
}

export interface ClientPage {
  records: ClientRecord[];
  /** Records matching the filters, on every page. */
  count: number;
  hasNext: boolean;
}

/** Ranks [from, to) of one sorted list. */
interface Range {
  from: number;
  to: number;
}

interface IndexedRanges {
  key: IndexedKey;
  ranges: Range[];
  size: number;
}

export function queryClients(index: ClientIndex, filters: ClientFilters, order: ClientOrder, page: number, limit: number): ClientPage {
  const offset = (page - 1) * limit;
  if (filters.connState === 'idle') return { records: [], count: 0, hasNext: false };
  const indexed = indexedRanges(index, filters);
  const test = residualTest(filters);
  const orderKey = typeof order.by === 'string' ? order.by : undefined;

  // Plan 1: the whole answer is ranges of one list already in the requested order, with nothing else to test.
  if (orderKey !== undefined && test === undefined && indexed.length <= 1) {
    const only = indexed[0];
    const served = only === undefined ? orderKey : servesOrder(only, orderKey) ? only.key : undefined;
    if (served !== undefined) {
      const list = index.list(served);
      const ranges = only?.ranges ?? [{ from: 0, to: list.size }];
      return readRanges(list, ranges, order.descending, offset, limit);
    }
  }

  const matches = (record: ClientRecord): boolean => {
    for (let i = 0; i < indexed.length; i++) if (!inRanges(record, indexed[i]!, filters)) return false;
    return test === undefined || test(record);
  };
  const smallest = indexed.reduce<IndexedRanges | undefined>((best, ranged) => (best === undefined || ranged.size < best.size ? ranged : best), undefined);

  // Plan 2a: walk the list of the requested order, restricted to its own ranges if it has any.
  if (orderKey !== undefined) {
    // Ranges that are already in this order (those of the order's own list, or one exact value of another).
    const own = indexed.find((ranged) => servesOrder(ranged, orderKey));
    const list = index.list(own?.key ?? orderKey);
    const walked = own?.size ?? list.size;
    const gathered = smallest === undefined ? Infinity : smallest.size * Math.max(1, Math.log2(smallest.size));
    if (walked <= gathered) {
      const records: ClientRecord[] = [];
      let count = 0;
      forEachInRanges(list, own?.ranges ?? [{ from: 0, to: list.size }], order.descending, (record) => {
        if (!matches(record)) return;
        if (count >= offset && count < offset + limit) records.push(record);
        count++;
      });
      return { records, count, hasNext: offset + limit < count };
    }
  }

  // Plan 2b: gather the matches of the smallest range (or every record), then sort them.
  const gathered: ClientRecord[] = [];
  if (smallest === undefined) {
    const list = index.list('clientid');
    list.scan(0, list.size, false, (record) => void (matches(record) && gathered.push(record)));
  } else {
    forEachInRanges(index.list(smallest.key), smallest.ranges, false, (record) => void (matches(record) && gathered.push(record)));
  }
  const records = pageInOrder(gathered, order, offset, limit);
  return { records, count: gathered.length, hasNext: offset + limit < gathered.length };
}

/** Records [offset, offset + limit) of `records` in the requested order. */
function pageInOrder(records: ClientRecord[], order: ClientOrder, offset: number, limit: number): ClientRecord[] {
  const by = order.by;
  if (typeof by === 'string') return firstInOrder(records, offset + limit, comparator({ by, descending: order.descending })).slice(offset);
  // A live count: read once per record into an array, then order positions by it.
  const sign = order.descending ? -1 : 1;
  const values = new Float64Array(records.length);
  const positions: number[] = [];
  for (let i = 0; i < records.length; i++) {
    values[i] = by.read(records[i]!);
    positions.push(i);
  }
  const compare = (i: number, j: number): number => sign * (values[i]! - values[j]! || compareValues(records[i]!.clientId, records[j]!.clientId));
  return firstInOrder(positions, offset + limit, compare)
    .slice(offset)
    .map((i) => records[i]!);
}

/**
 * The first `count` records in order: a full sort when that is most of them, else one pass keeping
 * the best `count` in a sorted buffer (a record worse than the buffer's last costs one comparison).
 */
function firstInOrder<T>(records: T[], count: number, compare: (a: T, b: T) => number): T[] {
  if (count * 4 >= records.length) return records.sort(compare).slice(0, count);
  const best: T[] = [];
  for (const record of records) {
    if (best.length === count && compare(record, best[count - 1]!) >= 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(best[middle]!, record) <= 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, record);
    if (best.length > count) best.pop();
  }
  return best;
}

/** The ranges each exact or range filter on an indexed attribute selects. */
function indexedRanges(index: ClientIndex, filters: ClientFilters): IndexedRanges[] {
  const result: IndexedRanges[] = [];
  const exact = (key: IndexedKey, values: readonly IndexValue[]): void => {
    const list = index.list(key);
    const distinct = [...new Set(values)].sort(compareValues);
    const ranges = distinct.map((value) => ({ from: boundOf(list, key, value, false), to: boundOf(list, key, value, true) })).filter((range) => range.to > range.from);
    result.push({ key, ranges, size: ranges.reduce((sum, range) => sum + range.to - range.from, 0) });
  };
  const between = (key: IndexedKey, range: TimeRange): void => {
    const list = index.list(key);
    // undefined (never connected) sorts first, and is in no time range.
    const from = boundOf(list, key, range.gte ?? Number.NEGATIVE_INFINITY, false);
    const to = range.lte === undefined ? list.size : boundOf(list, key, range.lte, true);
    const ranges = to > from ? [{ from, to }] : [];
    result.push({ key, ranges, size: Math.max(0, to - from) });
  };
  if (filters.clientIds !== undefined) exact('clientid', filters.clientIds);
  if (filters.usernames !== undefined) exact('username', filters.usernames);
  if (filters.ipAddress !== undefined) exact('ip_address', [filters.ipAddress]);
  if (filters.connState !== undefined) exact('conn_state', [filters.connState]);
  if (filters.protocolVersion !== undefined) exact('proto_ver', [filters.protocolVersion]);
  if (filters.cleanStart !== undefined) exact('clean_start', [filters.cleanStart]);
  if (filters.createdAt !== undefined) between('created_at', filters.createdAt);
  if (filters.connectedAt !== undefined) between('connected_at', filters.connectedAt);
  return result;
}

/** The rank of the first record whose value is >= value (or > value with `after`). */
function boundOf(list: OrderedList<ClientRecord>, key: IndexedKey, value: IndexValue, after: boolean): number {
  return list.lowerBound((record) => {
    const compared = compareValues(indexValue(record, key), value);
    return after ? (compared <= 0 ? -1 : 1) : compared;
  });
}

/**
 * Whether walking these ranges in order gives records in the requested order: within one exact value
 * the list is in client id order; across values (or along a time range) it is in the attribute's order.
 */
function servesOrder(ranged: IndexedRanges, orderKey: IndexedKey): boolean {
  if (ranged.key === orderKey) return true;
  return orderKey === 'clientid' && ranged.ranges.length <= 1 && ranged.key !== 'created_at' && ranged.key !== 'connected_at';
}

function inRanges(record: ClientRecord, ranged: IndexedRanges, filters: ClientFilters): boolean {
  const value = indexValue(record, ranged.key);
  switch (ranged.key) {
    case 'clientid':
      return filters.clientIds!.includes(value as string);
    case 'username':
      return filters.usernames!.includes(value as string);
    case 'ip_address':
      return value === filters.ipAddress;
    case 'conn_state':
      return value === filters.connState;
    case 'proto_ver':
      return value === filters.protocolVersion;
    case 'clean_start':
      return value === filters.cleanStart;
    case 'created_at':
      return inTimeRange(value, filters.createdAt!);
    case 'connected_at':
      return inTimeRange(value, filters.connectedAt!);
    case 'keepalive':
      return true;
  }
}

function inTimeRange(value: IndexValue, range: TimeRange): boolean {
  if (typeof value !== 'number') return false;
  return (range.gte === undefined || value >= range.gte) && (range.lte === undefined || value <= range.lte);
}

/** The filters no index serves, as one test; undefined when there are none. */
function residualTest(filters: ClientFilters): ((record: ClientRecord) => boolean) | undefined {
  const { likeClientId, likeUsername } = filters;
  if (likeClientId === undefined && likeUsername === undefined) return undefined;
  return (record) =>
    (likeClientId === undefined || record.clientId.includes(likeClientId)) &&
    (likeUsername === undefined || (record.username !== undefined && record.username.includes(likeUsername)));
}

function readRanges(list: OrderedList<ClientRecord>, ranges: readonly Range[], descending: boolean, offset: number, limit: number): ClientPage {
  const count = ranges.reduce((sum, range) => sum + range.to - range.from, 0);
  const records: ClientRecord[] = [];
  let skip = offset;
  for (const range of descending ? [...ranges].reverse() : ranges) {
    const length = range.to - range.from;
    if (skip >= length) {
      skip -= length;
      continue;
    }
    const wanted = limit - records.length;
    if (descending) list.scan(Math.max(range.from, range.to - skip - wanted), range.to - skip, true, (record) => void records.push(record));
    else list.scan(range.from + skip, Math.min(range.to, range.from + skip + wanted), false, (record) => void records.push(record));
    skip = 0;
    if (records.length >= limit) break;
  }
  return { records, count, hasNext: offset + limit < count };
}

function forEachInRanges(list: OrderedList<ClientRecord>, ranges: readonly Range[], descending: boolean, visit: (record: ClientRecord) => void): void {
  for (const range of descending ? [...ranges].reverse() : ranges) list.scan(range.from, range.to, descending, visit);
}

function comparator(order: ClientOrder & { by: IndexedKey }): (a: ClientRecord, b: ClientRecord) => number {
  const sign = order.descending ? -1 : 1;
  const by = order.by;
  return (a, b) => sign * (compareValues(indexValue(a, by), indexValue(b, by)) || compareValues(a.clientId, b.clientId));
}
