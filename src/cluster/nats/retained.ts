// Retained messages cluster-wide: the retained stream keeps the last message of each topic's subject
// (max_msgs_per_subject 1); a delete is a tombstone record. Each node keeps its RetainedIndex as a replica:
// read whole at start, then fed by an ordered consumer, so SUBSCRIBE stays synchronous and local. A
// retained publish racing a SUBSCRIBE on another node may arrive as a live message only (MQTT allows it).

import { createHash } from 'node:crypto';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import type { RetainedStore, StoredMessage } from '../../store/store.js';
import type { Logger } from '../../log.js';
import type { CommitTracker } from './commit.js';
import type { ClusterNames } from './names.js';
import { readStream } from './read.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });

interface RetainedRecord {
  /** The node that wrote it (its own index already has it). */
  node: string;
  topic: string;
  /** Undefined: the topic's retained message was deleted. */
  message: StoredMessage | undefined;
}

export type RetainedChange = (topic: string, message: StoredMessage | undefined) => void;

export class RetainedReplica implements RetainedStore {
  private readonly overflowPrefix: string;
  private stopped = false;
  private closeWatch: (() => void) | undefined;
  private watching: Promise<void> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    private readonly tracker: CommitTracker,
    private readonly node: string,
    private readonly logger: Logger,
  ) {
    this.overflowPrefix = `${names.prefix}.r.h.`;
  }

  save(message: StoredMessage): void {
    this.write({ node: this.node, topic: message.topic, message });
  }

  delete(topic: string): void {
    this.write({ node: this.node, topic, message: undefined });
  }

  private write(record: RetainedRecord): void {
    const subject = this.subject(record.topic);
    const data = packr.pack(record);
    this.tracker.write((timeout) => this.js.publish(subject, data, { timeout }));
  }

  /** A topic's own subject: its mapping, or a hash of it when too long (one message per subject must stay one per topic). */
  private subject(topic: string): string {
    const subject = this.names.retained.topic(topic);
    if (subject !== this.names.retained.overflow) return subject;
    return this.overflowPrefix + createHash('sha256').update(topic).digest('hex');
  }

  /** The whole retained set now, and the stream sequence it was read at. */
  async load(): Promise<{ retained: StoredMessage[]; sequence: number }> {
    const retained: StoredMessage[] = [];
    const sequence = await readStream(this.js, this.names.retainedStream, `${this.names.prefix}.r.>`, (msg) => {
      const record = decode(msg);
      if (record?.message !== undefined) retained.push(record.message);
    }, { lastPerSubject: true });
    // The read stops at the last subject's last message, which may come before later writes to others.
    const info = await this.jsm.streams.info(this.names.retainedStream).catch(() => undefined);
    return { retained, sequence: Math.max(sequence, info?.state.last_seq ?? 0) };
  }

  /** Applies every change after `sequence` made by other nodes. */
  follow(sequence: number, apply: RetainedChange): void {
    this.watching = this.watch(sequence, apply);
  }

  private async watch(sequence: number, apply: RetainedChange): Promise<void> {
    let next = sequence + 1;
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(this.names.retainedStream, {
          filter_subjects: `${this.names.prefix}.r.>`,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: next,
        });
        const messages = await consumer.consume({ max_messages: 500 });
        this.closeWatch = () => void messages.close();
        for await (const msg of messages) {
          next = msg.seq + 1;
          const record = decode(msg);
          if (record !== undefined && record.node !== this.node) apply(record.topic, record.message);
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'cluster: retained replica interrupted; resuming');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeWatch?.();
    await this.watching?.catch(() => undefined);
  }
}

function decode(msg: JsMsg): RetainedRecord | undefined {
  try {
    return packr.unpack(msg.data) as RetainedRecord;
  } catch {
    return undefined;
  }
}
