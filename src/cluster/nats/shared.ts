// Shared subscriptions cluster-wide: one member of a group gets each message, whichever node it is on.
//
//   QoS 0     the route table lists the nodes with members of each group; the publishing node picks one in
//             turn (itself included) and sends it the message with the group's key on the live plane; that
//             node picks a member (connected first).
//   QoS 1/2   a durable consumer per group on the message stream, filtered by the group's filter subject
//             (publishers write messages a group matches on their topic's subject),
//             pulled by every node with members. A message is acknowledged once its member acknowledges it
//             (PUBACK/PUBCOMP) or it is dropped; a member or node that goes away without acknowledging
//             leaves it to be redelivered, after the ack wait, to a member anywhere.
// Topics too long for a subject reach only groups whose filter is long too (the overflow subject).

import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, type ConsumerInfo, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { BrokerCore } from '../../broker/broker.js';
import { minQoS } from '../../broker/local-router.js';
import type { Message } from '../../core/message.js';
import type { Subscriber } from '../../core/subscriber.js';
import { sharedKey } from '../../core/subscription.js';
import { topicMatches } from '../../core/topic.js';
import type { MessageAckedEvent, MessageDroppedEvent } from '../../hooks/events.js';
import type { Logger } from '../../log.js';
import type { ClusterRouter } from '../cluster-router.js';
import { decodeBatch } from './envelope.js';
import type { ClusterNames } from './names.js';

const ACK_WAIT_NS = 10_000_000_000;
const INACTIVE_NS = 3600_000_000_000;
/** Messages a node holds from one group at a time: small, so groups spread over the nodes that pull. */
const PULL_BATCH = 4;

/** A subscriber that is no member: pickSharedMember then excludes nobody. */
const NOBODY: Subscriber = { clientId: undefined, connected: false, deliver: () => undefined };

/** A message pulled from a group's consumer, with how many of the messages it carries are not yet settled. */
interface Pulled {
  msg: JsMsg;
  unsettled: number;
}

function settled(pulled: Pulled): void {
  if (pulled.unsettled > 0 && --pulled.unsettled === 0) pulled.msg.ack();
}

interface GroupHere {
  group: string;
  filter: string;
  stopped: boolean;
  close: (() => void) | undefined;
}

export class SharedGroups {
  private readonly groups = new Map<string, GroupHere>();
  /** Messages pulled from a group consumer and delivered to a member, until the member acknowledges them. */
  private readonly unacknowledged = new Map<Message, Pulled>();
  private listening = false;
  private readonly onAcked = ({ message }: MessageAckedEvent): void => this.settle(message);
  private readonly onDropped = ({ message, clientId }: MessageDroppedEvent): void => {
    if (clientId !== undefined) this.settle(message);
  };

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    private readonly router: ClusterRouter,
    private readonly broker: BrokerCore,
    private readonly logger: Logger,
  ) {}

  /** This node's first member of a group: resolves once its consumer is pulled here (SUBACK waits for it, and for the route). */
  add(group: string, filter: string): Promise<void> {
    const key = sharedKey(group, filter);
    if (this.groups.has(key)) return Promise.resolve();
    const here: GroupHere = { group, filter, stopped: false, close: undefined };
    this.groups.set(key, here);
    if (!this.listening) {
      this.listening = true;
      this.broker.events.on('message.acked', this.onAcked);
      this.broker.events.on('message.dropped', this.onDropped);
    }
    let consumerReady!: () => void;
    const ready = new Promise<void>((resolve) => (consumerReady = resolve));
    void this.pull(key, here, consumerReady);
    return withTimeout(ready, 10_000);
  }

  remove(group: string, filter: string): void {
    const key = sharedKey(group, filter);
    const here = this.groups.get(key);
    if (here === undefined) return;
    this.groups.delete(key);
    here.stopped = true;
    here.close?.();
  }

  /** A QoS 0 message the route table sent to this node for group `key`: to one member here (none left: dropped). */
  deliverLive(key: string, message: Message): void {
    const here = this.groups.get(key);
    if (here !== undefined) this.deliver(key, here, message, undefined);
  }

  /** Pulls the group's durable consumer while this node has members. */
  private async pull(key: string, here: GroupHere, ready: () => void): Promise<void> {
    const stream = this.names.messagesStream;
    const name = `sh-${hash(key)}`;
    const filter = this.names.durable.filter(here.filter) ?? this.names.durable.overflow;
    while (!here.stopped) {
      try {
        let info: ConsumerInfo;
        try {
          info = await this.jsm.consumers.info(stream, name);
        } catch {
          info = await this.jsm.consumers.add(stream, {
            durable_name: name,
            filter_subject: filter,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.New,
            ack_wait: ACK_WAIT_NS,
            max_ack_pending: 1000,
            inactive_threshold: INACTIVE_NS,
          });
        }
        // Pull requests sent while a new consumer still elects its leader are lost: wait for the leader first.
        for (let wait = 0; info.cluster?.leader === undefined && wait < 50 && !here.stopped; wait++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          info = await this.jsm.consumers.info(stream, name);
        }
        const consumer = await this.js.consumers.get(stream, name);
        // Short-lived pull requests with heartbeats: a pull the server forgot (its consumer was being created
        // by two nodes at once, or its leader moved) is replaced within seconds, not after the default 30 s.
        const messages = await consumer.consume({ max_messages: PULL_BATCH, expires: 1000, idle_heartbeat: 500 });
        here.close = () => void messages.close();
        if (here.stopped) here.close();
        // SUBACK waits for this: the node's pull is at the server before the first message can come.
        ready();
        this.logger.debug({ group: key, consumer: name }, 'cluster: pulling a shared group');
        for await (const msg of messages) {
          let messages: Message[];
          try {
            messages = decodeBatch(msg.data).map((entry) => entry.message);
          } catch {
            msg.term();
            continue;
          }
          // Acknowledged once every message it carries is settled.
          const pulled: Pulled = { msg, unsettled: messages.length };
          for (const message of messages) this.deliver(key, here, message, pulled);
        }
      } catch (error) {
        if (here.stopped) return;
        this.logger.warn({ err: error, group: key }, 'cluster: shared group consumer interrupted; resuming');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private deliver(key: string, here: GroupHere, message: Message, pulled: Pulled | undefined): void {
    if (!topicMatches(here.filter, message.topic)) {
      if (pulled !== undefined) settled(pulled); // a long topic on the overflow subject that this group's filter does not match
      return;
    }
    const member = this.router.pickSharedMember(key, NOBODY);
    if (member === undefined) {
      if (pulled !== undefined && pulled.unsettled > 0) {
        pulled.unsettled = -1; // no member here any more: the whole batch to another node
        pulled.msg.nak();
      }
      return;
    }
    const qos = minQoS(message.qos, member.qos);
    if (pulled !== undefined) {
      if (qos === 0) settled(pulled);
      else this.unacknowledged.set(message, pulled);
    }
    const ids = member.subscriptionIdentifier === undefined ? undefined : [member.subscriptionIdentifier];
    member.subscriber.deliver(message, qos, false, ids, key);
  }

  private settle(message: Message): void {
    const pulled = this.unacknowledged.get(message);
    if (pulled === undefined) return;
    this.unacknowledged.delete(message);
    settled(pulled);
  }

  stop(): void {
    for (const [key, here] of [...this.groups]) this.remove(...splitKey(key, here));
  }
}

function splitKey(_key: string, here: GroupHere): [string, string] {
  return [here.group, here.filter];
}

/** A consumer / queue name for a group: letters, digits, `-`, `_`. */
function hash(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}
