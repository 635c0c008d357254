// The live plane (QoS 0): one core NATS subscription per distinct filter this node holds, all in the
// node's queue group, so a message matching several of them arrives once. The publishing node has
// already delivered to its own subscribers and publishes once; NATS carries it only to nodes with
// interest. Final matching (No Local, overlaps, subscription identifiers) is the receiving node's trie.

import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import type { Message } from '../../core/message.js';
import type { Logger } from '../../log.js';
import { decodeMessages, encodeMessages } from './envelope.js';
import { SubjectBatcher } from './batcher.js';
import type { ClusterNames } from './names.js';

export class LivePlane {
  /** NATS subscriptions by subject, with how many of this node's filters need each. */
  private readonly subscriptions = new Map<string, { subscription: NatsSubscription; count: number }>();
  /** Subscriptions made since the last call to takeNew(): their interest must reach the other servers before SUBACK. */
  private added = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: ClusterNames,
    private readonly node: string,
    private readonly deliver: (message: Message) => void,
    private readonly logger: Logger,
  ) {}

  publish(message: Message): void {
    this.batcher.add(this.names.live.topic(message.topic), message);
  }

  private readonly batcher = new SubjectBatcher((subject, messages) => this.nc.publish(subject, encodeMessages(messages)));

  addFilter(filter: string): void {
    const subjects = this.names.live;
    const subject = subjects.filter(filter);
    if (subject !== undefined) this.ref(subject);
    if (subjects.needsOverflow(filter)) this.ref(subjects.overflow);
  }

  removeFilter(filter: string): void {
    const subjects = this.names.live;
    const subject = subjects.filter(filter);
    if (subject !== undefined) this.unref(subject);
    if (subjects.needsOverflow(filter)) this.unref(subjects.overflow);
  }

  /** True once if subscriptions were added since the last call. */
  takeAdded(): boolean {
    const added = this.added;
    this.added = false;
    return added;
  }

  private ref(subject: string): void {
    const entry = this.subscriptions.get(subject);
    if (entry !== undefined) {
      entry.count++;
      return;
    }
    const subscription = this.nc.subscribe(subject, {
      queue: this.names.nodeQueue(this.node),
      callback: (error, msg) => {
        if (error !== null) return;
        let messages: Message[];
        try {
          messages = decodeMessages(msg.data);
        } catch (decodeError) {
          this.logger.warn({ err: decodeError, subject: msg.subject }, 'cluster: undecodable live message dropped');
          return;
        }
        for (const message of messages) this.deliver(message);
      },
    });
    this.subscriptions.set(subject, { subscription, count: 1 });
    this.added = true;
  }

  private unref(subject: string): void {
    const entry = this.subscriptions.get(subject);
    if (entry === undefined) return;
    if (--entry.count > 0) return;
    this.subscriptions.delete(subject);
    entry.subscription.unsubscribe();
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }
}
