// The embedded durable Store on LMDB (lmdb-js). Writes are queued, not awaited: lmdb-js puts every
// write of one event turn into one transaction committed on its write thread (group commit), and
// flushed() hands out the promise for the fsync of the last of them.
// `sync` commits at the end of each turn and syncs every commit; `batched` collects writes for
// batchIntervalMs and never makes the broker wait (the last interval may be lost on power loss).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { RootDatabase } from 'lmdb';
import { StoreError } from '../store.js';
import type { DeliveryKey, RecordKind, Store, StoredDelivery, StoredMessage, StoredSession, StoredState } from '../store.js';
import { DATA_FILE, MetaKey, REMEDY, clientRange, openDatabases } from './layout.js';
import type { Databases, MessageRecord } from './layout.js';
import { checkDataFile } from './file-check.js';
import { encodeDeliveries } from './delivery-codec.js';
import { checkFormat, loadState } from './load.js';

export interface LmdbStoreOptions {
  /** The data directory; the store lives in `<path>/starling.mdb`. */
  path: string;
  durability: 'sync' | 'batched';
  batchIntervalMs: number;
  /** Reserves this much address space up front so the map never has to grow below the broker's cap. */
  maxSizeBytes?: number;
}

export class LmdbStore implements Store {
  /** The LMDB file, named in every StoreError. */
  readonly file: string;
  private root: RootDatabase | undefined;
  private databases: Databases | undefined;
  private lastMessageId = 0;
  private lastSequence = 0;
  private highWaterQueued = false;
  /** A write was queued after the last flushed() call. */
  private dirty = false;
  private pendingFlush: Promise<void> | undefined;
  /** lmdb-js's commit promise of the transaction pendingFlush was taken in. */
  private flushCommit: Promise<unknown> | undefined;
  /** lmdb-js's commit promise of the latest write: one per transaction. */
  private lastCommit: Promise<unknown> | undefined;
  private failure: unknown;

  constructor(private readonly options: LmdbStoreOptions) {
    this.file = join(options.path, DATA_FILE);
  }

  async open(): Promise<StoredState> {
    const state = await this.openWith(loadState);
    this.lastMessageId = state.lastMessageId;
    this.lastSequence = state.lastSequence;
    return state;
  }

  /**
   * Opens for configuration records only (`starling ctl` beside a running broker): no state is
   * read and no garbage collected, so nothing the broker is writing is touched.
   */
  async openRecords(): Promise<void> {
    await this.openWith(() => undefined);
  }

  private async openWith<T>(load: (databases: Databases) => T): Promise<T> {
    let root: RootDatabase;
    try {
      mkdirSync(this.options.path, { recursive: true });
      const problem = checkDataFile(this.file);
      if (problem !== undefined) throw new Error(problem);
      root = open({
        path: this.file,
        commitDelay: this.options.durability === 'batched' ? this.options.batchIntervalMs : 0,
        // deleteSession's range delete is a transaction callback; it must run in call order with plain puts.
        strictAsyncOrder: true,
        ...(this.options.maxSizeBytes === undefined ? {} : { mapSize: mapSizeFor(this.options.maxSizeBytes) }),
      });
    } catch (error) {
      throw this.unreadable(error);
    }
    let loaded: T;
    try {
      const databases = openDatabases(root);
      checkFormat(databases, this.file);
      loaded = load(databases);
      this.databases = databases;
    } catch (error) {
      await root.close().catch(() => undefined);
      throw error instanceof StoreError ? error : this.unreadable(error);
    }
    this.root = root;
    await root.flushed; // the garbage collection, before anyone relies on it
    return loaded;
  }

  getRecord<T>(kind: RecordKind, key: string): T | undefined {
    return this.db().records.get([kind, key]) as T | undefined;
  }

  listRecords<T>(kind: RecordKind): Array<[key: string, value: T]> {
    const records: Array<[string, T]> = [];
    // Keys sort by kind then key; [kind] alone sorts before every [kind, key].
    for (const { key, value } of this.db().records.getRange({ start: [kind] })) {
      if (key[0] !== kind) break;
      records.push([key[1], value as T]);
    }
    return records;
  }

  saveRecord(kind: RecordKind, key: string, value: unknown): void {
    this.track(this.db().records.put([kind, key], value));
  }

  deleteRecord(kind: RecordKind, key: string): void {
    this.track(this.db().records.remove([kind, key]));
  }

  saveSession(session: StoredSession): void {
    this.track(this.db().sessions.put(session.clientId, session));
  }

  deleteSession(clientId: string): void {
    const databases = this.db();
    // One transaction, ordered with the other writes of this turn (strictAsyncOrder), so a delivery
    // saved just before is removed and one saved just after is kept. Ended-delivery markers stay:
    // they hide deliveries inside message records until the message itself is deleted.
    this.track(
      databases.deliveries.transaction(() => {
        const range = clientRange(clientId);
        const owned = [...databases.deliveries.getRange(range)].filter(({ value }) => typeof value !== 'number');
        for (const { key } of owned) void databases.deliveries.remove(key);
        for (const key of [...databases.incomingQos2.getKeys(range)]) void databases.incomingQos2.remove(key);
        void databases.sessions.remove(clientId);
      }),
    );
  }

  saveMessage(messageId: number, message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void {
    this.track(this.db().messages.put(messageId, messageRecord(message, clientIds, deliveries)));
    if (messageId > this.lastMessageId) {
      this.lastMessageId = messageId;
      this.queueHighWater();
    }
    for (const delivery of deliveries) this.advanceSequence(delivery.sequence);
  }

  deleteMessage(messageId: number, deliveryRecords: readonly DeliveryKey[]): void {
    const databases = this.db();
    this.track(databases.messages.remove(messageId));
    for (const key of deliveryRecords) this.track(databases.deliveries.remove(key));
  }

  saveDelivery(clientId: string, delivery: StoredDelivery): void {
    this.track(this.db().deliveries.put([clientId, delivery.sequence], delivery));
    this.advanceSequence(delivery.sequence);
  }

  // A marker, not a removal: the delivery may sit inside its message's record, which others still need.
  deleteDelivery(clientId: string, sequence: number, messageId: number): void {
    this.track(this.db().deliveries.put([clientId, sequence], messageId));
  }

  private advanceSequence(sequence: number): void {
    if (sequence <= this.lastSequence) return;
    this.lastSequence = sequence;
    this.queueHighWater();
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    this.track(this.db().incomingQos2.put([clientId, packetId], true));
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.track(this.db().incomingQos2.remove([clientId, packetId]));
  }

  saveRetained(message: StoredMessage): void {
    this.track(this.db().retained.put(message.topic, message));
  }

  deleteRetained(topic: string): void {
    this.track(this.db().retained.remove(topic));
  }

  flushed(): Promise<void> | undefined {
    if (this.options.durability === 'batched') return undefined;
    if (!this.dirty) return this.pendingFlush;
    this.dirty = false;
    // Writes that joined the transaction the last flush was taken in are covered by it (and durable
    // once it has resolved): one promise, one fsync wait, per transaction however often the broker asks.
    if (this.flushCommit === this.lastCommit) return this.pendingFlush;
    const root = this.root;
    if (root === undefined) return undefined;
    // NOTE: `then` must be called now: root.flushed stands for the writes queued so far.
    const flush: Promise<void> = new Promise<void>((resolve, reject) => {
      root.flushed.then(() => {
        if (this.failure === undefined) resolve();
        else reject(this.writeFailed());
      }, reject);
    });
    this.pendingFlush = flush;
    this.flushCommit = this.lastCommit;
    const clear = (): void => {
      if (this.pendingFlush === flush) this.pendingFlush = undefined;
    };
    flush.then(clear, clear);
    return flush;
  }

  sizeBytes(): number {
    if (this.root === undefined) return 0;
    const stats = this.root.getStats() as { pageSize: number; lastPageNumber: number };
    return (stats.lastPageNumber + 1) * stats.pageSize;
  }

  async close(): Promise<void> {
    const root = this.root;
    if (root === undefined) return;
    this.writeHighWater();
    this.root = undefined;
    this.databases = undefined;
    await root.flushed;
    await root.close();
    if (this.failure !== undefined) throw this.writeFailed();
  }

  private db(): Databases {
    if (this.databases === undefined) throw new StoreError(this.file, `${this.file} is not open`);
    return this.databases;
  }

  // All writes of one transaction share lmdb-js's commit promise, so this attaches one handler
  // per commit, not per write; a failed commit is reported by the next flushed() and by close().
  private track(commit: Promise<unknown>): void {
    this.dirty = true;
    if (commit === this.lastCommit) return;
    this.lastCommit = commit;
    commit.catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  // The high-water marks are written once per turn (a microtask runs before lmdb-js commits the
  // turn's batch), so ids continue after a restart even when their records were deleted. A mark
  // that misses the commit of its ids is harmless: load also takes the highest id it reads.
  private queueHighWater(): void {
    if (this.highWaterQueued) return;
    this.highWaterQueued = true;
    queueMicrotask(() => this.writeHighWater());
  }

  private writeHighWater(): void {
    if (!this.highWaterQueued) return;
    this.highWaterQueued = false;
    const databases = this.databases;
    if (databases === undefined) return;
    this.track(databases.meta.put(MetaKey.LastMessageId, this.lastMessageId));
    this.track(databases.meta.put(MetaKey.LastSequence, this.lastSequence));
  }

  private unreadable(error: unknown): StoreError {
    const reason = error instanceof Error ? error.message : String(error);
    return new StoreError(this.file, `cannot read the store ${this.file} (${reason}): ${REMEDY}`, { cause: error });
  }

  private writeFailed(): StoreError {
    const reason = this.failure instanceof Error ? this.failure.message : String(this.failure);
    return new StoreError(this.file, `writing to ${this.file} failed (${reason})`, { cause: this.failure });
  }
}

// A fresh object with the fields always in the same order, so msgpack shares one structure for all.
function messageRecord(message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): MessageRecord {
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    properties: message.properties,
    from: message.from,
    receivedAt: message.receivedAt,
    expiresAt: message.expiresAt,
    deliveries: encodeDeliveries(clientIds, deliveries),
  };
}

// LMDB reserves address space, not disk; a cap-sized map plus headroom avoids remapping under load.
function mapSizeFor(maxSizeBytes: number): number {
  const headroom = 2 * maxSizeBytes;
  return Math.max(headroom, 0x4000_0000);
}
