// The route table replicated through JetStream: this node announces its entries (filters it holds, shared
// groups it has members in) and follows every other node's into its RouteTable.
//
//   stream    <PREFIX>_ROUTES, one subject per node, `<prefix>.rt.<node>`, rollups allowed.
//   writes    the changes of one event-loop turn as one delta (entries added, entries removed), one write at
//             a time and in order; when the deltas since the last snapshot outgrow the node's set, the
//             whole set again as a snapshot whose first chunk rolls up (deletes) everything before it on the
//             node's subject. A node writes a snapshot first of all (a new run replaces what an earlier one
//             left), after a failed write, and after reconnecting to NATS.
//   reads     every node follows the whole stream with an ordered consumer: a delta changes the node's set,
//             a snapshot replaces it once its last chunk is read. A node reads the table to its end before
//             it takes clients.
//   barrier   add() resolves once its write is acknowledged and every other live node has read past it (a
//             request on the node's `routes` control subject, answered once its follower got that far), so a
//             publish anywhere after SUBACK reaches the new subscription.
//   leaving   a node that stops writes an empty snapshot; a dead node gets one from the node that takes it
//             over (only if nothing newer came from it: a node that restarted in the meantime keeps its set).

import { headers, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/nats-core';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../../log.js';
import type { RouteTable } from '../route-table.js';
import type { CommitTracker } from './commit.js';
import type { ClusterNames } from './names.js';

/** Snapshots are written once the deltas since the last one hold more entries than this or twice the set. */
const SNAPSHOT_MIN_ENTRIES = 1024;
/** Entries per snapshot chunk, well under max_payload. */
const CHUNK_BYTES = 256 * 1024;
const PEER_TIMEOUT_MS = 2000;
const RETRY_PAUSE_MS = 500;

/** One message on a node's subject. */
interface RouteRecord {
  /** The writing node's run (its boot id). */
  b: string;
  /** A delta, or a chunk of a snapshot. */
  k: 'd' | 's';
  /** First / last chunk of a snapshot. */
  f?: 1;
  l?: 1;
  /** Entries added (a snapshot's entries). */
  a?: string[];
  /** Entries removed. */
  r?: string[];
  /** The node left (stopped, or taken for dead): its set is empty and it answers no barrier. */
  z?: 1;
}

/**
 * How long after a node's first snapshot the barrier asks it even when membership does not list it yet
 * (membership learns of a new node at its next poll, a heartbeat later).
 */
const NEW_NODE_WINDOW_MS = 10_000;

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface RouteSyncOptions {
  node: string;
  boot: string;
  /** Other live nodes (the barrier asks each). */
  peers: () => string[];
}

export class RouteSync {
  /** This node's entries now, and as the stream has them (as far as this node knows). */
  private readonly own = new Set<string>();
  private written = new Set<string>();
  /** Entries changed since the last write. */
  private readonly changed = new Set<string>();
  private snapshotWanted = true;
  private sinceSnapshot = 0;
  private writes = 0;
  /** add() calls waiting for the next write (and the peers). */
  private waiters: Waiter[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;
  private started = false;
  private stopped = false;
  /** Stream sequence the follower has applied. */
  private applied = 0;
  private readonly appliedWaiters: Array<{ sequence: number; done: () => void }> = [];
  /** Nodes whose run announced itself and did not leave: the run, and when this node read its first record. */
  private readonly announced = new Map<string, { boot: string; at: number }>();
  /** Stream sequence of this node's last route write. */
  private lastWritten = 0;
  /** Snapshots being read, per node. */
  private readonly pending = new Map<string, Set<string>>();
  private readonly subjectPrefix: string;
  private control: NatsSubscription | undefined;
  private closeFollow: (() => void) | undefined;
  private following: Promise<void> | undefined;
  private readonly writeSoon = (): void => {
    this.scheduled = false;
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.changed.size > 0 || this.snapshotWanted) this.schedule();
    });
  };

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    private readonly tracker: CommitTracker,
    private readonly table: RouteTable,
    private readonly options: RouteSyncOptions,
    private readonly logger: Logger,
  ) {
    this.subjectPrefix = `${names.prefix}.rt.`;
  }

  /** An entry of this node's (its first subscription to a filter, its first member of a group); resolves once every live node has it. */
  add(entry: string): Promise<void> {
    this.own.add(entry);
    this.table.add(this.options.node, entry);
    this.changed.add(entry);
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return promise;
  }

  /** An entry this node no longer has. */
  remove(entry: string): void {
    this.own.delete(entry);
    this.table.remove(this.options.node, entry);
    this.changed.add(entry);
    this.schedule();
  }

  /** Reads the table to its end, then follows it, answers the barrier requests and announces this node. */
  async start(): Promise<void> {
    const last = (await this.jsm.streams.info(this.names.routesStream)).state.last_seq;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (last === 0) caughtUp();
    else this.appliedWaiters.push({ sequence: last, done: caughtUp });
    this.following = this.follow();
    await ready;
    this.control = this.nc.subscribe(this.names.control(this.options.node, 'routes'), {
      callback: (_error, msg) => {
        const sequence = Number(msg.string());
        if (this.applied >= sequence || !Number.isFinite(sequence)) msg.respond();
        else this.appliedWaiters.push({ sequence, done: () => void msg.respond() });
      },
    });
    this.started = true;
    this.snapshotWanted = true;
    this.writeSoon();
    await this.writing;
    // Whatever another node wrote before this node's snapshot is read before this node takes clients: a
    // route written after this node read the table's end, by a node that did not know of it yet, is not
    // missed.
    await this.appliedAtLeast(this.lastWritten);
  }

  private appliedAtLeast(sequence: number): Promise<void> {
    if (this.applied >= sequence) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ sequence, done: resolve }));
  }

  /** Writes this node's whole set again (after a reconnection: a node taken for dead had it emptied). */
  announceAgain(): void {
    this.snapshotWanted = true;
    this.schedule();
  }

  /**
   * Empties a dead node's set for every node, unless it wrote since run `boot` (restarted): an empty
   * snapshot, expected to follow the last message of that run.
   */
  async withdraw(node: string, boot: string): Promise<void> {
    const subject = this.subjectPrefix + node;
    const last = await this.jsm.streams.getMessage(this.names.routesStream, { last_by_subj: subject }).catch(() => null);
    if (last === null) return;
    const record = parse(last.data);
    if (record === undefined || record.b !== boot) return;
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    const empty: RouteRecord = { b: boot, k: 's', f: 1, l: 1, a: [], z: 1 };
    await this.js.publish(subject, JSON.stringify(empty), { headers: h, expect: { lastSubjectSequence: last.seq } }).catch((error: unknown) => {
      if (!/wrong last sequence/i.test(String(error))) throw error;
    });
  }

  private schedule(): void {
    if (!this.started || this.scheduled || this.stopped || this.writing !== undefined) return;
    this.scheduled = true;
    setImmediate(this.writeSoon);
  }

  private async writeLoop(): Promise<void> {
    while (!this.stopped && (this.changed.size > 0 || this.snapshotWanted)) {
      const waiters = this.waiters;
      this.waiters = [];
      try {
        let sequence: number | undefined;
        if (this.snapshotWanted || this.sinceSnapshot > Math.max(SNAPSHOT_MIN_ENTRIES, 2 * this.own.size)) {
          this.snapshotWanted = false;
          this.changed.clear();
          const entries = [...this.own];
          this.written = new Set(entries);
          this.sinceSnapshot = 0;
          sequence = await this.writeSnapshot(entries);
        } else {
          const added: string[] = [];
          const removed: string[] = [];
          for (const entry of this.changed) {
            const has = this.own.has(entry);
            if (has === this.written.has(entry)) continue;
            if (has) {
              added.push(entry);
              this.written.add(entry);
            } else {
              removed.push(entry);
              this.written.delete(entry);
            }
          }
          this.changed.clear();
          if (added.length + removed.length > 0) {
            this.sinceSnapshot += added.length + removed.length;
            // A turn that added thousands (a resumed session's subscriptions) goes in several records.
            for (const chunk of chunkEntries(added)) sequence = await this.write({ b: this.options.boot, k: 'd', a: chunk }, false);
            for (const chunk of chunkEntries(removed)) sequence = await this.write({ b: this.options.boot, k: 'd', r: chunk }, false);
          }
        }
        if (sequence !== undefined) this.lastWritten = sequence;
        if (sequence !== undefined && waiters.length > 0) await this.peersApplied(sequence);
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
        if (this.stopped) return;
        // What the stream holds is not known now: write the whole set again once NATS takes writes.
        this.snapshotWanted = true;
        this.logger.warn({ err: error }, 'cluster: writing this node\'s routes failed; writing them again');
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  private async writeSnapshot(entries: string[]): Promise<number> {
    const chunks = entries.length === 0 ? [[]] : chunkEntries(entries);
    let sequence = 0;
    for (const [index, chunk] of chunks.entries()) {
      const record: RouteRecord = { b: this.options.boot, k: 's', a: chunk };
      if (index === 0) record.f = 1;
      if (index === chunks.length - 1) record.l = 1;
      sequence = await this.write(record, index === 0);
    }
    return sequence;
  }

  /** One write, retried with the same message id until publish_timeout_ms; resolves with its stream sequence. */
  private async write(record: RouteRecord, rollup: boolean): Promise<number> {
    const subject = this.subjectPrefix + this.options.node;
    const data = JSON.stringify(record);
    const msgID = `${this.options.node}.${this.options.boot}.rt${++this.writes}`;
    const h = rollup ? headers() : undefined;
    h?.set('Nats-Rollup', 'sub');
    const ack = await this.tracker.retry((timeout) => this.js.publish(subject, data, { msgID, timeout, ...(h === undefined ? {} : { headers: h }) }));
    return ack.seq;
  }

  /** Resolves once every other live node has read the table up to `sequence` (a node that does not answer in time is not waited for). */
  /**
   * Resolves once every live node applied the stream up to `sequence`: the nodes membership lists, and
   * nodes that announced themselves lately (a starting node membership has not polled yet). This node's
   * own follower reads up to `sequence` first, so a node whose snapshot came before it is known here.
   */
  private async peersApplied(sequence: number): Promise<void> {
    await this.appliedAtLeast(sequence);
    const peers = new Set(this.options.peers());
    const now = Date.now();
    for (const [node, run] of this.announced) if (now - run.at <= NEW_NODE_WINDOW_MS) peers.add(node);
    peers.delete(this.options.node);
    if (peers.size === 0) return;
    const body = String(sequence);
    await Promise.all([...peers].map((peer) => this.nc.request(this.names.control(peer, 'routes'), body, { timeout: PEER_TIMEOUT_MS }).catch(() => undefined)));
  }

  private async follow(): Promise<void> {
    let next = 1;
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.names.routesStream, {
          filter_subjects: `${this.subjectPrefix}>`,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: next,
        });
        const messages = await consumer.consume({ max_messages: 500 });
        this.closeFollow = () => void messages.close();
        if (this.stopped) this.closeFollow();
        for await (const msg of messages) {
          next = msg.seq + 1;
          this.apply(msg);
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'cluster: following the route table interrupted; resuming');
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  private apply(msg: JsMsg): void {
    const node = msg.subject.slice(this.subjectPrefix.length);
    const record = node === this.options.node ? undefined : parse(msg.data);
    if (record !== undefined) this.applyRecord(node, record);
    else if (node !== this.options.node) this.logger.warn({ subject: msg.subject, sequence: msg.seq }, 'cluster: unreadable route record skipped');
    this.applied = msg.seq;
    if (this.appliedWaiters.length > 0) {
      for (let index = this.appliedWaiters.length - 1; index >= 0; index--) {
        const waiter = this.appliedWaiters[index]!;
        if (waiter.sequence > msg.seq) continue;
        this.appliedWaiters.splice(index, 1);
        waiter.done();
      }
    }
  }

  /** Another node's record: a delta applied at once, a snapshot's chunks gathered until its last. */
  private applyRecord(node: string, record: RouteRecord): void {
    this.noteRun(node, record);
    if (record.k === 'd') {
      for (const entry of record.a ?? []) this.table.add(node, entry);
      for (const entry of record.r ?? []) this.table.remove(node, entry);
      return;
    }
    if (record.f === 1) this.pending.set(node, new Set());
    const snapshot = this.pending.get(node);
    if (snapshot === undefined) return;
    for (const entry of record.a ?? []) snapshot.add(entry);
    if (record.l === 1) {
      this.pending.delete(node);
      this.table.replace(node, snapshot);
    }
  }

  private noteRun(node: string, record: RouteRecord): void {
    if (record.z === 1) this.announced.delete(node);
    else if (this.announced.get(node)?.boot !== record.b) this.announced.set(node, { boot: record.b, at: Date.now() });
  }

  /** Stops following and writing; a node that announced anything withdraws it (best effort), so nobody sends it more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.control?.unsubscribe();
    this.closeFollow?.();
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    await this.following?.catch(() => undefined);
    await this.writing?.catch(() => undefined);
    if (!this.started) return;
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    const empty: RouteRecord = { b: this.options.boot, k: 's', f: 1, l: 1, a: [], z: 1 };
    await this.js.publish(this.subjectPrefix + this.options.node, JSON.stringify(empty), { headers: h, timeout: PEER_TIMEOUT_MS }).catch(() => undefined);
  }
}

function parse(data: Uint8Array): RouteRecord | undefined {
  try {
    const record = JSON.parse(new TextDecoder().decode(data)) as RouteRecord;
    return typeof record === 'object' && record !== null && (record.k === 'd' || record.k === 's') ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Entries in records of at most CHUNK_BYTES of JSON (counting every character as an escape could make it). */
function chunkEntries(entries: string[]): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entry.length * 3 + 4;
    if (bytes + size > CHUNK_BYTES && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
