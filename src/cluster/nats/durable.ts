// The durable plane (QoS 1/2): the message stream, written by the publishing node, and this node's durable
// consumer, from which it routes every QoS 1/2 message to its own sessions, its own publications included
// (one ordered path per node). A node writes what it published in one event-loop turn as one stream
// message (up to MAX_BATCH_BYTES) on its batch subject; a message some shared group matches goes on its
// topic's subject instead (with the others of that subject this turn, at most SHARED_BATCH_MESSAGES), so
// the group's consumer, filtered by the group's subject, finds it. On nats-server 2.9 a consumer takes one
// filter subject, so every node reads every durable message; it reads each entry's topic and decodes only
// the entries its own subscriptions match (2.10's filter_subjects would let a node read only its filters).
//
// The publisher's PUBACK/PUBREC waits (CommitTracker -> Barrier) for JetStream's acknowledgement, which
// comes once the stream's replicas hold it; a failed or timed-out attempt is retried with the same
// message id (deduplicated by the stream) until `publishTimeoutMs`. This node acknowledges a routed
// message (AckAll, so one ack per batch) once what its sessions wrote for it is durable: a node killed
// in between gets it again from its consumer at restart.

import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, type Consumer, type ConsumerInfo, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { readStream } from './read.js';
import type { Message } from '../../core/message.js';
import type { Logger } from '../../log.js';
import type { CommitTracker } from './commit.js';
import { BatchReader, decodeBatch, encodeBatch } from './envelope.js';
import { TurnBatcher, type Batch } from './batcher.js';
import type { ClusterNames } from './names.js';
import type { Barrier } from '../../session/persistence.js';

const RETRY_PAUSE_MS = 250;
/** Bytes of messages per stream message (the stream's max_msg_size is NATS' max_payload, 1 MiB by default). */
const MAX_BATCH_BYTES = 256 * 1024;
/**
 * A group's consumer hands a stream message to one node: a cap keeps a burst on one topic spread over the
 * group's nodes, while still dividing JetStream's per-message cost by up to this much.
 */
const SHARED_BATCH_MESSAGES = 16;
/**
 * Stream messages the node consumer pulls ahead of routing (each up to MAX_BATCH_BYTES). Counted in
 * messages: a pull by bytes stalls (until heartbeats are missed) when the next message does not fit.
 */
const READ_AHEAD_MESSAGES = 32;
/** Messages routed from the stream before the event loop gets a turn (sockets, acknowledgements). */
const YIELD_AFTER_MESSAGES = 2000;
/** A message routed but not acknowledged (its sessions' writes failed, or the node died) comes again after this. */
const ACK_WAIT_NS = 10_000_000_000;

/** Up to where a node consumer's messages are routed for sure: its ack floor, or its start when it acknowledged nothing yet. */
export function routedUpTo(info: ConsumerInfo): number {
  if (info.ack_floor.stream_seq > 0) return info.ack_floor.stream_seq;
  return Math.max(0, info.delivered.stream_seq - info.delivered.consumer_seq);
}

/**
 * A fault for tests only: STARLINGTEST_LOSE_STREAM_DELIVERIES="<from>-<to>" makes this node's consumer
 * ignore the first delivery of those stream sequences, unrouted and unacknowledged, as when a NATS server
 * dies with them in transit (test/cluster/lost-deliveries.test.ts). Not STARLING_: those are configuration,
 * and the tests pass none of them to a broker process. Unset: no check at all.
 */
function lostDeliveriesForTest(): ((sequence: number) => boolean) | undefined {
  const range = /^(\d+)-(\d+)$/.exec(process.env['STARLINGTEST_LOSE_STREAM_DELIVERIES'] ?? '');
  if (range === null) return undefined;
  const [from, to] = [Number(range[1]), Number(range[2])];
  const lost = new Set<number>();
  return (sequence) => {
    if (sequence < from || sequence > to || lost.has(sequence)) return false;
    lost.add(sequence);
    return true;
  };
}

/** A stream write being gathered: what the PUBACKs of its messages wait for. */
interface PendingWrite {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface DurableOptions {
  node: string;
  /** Distinguishes this run's message ids from an earlier run's (deduplication window). */
  boot: string;
}

export class DurablePlane {
  private readonly js: JetStreamClient;
  /** Stream sequence of the last message this node routed (its position, for session cursors). */
  routedSequence = 0;
  private stopped = false;
  private lastRouted: JsMsg | undefined;
  private ackScheduled = false;
  private consuming: Promise<void> | undefined;
  private readonly ackRouted = (): void => {
    this.ackScheduled = false;
    const msg = this.lastRouted;
    this.lastRouted = undefined;
    if (msg === undefined) return;
    const barrier = this.barrier();
    if (barrier === undefined) msg.ack();
    else barrier.promise.then(() => msg.ack(), () => undefined /* not acked: redelivered after ack_wait */);
  };

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    private readonly tracker: CommitTracker,
    private readonly options: DurableOptions,
    /** Whether this node's ordinary subscriptions match a topic (else its entry is skipped undecoded). */
    private readonly wanted: (topic: string) => boolean,
    /** Routes one durable message to this node's sessions. */
    private readonly route: (message: Message, sequence: number) => void,
    /** The store's barrier after routing (what the sessions wrote), or undefined when nothing is pending. */
    private readonly barrier: () => Barrier | undefined,
    private readonly logger: Logger,
  ) {
    this.js = jetstream(nc);
    this.batchSubject = names.durableBatch(options.node);
  }

  /**
   * Writes a QoS 1/2 message to the stream with the others of this turn; `shared`: a shared group matches
   * it (its topic's subject). The current commit waits for the write.
   */
  publish(message: Message, shared: boolean): void {
    if (shared) this.sharedBatches.add(this.names.durable.topic(message.topic), message);
    else this.batches.add(this.batchSubject, message);
  }

  private readonly batchSubject: string;
  private readonly pendingWrite = (): PendingWrite => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.tracker.track(promise);
    return { promise, resolve, reject };
  };
  private readonly write = (subject: string, batch: Batch<PendingWrite>): void => {
    const data = encodeBatch(batch.messages);
    // Retried with the same message id: the stream keeps one copy (duplicate window).
    const msgID = `${this.options.node}.${this.options.boot}.${batch.messages[0]!.id}`;
    const written = batch.state;
    this.tracker.retry((timeout) => this.js.publish(subject, data, { msgID, timeout })).then(() => written.resolve(), written.reject);
  };
  private readonly batches = new TurnBatcher<PendingWrite>(this.write, this.pendingWrite, MAX_BATCH_BYTES);
  private readonly sharedBatches = new TurnBatcher<PendingWrite>(this.write, this.pendingWrite, MAX_BATCH_BYTES, SHARED_BATCH_MESSAGES);

  /** Creates (or finds) this node's consumer and starts routing from it. */
  async start(): Promise<void> {
    const stream = this.names.messagesStream;
    const name = this.names.nodeConsumer(this.options.node);
    let info: ConsumerInfo;
    try {
      info = await this.jsm.consumers.info(stream, name);
    } catch {
      info = await this.jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.All,
        // A new node starts with what is published from now on; a known one resumes where it acknowledged.
        deliver_policy: DeliverPolicy.New,
        max_ack_pending: 20_000,
        ack_wait: ACK_WAIT_NS,
      });
    }
    this.routedSequence = routedUpTo(info);
    const consumer = await this.js.consumers.get(stream, name);
    this.consuming = this.consume(consumer);
  }

  private async consume(consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      try {
        const messages = await consumer.consume({ max_messages: READ_AHEAD_MESSAGES });
        this.closeMessages = () => void messages.close();
        let routedThisTurn = 0;
        for await (const msg of messages) {
          if (this.lostForTest?.(msg.seq) === true) continue;
          // The stream holds only durable messages, so this consumer's sequences follow each other: a jump
          // means deliveries were lost in transit (a server died with them). The next acknowledgement
          // (AckAll) would cover them, so read them from the stream before going on.
          if (msg.seq > this.routedSequence + 1) await this.routeMissed(this.routedSequence, msg.seq - 1);
          routedThisTurn += this.handle(msg);
          if (this.stopped) break;
          // The iterator hands buffered messages over in microtasks: without a pause this node would route
          // everything buffered before its sockets flush and its subscribers' acknowledgements are read,
          // queueing (and dropping) what their windows could have taken.
          if (routedThisTurn >= YIELD_AFTER_MESSAGES) {
            routedThisTurn = 0;
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'cluster: message consumer interrupted; resuming');
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  private closeMessages: (() => void) | undefined;
  /** Test fault (see lostDeliveriesForTest): whether to drop this delivery as if lost in transit. */
  private readonly lostForTest = lostDeliveriesForTest();
  private readonly reader = new BatchReader();

  /** Routes one stream message; returns how many messages it carried. */
  private handle(msg: JsMsg): number {
    const sequence = msg.seq;
    if (sequence <= this.routedSequence) {
      msg.ack(); // already routed (a redelivery after a barrier failed, or a replay overlap)
      return 0;
    }
    let count = 0;
    this.routedSequence = sequence;
    const reader = this.reader;
    for (let first = true; ; first = false) {
      let message: Message;
      try {
        if (first) reader.reset(msg.data);
        if (!reader.next()) break;
        count++;
        if (!this.wanted(reader.topic)) continue;
        message = reader.message();
      } catch (error) {
        this.logger.warn({ err: error, sequence }, 'cluster: undecodable durable message skipped');
        break;
      }
      this.route(message, sequence);
    }
    this.lastRouted = msg;
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(this.ackRouted);
    }
    return count;
  }

  /** Routes what the stream holds in (after, upTo] (the messages the consumer's deliveries skipped). */
  private async routeMissed(after: number, upTo: number): Promise<void> {
    this.logger.warn({ from: after + 1, to: upTo }, 'cluster: stream messages were not delivered to this node; reading them from the stream');
    await this.replay(after, upTo, (message, sequence) => {
      if (this.wanted(message.topic)) this.route(message, sequence);
    });
    this.routedSequence = upTo;
  }

  /** Where `node`'s consumer has routed for sure (a dead node's sessions hold everything up to it); the stream's end when it has none. */
  async cursorOf(node: string): Promise<number> {
    try {
      return routedUpTo(await this.jsm.consumers.info(this.names.messagesStream, this.names.nodeConsumer(node)));
    } catch {
      return (await this.jsm.streams.info(this.names.messagesStream)).state.last_seq;
    }
  }

  /** Reads the messages with sequences in (after, upTo], in order. */
  async replay(after: number, upTo: number, visit: (message: Message, sequence: number) => void): Promise<void> {
    if (upTo <= after) return;
    await readStream(this.js, this.names.messagesStream, `${this.names.prefix}.d.>`, (msg) => {
      let entries: ReturnType<typeof decodeBatch>;
      try {
        entries = decodeBatch(msg.data);
      } catch {
        return;
      }
      for (const { message } of entries) visit(message, msg.seq);
    }, { fromSequence: after + 1, toSequence: upTo });
  }

  /** Deletes a dead node's consumer once its sessions are adopted. */
  async removeConsumerOf(node: string): Promise<void> {
    await this.jsm.consumers.delete(this.names.messagesStream, this.names.nodeConsumer(node)).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.batches.flush();
    this.sharedBatches.flush();
    this.stopped = true;
    this.closeMessages?.();
    this.ackRouted();
    await this.consuming?.catch(() => undefined);
  }
}
