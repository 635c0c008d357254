// The embedded durable Store on LMDB (lmdb-js). Writes are queued, not awaited: lmdb-js puts every
// write of one event turn into one transaction committed on its write thread (group commit). The
// messages saved in one turn go into one segment record, written at the end of the turn with the
// dead-message bitmaps of segments whose messages ended; flushed() hands out one promise per turn,
// resolved once that turn's commit is on disk.
// `sync` commits at the end of each turn and syncs every commit; `batched` collects writes for
// batchIntervalMs and never makes the broker wait (the last interval may be lost on power loss).
// The four stores of store.ts are views of this one object, so their writes share its turns; how
// messages and deliveries lie in segments and delivery records is known here only.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import { COMMIT_SECONDS_BOUNDS, StoreError } from '../store.js';
import type { LoadedSession, MessageStore, RecordKind, RecordStore, RetainedStore, SessionStore, Store, StoreStats, StoredDelivery, StoredMessage, StoredSession, StoredState } from '../store.js';
import { Histogram } from '../../metrics/histogram.js';
import { DATA_FILE, MetaKey, REMEDY, clientRange, openDatabases } from './layout.js';
import type { ClientKey, Databases } from './layout.js';
import { checkDataFile } from './file-check.js';
import { ByteWriter } from './bytes.js';
import { writeSegmentMessage } from './segment-codec.js';
import { SEGMENT_BYTES, SEGMENT_SPAN, Segment, SegmentIndex } from './segments.js';
import { checkFormat, loadState } from './load.js';
import { loadSession } from './load-session.js';
import { recordDelivery, type DeliveryRecordIndex } from './delivery-records.js';

export interface LmdbStoreOptions {
  /** The data directory; the store lives in `<path>/starling.mdb`. */
  path: string;
  durability: 'sync' | 'batched';
  batchIntervalMs: number;
  /** Reserves this much address space up front so the map never has to grow below the broker's cap. */
  maxSizeBytes?: number;
}

/** A put, a removal (value REMOVE) or, without a database, a function that queues a transaction. */
interface PendingWrite {
  database: Database<any, any> | undefined;
  key: unknown;
  value: unknown;
}

const REMOVE = Symbol('remove');

export class LmdbStore implements Store {
  /** The LMDB file, named in every StoreError. */
  readonly file: string;
  private root: RootDatabase | undefined;
  private databases: Databases | undefined;
  private lastMessageId = 0;
  private lastSequence = 0;
  private highWaterQueued = false;
  /** A write was made after the last flushed() call. */
  private dirty = false;
  /** The promise flushed() handed out for the current turn's writes, resolved after the turn ends. */
  private turnFlush: { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** The latest promise handed out, until it settles. */
  private pendingFlush: Promise<void> | undefined;
  private turnEndScheduled = false;
  /** A turn's writes are committed but not yet on disk (sync only). */
  private commitInFlight = false;
  /** A turn ended while commitInFlight: its writes go once that commit is on disk. */
  private turnEndAfterCommit = false;
  private readonly endTurnSoon = (): void => this.endTurn();
  /** lmdb-js's commit promise of the latest write: one per transaction. */
  private lastCommit: Promise<unknown> | undefined;
  private failure: unknown;
  readonly stats: StoreStats = { commitSeconds: new Histogram(COMMIT_SECONDS_BOUNDS), committedMessages: 0 };
  /** Messages saved since the last turn was written. */
  private turnMessages = 0;
  /** A commit is being timed: one at a time, so batched commits that gather several turns are timed once. */
  private timingCommit = false;

  private segments = new SegmentIndex();
  /** The segment this turn's messages go into, with its bytes so far. */
  private openSegment: Segment | undefined;
  private readonly segmentWriter = new ByteWriter(64 * 1024);
  /** Segments with ended messages whose bitmap is not written yet. */
  private deadChanged: Segment[] = [];
  /** The turn's writes other than its segment, in call order; a function runs a transaction. */
  private writes: PendingWrite[] = [];
  /** Delivery records of ended messages, removed once their segment's bitmap is written. */
  private endedDeliveryRecords: ClientKey[] = [];
  /**
   * Per message id, the delivery records kept apart from its segment (later states, ended-delivery
   * markers) as sequence -> client id: deleteMessage removes them all. Rebuilt at open from what it reads.
   */
  private deliveryRecords: DeliveryRecordIndex = new Map();

  // The four views of the store (store.ts); each call goes to the method of the same concern below.
  readonly sessions: SessionStore = {
    save: (session) => this.saveSession(session),
    delete: (clientId) => this.deleteSession(clientId),
    loadSession: (clientId) => this.loadSession(clientId),
  };

  readonly messages: MessageStore = {
    saveMessage: (messageId, message, clientIds, deliveries) => this.saveMessage(messageId, message, clientIds, deliveries),
    deleteMessage: (messageId) => this.deleteMessage(messageId),
    saveDelivery: (clientId, delivery) => this.saveDelivery(clientId, delivery),
    deleteDelivery: (clientId, sequence, messageId) => this.deleteDelivery(clientId, sequence, messageId),
    addIncomingQos2: (clientId, packetId) => this.addIncomingQos2(clientId, packetId),
    deleteIncomingQos2: (clientId, packetId) => this.deleteIncomingQos2(clientId, packetId),
  };

  readonly retained: RetainedStore = {
    save: (message) => this.saveRetained(message),
    delete: (topic) => this.deleteRetained(topic),
  };

  readonly records: RecordStore = {
    get: (kind, key) => this.getRecord(kind, key),
    list: (kind) => this.listRecords(kind),
    save: (kind, key, value) => this.saveRecord(kind, key, value),
    delete: (kind, key) => this.deleteRecord(kind, key),
  };

  constructor(private readonly options: LmdbStoreOptions) {
    this.file = join(options.path, DATA_FILE);
  }

  async open(nodeName: string): Promise<StoredState> {
    const { state, segments, deliveryRecords } = await this.openWith((databases) => loadState(databases, nodeName));
    this.lastMessageId = state.lastMessageId;
    this.lastSequence = state.lastSequence;
    this.segments = new SegmentIndex();
    for (const segment of segments) this.segments.add(segment);
    this.deliveryRecords = deliveryRecords;
    return state;
  }

  /**
   * Opens for configuration records only (`starling ctl` beside a running broker): no state is
   * read and no garbage collected, so nothing the broker is writing is touched.
   */
  async openRecords(): Promise<void> {
    await this.openWith(() => undefined, false);
  }

  /** `upgrade`: move an older format's messages into segments (never beside a running broker). */
  private async openWith<T>(load: (databases: Databases) => T, upgrade = true): Promise<T> {
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
      checkFormat(databases, this.file, upgrade);
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

  private getRecord<T>(kind: RecordKind, key: string): T | undefined {
    return this.db().records.get([kind, key]) as T | undefined;
  }

  private listRecords<T>(kind: RecordKind): Array<[key: string, value: T]> {
    const records: Array<[string, T]> = [];
    // Keys sort by kind then key; [kind] alone sorts before every [kind, key].
    for (const { key, value } of this.db().records.getRange({ start: [kind] })) {
      if (key[0] !== kind) break;
      records.push([key[1], value as T]);
    }
    return records;
  }

  private saveRecord(kind: RecordKind, key: string, value: unknown): void {
    this.queue(this.db().records, [kind, key], structuredClone(value)); // written at the end of the turn, as it is now
  }

  private deleteRecord(kind: RecordKind, key: string): void {
    this.queue(this.db().records, [kind, key], REMOVE);
  }

  private saveSession(session: StoredSession): void {
    this.queue(this.db().sessions, session.clientId, structuredClone(session));
  }

  private deleteSession(clientId: string): void {
    const databases = this.db();
    // One transaction, in order with the other writes of the turn (strictAsyncOrder), so a delivery
    // saved just before is removed and one saved just after is kept. Ended-delivery markers stay:
    // they hide deliveries inside message records until the message itself is deleted.
    this.queue(undefined, clientId, () =>
      databases.deliveries.transaction(() => {
        const range = clientRange(clientId);
        const owned = [...databases.deliveries.getRange(range)].filter(({ value }) => typeof value !== 'number');
        for (const { key } of owned) void databases.deliveries.remove(key);
        for (const key of [...databases.incomingQos2.getKeys(range)]) void databases.incomingQos2.remove(key);
        void databases.sessions.remove(clientId);
      }),
    );
  }

  private async loadSession(clientId: string): Promise<LoadedSession | undefined> {
    await this.committed();
    return loadSession(this.db(), this.segments, clientId);
  }

  /** Resolves once every write made so far is committed, so that a read sees it. */
  private async committed(): Promise<void> {
    await this.flushed(); // sync: the latest turn is on disk
    // batched: the turn's writes reach lmdb-js when it ends, and its commit follows within batchIntervalMs.
    if (this.turnEndScheduled) await new Promise<void>((resolve) => setImmediate(resolve));
    await this.root?.committed;
  }

  private saveMessage(messageId: number, message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void {
    this.db();
    this.touch();
    let segment = this.openSegment;
    const writer = this.segmentWriter;
    if (segment !== undefined && (messageId - segment.id >= SEGMENT_SPAN || writer.offset >= SEGMENT_BYTES)) {
      this.writeOpenSegment();
      segment = undefined;
    }
    if (segment === undefined) {
      segment = new Segment(messageId);
      this.segments.add(segment); // throws unless ids ascend
      this.openSegment = segment;
    } else if (messageId < segment.end) {
      throw new Error(`message ${messageId} saved after message ${segment.end - 1}`);
    }
    writeSegmentMessage(writer, segment.id, messageId, message, clientIds, deliveries);
    this.turnMessages++;
    segment.end = messageId + 1;
    segment.live++;
    if (messageId > this.lastMessageId) {
      this.lastMessageId = messageId;
      this.queueHighWater();
    }
    for (const delivery of deliveries) this.advanceSequence(delivery.sequence);
  }

  private deleteMessage(messageId: number): void {
    const databases = this.db();
    const records = this.deliveryRecords.get(messageId);
    if (records !== undefined) this.deliveryRecords.delete(messageId);
    const segment = this.segments.find(messageId);
    if (segment === undefined || segment.isDead(messageId)) {
      this.removeDeliveryRecords(records);
      return;
    }
    this.touch();
    const bitmapWasCurrent = !segment.deadChanged;
    segment.markDead(messageId);
    if (--segment.live === 0) {
      // The whole segment goes, before the delivery records: nothing can bring its messages back.
      this.segments.remove(segment);
      if (segment === this.openSegment) {
        this.openSegment = undefined;
        this.segmentWriter.reset();
      } else {
        this.queue(databases.segments, segment.id, REMOVE);
        if (segment.deadWritten) this.queue(databases.deadMessages, segment.id, REMOVE);
      }
      this.removeDeliveryRecords(records);
      return;
    }
    if (bitmapWasCurrent) this.deadChanged.push(segment);
    // Removed once the bitmap is written (endTurn): until then the segment still says they are owed.
    if (records !== undefined) for (const [sequence, clientId] of records) this.endedDeliveryRecords.push([clientId, sequence]);
  }

  private removeDeliveryRecords(records: Map<number, string> | undefined): void {
    if (records === undefined) return;
    const deliveries = this.db().deliveries;
    for (const [sequence, clientId] of records) this.queue(deliveries, [clientId, sequence], REMOVE);
  }

  private saveDelivery(clientId: string, delivery: StoredDelivery): void {
    this.queue(this.db().deliveries, [clientId, delivery.sequence], delivery);
    recordDelivery(this.deliveryRecords, delivery.messageId, clientId, delivery.sequence);
    this.advanceSequence(delivery.sequence);
  }

  // A marker, not a removal: the delivery may sit inside its message's record, which others still need.
  private deleteDelivery(clientId: string, sequence: number, messageId: number): void {
    this.queue(this.db().deliveries, [clientId, sequence], messageId);
    recordDelivery(this.deliveryRecords, messageId, clientId, sequence);
  }

  private advanceSequence(sequence: number): void {
    if (sequence <= this.lastSequence) return;
    this.lastSequence = sequence;
    this.queueHighWater();
  }

  private addIncomingQos2(clientId: string, packetId: number): void {
    this.queue(this.db().incomingQos2, [clientId, packetId], true);
  }

  private deleteIncomingQos2(clientId: string, packetId: number): void {
    this.queue(this.db().incomingQos2, [clientId, packetId], REMOVE);
  }

  private saveRetained(message: StoredMessage): void {
    this.queue(this.db().retained, message.topic, message);
  }

  private deleteRetained(topic: string): void {
    this.queue(this.db().retained, topic, REMOVE);
  }

  flushed(): Promise<void> | undefined {
    if (this.options.durability === 'batched' || this.root === undefined) return undefined;
    if (!this.dirty) return this.pendingFlush;
    this.dirty = false;
    if (this.turnFlush !== undefined) return this.turnFlush.promise;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((resolvePromise, rejectPromise) => {
      resolve = resolvePromise;
      reject = rejectPromise;
    });
    this.turnFlush = { promise, resolve, reject };
    this.pendingFlush = promise;
    const clear = (): void => {
      if (this.pendingFlush === promise) this.pendingFlush = undefined;
    };
    promise.then(clear, clear);
    this.scheduleTurnEnd();
    return promise;
  }

  sizeBytes(): number {
    if (this.root === undefined) return 0;
    const stats = this.root.getStats() as { pageSize: number; lastPageNumber: number };
    return (stats.lastPageNumber + 1) * stats.pageSize;
  }

  async close(): Promise<void> {
    const root = this.root;
    if (root === undefined) return;
    this.endTurn(true);
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

  /**
   * Writes wait for the end of the turn and go after its segment: a record that depends on a message
   * (an inbound QoS 2 id, a later delivery state) is then never durable without it.
   */
  private queue(database: Database<any, any> | undefined, key: unknown, value: unknown): void {
    checkKey(key);
    this.touch();
    this.writes.push({ database, key, value });
  }

  private touch(): void {
    this.dirty = true;
    this.scheduleTurnEnd();
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(this.endTurnSoon);
  }

  /**
   * Writes the turn's segment, then the bitmaps of segments whose messages ended, then removes those
   * messages' delivery records (in this order, so no commit holds the removals without the bitmap),
   * and resolves the turn's flushed() promise once lmdb-js has them on disk.
   */
  private endTurn(force = false): void {
    this.turnEndScheduled = false;
    const databases = this.databases;
    const root = this.root;
    if (databases === undefined || root === undefined) return;
    // Group commit: while one turn's commit is on its way to disk, later turns add to the open segment
    // and go together once it is, so under load a commit (with its fixed cost) carries more messages.
    if (this.commitInFlight && !force) {
      this.turnEndAfterCommit = true;
      return;
    }
    const started = performance.now();
    if (this.failure === undefined) {
      try {
        this.writeTurn(databases);
      } catch (error) {
        this.failure ??= error;
      }
    }
    if (this.failure !== undefined) {
      // A store that failed writes nothing more: a record written after a lost one could be durable
      // without what it depends on. Every flushed() promise from now on rejects.
      this.writes = [];
      this.deadChanged = [];
      this.endedDeliveryRecords = [];
      this.openSegment = undefined;
      this.segmentWriter.reset();
      const failed = this.turnFlush;
      this.turnFlush = undefined;
      failed?.reject(this.writeFailed());
      return;
    }
    this.stats.committedMessages += this.turnMessages;
    this.turnMessages = 0;
    this.timeCommit(root, started);
    const flush = this.turnFlush;
    if (flush === undefined) return;
    this.turnFlush = undefined;
    this.commitInFlight = true;
    // NOTE: `then` must be called now: root.flushed stands for the writes queued so far.
    const settled = (error?: unknown): void => {
      this.commitInFlight = false;
      if (error === undefined && this.failure === undefined) flush.resolve();
      else flush.reject(error ?? this.writeFailed());
      if (this.turnEndAfterCommit) {
        this.turnEndAfterCommit = false;
        this.endTurn();
      }
    };
    let done = false;
    const settleOnce = (error?: unknown): void => {
      if (done) return;
      done = true;
      settled(error);
    };
    root.flushed.then(() => settleOnce(), settleOnce);
    // A commit that fails may never report as flushed; its failure must not hold later turns forever.
    this.lastCommit?.catch(settleOnce);
  }

  /** Observes how long the writes just queued take to be durable (with `batched`, that includes the batch interval). */
  private timeCommit(root: RootDatabase, started: number): void {
    if (this.timingCommit) return;
    this.timingCommit = true;
    root.flushed.then(
      () => {
        this.timingCommit = false;
        this.stats.commitSeconds.observe((performance.now() - started) / 1000);
      },
      () => {
        this.timingCommit = false;
      },
    );
  }

  private writeTurn(databases: Databases): void {
    this.writeOpenSegment();
    const writes = this.writes;
    if (writes.length > 0) {
      this.writes = [];
      for (const { database, key, value } of writes) {
        if (database === undefined) this.track((value as () => Promise<unknown>)());
        else this.track(value === REMOVE ? database.remove(key) : database.put(key, value));
      }
    }
    this.writeHighWater();
    if (this.deadChanged.length > 0) {
      for (const segment of this.deadChanged) {
        if (segment.removed || !segment.deadChanged) continue;
        segment.deadChanged = false;
        segment.deadWritten = true;
        this.track(databases.deadMessages.put(segment.id, segment.deadBytes()));
      }
      this.deadChanged = [];
    }
    if (this.endedDeliveryRecords.length > 0) {
      for (const key of this.endedDeliveryRecords) this.track(databases.deliveries.remove(key));
      this.endedDeliveryRecords = [];
    }
  }

  private writeOpenSegment(): void {
    const segment = this.openSegment;
    if (segment === undefined) return;
    this.openSegment = undefined;
    // A copy: the writer's buffer is reused, and lmdb-js may read the value after put() returns.
    this.track(this.db().segments.put(segment.id, Buffer.from(this.segmentWriter.bytes())));
    this.segmentWriter.reset();
  }

  // All writes of one transaction share lmdb-js's commit promise, so this attaches one handler
  // per commit, not per write; a failed commit is reported by the next flushed() and by close().
  private track(commit: Promise<unknown>): void {
    if (commit === this.lastCommit) return;
    this.lastCommit = commit;
    commit.catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  // The high-water marks are written at the end of the turn, so ids continue after a restart even
  // when their records were deleted. A mark that misses the commit of its ids is harmless: load
  // also takes the highest id it reads.
  private queueHighWater(): void {
    this.highWaterQueued = true;
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

/** lmdb-js refuses keys longer than this (its default maxKeySize), when the write is made. */
const MAX_KEY_BYTES = 1978;

/**
 * Refuses a key lmdb-js would refuse, while the caller can still be told (writes are made at the end
 * of the turn): a topic or client id of more than about 1,970 bytes. Strings of up to a third of the
 * limit in UTF-16 units cannot exceed it, so most keys skip the byte count.
 */
function checkKey(key: unknown): void {
  const text = typeof key === 'string' ? key : Array.isArray(key) && typeof key[1] === 'string' ? key[1] : Array.isArray(key) ? key[0] : undefined;
  if (typeof text !== 'string' || text.length < (MAX_KEY_BYTES - 32) / 3) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_KEY_BYTES - 32) throw new Error(`a key of ${bytes} bytes (${JSON.stringify(text.slice(0, 40))}…) is longer than the store allows`);
}

// LMDB reserves address space, not disk; a cap-sized map plus headroom avoids remapping under load.
function mapSizeFor(maxSizeBytes: number): number {
  const headroom = 2 * maxSizeBytes;
  return Math.max(headroom, 0x4000_0000);
}
