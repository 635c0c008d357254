// Configuration records as the authorization layer uses them: the Store's RecordStore (LMDB, shared
// with `starling ctl` in another process), or an in-memory one when the broker has no store
// (durability: memory). A generation number per kind tells a running broker that records changed.

import type { RecordKind, RecordStore } from '../store/store.js';

export type { RecordKind, RecordStore };
export { MemoryRecords } from '../store/memory/memory-records.js';

/** Record key of the generation number of a kind; bumped by every change `starling ctl` makes. */
export const GENERATION_KEY = '__generation';

export function readGeneration(records: RecordStore, kind: RecordKind): number {
  const value = records.get<number>(kind, GENERATION_KEY);
  return typeof value === 'number' ? value : 0;
}

export function bumpGeneration(records: RecordStore, kind: RecordKind): number {
  const next = readGeneration(records, kind) + 1;
  records.save(kind, GENERATION_KEY, next);
  return next;
}

/** Records of a kind without the generation entry. */
export function listEntries<T>(records: RecordStore, kind: RecordKind): Array<[key: string, value: T]> {
  return records.list<T>(kind).filter(([key]) => key !== GENERATION_KEY);
}
