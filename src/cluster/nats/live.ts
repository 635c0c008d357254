// The live plane (QoS 0): one inbox subject per node. The publishing node has delivered to its own
// subscribers, looked the topic up in the route table, and sends each interested node one batch per
// event-loop turn with every message for it (a message sent to a shared group carries the group's key). A
// node without a matching filter gets nothing; final matching (No Local, overlaps, subscription identifiers)
// is the receiving node's trie.

import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import type { Message } from '../../core/message.js';
import type { Logger } from '../../log.js';
import { BatchReader, encodeBatch } from './envelope.js';
import { TurnBatcher, type Batch } from './batcher.js';
import type { ClusterNames } from './names.js';

/** Bytes of messages per NATS message (well under NATS' default max_payload, 1 MiB). */
const MAX_BATCH_BYTES = 256 * 1024;

export class LivePlane {
  private inbox: NatsSubscription | undefined;
  private readonly reader = new BatchReader();
  private readonly batcher = new TurnBatcher<undefined>(
    (node, batch) => this.publish(node, batch),
    () => undefined,
    MAX_BATCH_BYTES,
  );

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: ClusterNames,
    private readonly node: string,
    /** A message for this node's ordinary subscribers. */
    private readonly deliver: (message: Message) => void,
    /** A message for one member of shared group `key` on this node. */
    private readonly deliverShared: (key: string, message: Message) => void,
    private readonly logger: Logger,
  ) {}

  /** Receives what other nodes send here. */
  start(): void {
    this.inbox = this.nc.subscribe(this.names.nodeInbox(this.node), {
      callback: (error, msg) => {
        if (error === null) this.receive(msg.data, msg.subject);
      },
    });
  }

  /** Queues `message` for `node` (for shared group `group` there, when given), sent at the end of the turn. */
  send(node: string, message: Message, group?: string): void {
    this.batcher.add(node, message, group);
  }

  private publish(node: string, batch: Batch<undefined>): void {
    this.nc.publish(this.names.nodeInbox(node), encodeBatch(batch.messages, batch.groups));
  }

  private receive(data: Uint8Array, subject: string): void {
    const reader = this.reader;
    for (let first = true; ; first = false) {
      let message: Message;
      let group: string | undefined;
      try {
        if (first) reader.reset(data);
        if (!reader.next()) return;
        message = reader.message();
        group = reader.group;
      } catch (error) {
        this.logger.warn({ err: error, subject }, 'cluster: undecodable live message dropped');
        return;
      }
      if (group === undefined) this.deliver(message);
      else this.deliverShared(group, message);
    }
  }

  stop(): void {
    this.batcher.flush();
    this.inbox?.unsubscribe();
  }
}
