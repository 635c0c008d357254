// Configuration records as the authorization layer uses them: the Store's records API (LMDB, shared
// with `starling ctl` in another process), or an in-memory stand-in when the broker has no store
// (durability: memory). A generation number per kind tells a running broker that records changed.

import type { RecordKind } from '../store/store.js';

export type { RecordKind };

export interface RecordStore {
  getRecord<T>(kind: RecordKind, key: string): T | undefined;
  listRecords<T>(kind: RecordKind): Array<[key: string, value: T]>;
  saveRecord(kind: RecordKind, key: string, value: unknown): void;
  deleteRecord(kind: RecordKind, key: string): void;
}

/** Record key of the generation number of a kind; bumped by every change `starling ctl` makes. */
export const GENERATION_KEY = '__generation';

export class MemoryRecords implements RecordStore {
  private readonly kinds = new Map<RecordKind, Map<string, unknown>>();

  private of(kind: RecordKind): Map<string, unknown> {
    let records = this.kinds.get(kind);
    if (records === undefined) this.kinds.set(kind, (records = new Map()));
    return records;
  }

  getRecord<T>(kind: RecordKind, key: string): T | undefined {
    return this.of(kind).get(key) as T | undefined;
  }

  listRecords<T>(kind: RecordKind): Array<[key: string, value: T]> {
    return ([...this.of(kind).entries()] as Array<[string, T]>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  saveRecord(kind: RecordKind, key: string, value: unknown): void {
    this.of(kind).set(key, value);
  }

  deleteRecord(kind: RecordKind, key: string): void {
    this.of(kind).delete(key);
  }
}

/** The store's records API when it has one, else undefined. */
export function recordsOf(store: unknown): RecordStore | undefined {
  const candidate = store as Partial<RecordStore> | undefined;
  return typeof candidate?.getRecord === 'function' && typeof candidate.listRecords === 'function' ? (candidate as RecordStore) : undefined;
}

export function readGeneration(records: RecordStore, kind: RecordKind): number {
  const value = records.getRecord<number>(kind, GENERATION_KEY);
  return typeof value === 'number' ? value : 0;
}

export function bumpGeneration(records: RecordStore, kind: RecordKind): number {
  const next = readGeneration(records, kind) + 1;
  records.saveRecord(kind, GENERATION_KEY, next);
  return next;
}

/** Records of a kind without the generation entry. */
export function listEntries<T>(records: RecordStore, kind: RecordKind): Array<[key: string, value: T]> {
  return records.listRecords<T>(kind).filter(([key]) => key !== GENERATION_KEY);
}
