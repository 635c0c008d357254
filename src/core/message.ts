// The immutable application message routed by the broker, independent of any one client's packet.
// Every layer (channel, session, broker, store, hooks, rules, cluster) shares this one shape.

import type { Properties, PublishPacket, QoS } from '../codec/types.js';

export interface Message {
  /** Unique on the node that made it (see nextMessageId); with `origin`, lets rules and a cluster drop loops and duplicates. */
  readonly id: number;
  /** Who made it: the node name for messages from clients, wills and $SYS; `rule:<id>` or `bridge:<name>` for those. */
  readonly origin: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  /** Publish properties as received, minus Topic Alias and Subscription Identifiers (per-hop fields). */
  readonly properties: Properties;
  /** Client id of the publisher (for No Local); undefined for messages the broker makes itself. */
  readonly from: string | undefined;
  /** Milliseconds since the epoch when the broker received it. */
  readonly receivedAt: number;
  /** Milliseconds since the epoch after which it must not be delivered [MQTT-3.3.2-5]; undefined: never expires. */
  readonly expiresAt: number | undefined;
}

export interface MessageInput {
  topic: string;
  payload: Buffer | string;
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

// Ids count up from the start time in microseconds: unique within a process, and a later start begins past
// every id an earlier one used (unless it made more than a million messages a second on average). Stays
// below 2^53 until the year 2255. Kept in a typed array: a module-level number past 2^31 would be a new
// heap number on every increment.
const lastMessageId = new Float64Array([Date.now() * 1000]);

/** The next message id of this node. */
export function nextMessageId(): number {
  return ++lastMessageId[0]!;
}

export function createMessage(input: MessageInput, from: string | undefined, origin: string, now = Date.now()): Message {
  const properties = input.properties ?? {};
  const expiry = properties.messageExpiryInterval;
  return {
    id: nextMessageId(),
    origin,
    topic: input.topic,
    payload: typeof input.payload === 'string' ? Buffer.from(input.payload) : input.payload,
    qos: input.qos ?? 0,
    retain: input.retain ?? false,
    properties,
    from,
    receivedAt: now,
    expiresAt: expiry === undefined ? undefined : now + expiry * 1000,
  };
}

/** Builds a Message from a PUBLISH whose topic alias has already been resolved. */
export function messageFromPublish(packet: PublishPacket, topic: string, from: string, origin: string, now: number): Message {
  let properties = packet.properties;
  if (properties.topicAlias !== undefined || properties.subscriptionIdentifiers !== undefined) {
    const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...rest } = properties;
    properties = rest;
  }
  const expiry = properties.messageExpiryInterval;
  return {
    id: nextMessageId(),
    origin,
    topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    properties,
    from,
    receivedAt: now,
    expiresAt: expiry === undefined ? undefined : now + expiry * 1000,
  };
}

/** A copy with some fields replaced (the `message.publish` hook's rewrite); keeps id and origin. */
export function withChanges(message: Message, changes: Partial<Pick<Message, 'topic' | 'payload' | 'qos' | 'retain' | 'properties'>>): Message {
  return { ...message, ...changes };
}

/** Seconds left before expiry, rounded up, or undefined if the message never expires. */
export function remainingExpirySeconds(message: Message, now: number): number | undefined {
  if (message.expiresAt === undefined) return undefined;
  return Math.max(0, Math.ceil((message.expiresAt - now) / 1000));
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
