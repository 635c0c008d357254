// Configuration records in memory: the RecordStore of the memory store, and the one authorization
// uses when the broker has no store. Values are copied in, so a caller changing its object after
// saving it changes nothing (as with LMDB, which serialises them).

import type { RecordKind, RecordStore } from '../store.js';

export class MemoryRecords implements RecordStore {
  private readonly kinds = new Map<RecordKind, Map<string, unknown>>();

  private of(kind: RecordKind): Map<string, unknown> {
    let records = this.kinds.get(kind);
    if (records === undefined) this.kinds.set(kind, (records = new Map()));
    return records;
  }

  get<T>(kind: RecordKind, key: string): T | undefined {
    return this.kinds.get(kind)?.get(key) as T | undefined;
  }

  list<T>(kind: RecordKind): Array<[key: string, value: T]> {
    const byKey = this.kinds.get(kind);
    if (byKey === undefined) return [];
    return ([...byKey] as Array<[string, T]>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  save(kind: RecordKind, key: string, value: unknown): void {
    this.of(kind).set(key, structuredClone(value));
  }

  delete(kind: RecordKind, key: string): void {
    this.kinds.get(kind)?.delete(key);
  }
}
