// Configuration records (users, ACL rules, bans, administrators, and any kind added later, such as
// rules) shared by every node: a JetStream KV bucket, with a replica in memory on each node so reads stay
// synchronous, as the RecordStore seam requires. The replica is read whole at start and follows every
// change; a write updates it at once and joins the commit. Kinds are not listed anywhere: any kind a
// caller uses is replicated.

import type { KV } from '@nats-io/kv';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import type { RecordKind, RecordStore } from '../../store/store.js';
import type { Logger } from '../../log.js';
import type { CommitTracker } from './commit.js';
import { MemoryRecords } from '../../store/memory/memory-records.js';
import { readStream } from './read.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });

export class RecordReplica extends MemoryRecords implements RecordStore {
  private stopped = false;
  private closeWatch: (() => void) | undefined;
  private watching: Promise<void> | undefined;

  constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly bucket: string,
    private readonly tracker: CommitTracker,
    private readonly logger: Logger,
  ) {
    super();
  }

  override save(kind: RecordKind, key: string, value: unknown): void {
    super.save(kind, key, value);
    const data = packr.pack(value);
    this.tracker.write(() => this.kv.put(kvKey(kind, key), data));
  }

  override delete(kind: RecordKind, key: string): void {
    super.delete(kind, key);
    this.tracker.write(() => this.kv.delete(kvKey(kind, key)));
  }

  /** Reads every record, then follows the bucket's changes. */
  async start(): Promise<void> {
    const stream = `KV_${this.bucket}`;
    const prefix = `$KV.${this.bucket}.`;
    const last = await readStream(this.js, stream, `${prefix}>`, (msg) => {
      this.applyEntry(msg.subject.slice(prefix.length), msg.headers?.get('KV-Operation') ?? '', msg.data);
    }, { lastPerSubject: true });
    const info = await this.jsm.streams.info(stream).catch(() => undefined);
    this.watching = this.watch(Math.max(last, info?.state.last_seq ?? 0) + 1);
  }

  private async watch(from: number): Promise<void> {
    let next = from;
    while (!this.stopped) {
      try {
        const updates = await this.kv.watch({ resumeFromRevision: next });
        this.closeWatch = () => updates.stop();
        for await (const entry of updates) {
          next = entry.revision + 1;
          this.applyEntry(entry.key, entry.operation, entry.value);
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'cluster: record replica interrupted; resuming');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private applyEntry(key: string, operation: string, data: Uint8Array): void {
    const dot = key.indexOf('.');
    if (dot < 0) return;
    const kind = key.slice(0, dot) as RecordKind;
    const recordKey = Buffer.from(key.slice(dot + 1), 'base64url').toString('utf8');
    if (operation === 'DEL' || operation === 'PURGE' || data.length === 0) super.delete(kind, recordKey);
    else super.save(kind, recordKey, packr.unpack(data));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeWatch?.();
    await this.watching?.catch(() => undefined);
  }
}

/** `<kind>.<base64url(key)>`: KV keys take only a few characters, record keys any. */
function kvKey(kind: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(kind)) throw new Error(`record kind ${JSON.stringify(kind)}: expected letters, digits, '-' or '_'`);
  return `${kind}.${Buffer.from(key, 'utf8').toString('base64url') || '_'}`;
}
