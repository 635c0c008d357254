// The immutable application message routed by the broker, independent of any one client's packet.

import type { Properties, PublishPacket, QoS } from '../codec/types.js';

export interface Message {
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

export function createMessage(input: MessageInput, from: string | undefined, now = Date.now()): Message {
  const properties = input.properties ?? {};
  const expiry = properties.messageExpiryInterval;
  return {
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
export function messageFromPublish(packet: PublishPacket, topic: string, from: string, now: number): Message {
  let properties = packet.properties;
  if (properties.topicAlias !== undefined || properties.subscriptionIdentifiers !== undefined) {
    const { topicAlias: _alias, subscriptionIdentifiers: _ids, ...rest } = properties;
    properties = rest;
  }
  const expiry = properties.messageExpiryInterval;
  return {
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

/** Seconds left before expiry, rounded up, or undefined if the message never expires. */
export function remainingExpirySeconds(message: Message, now: number): number | undefined {
  if (message.expiresAt === undefined) return undefined;
  return Math.max(0, Math.ceil((message.expiresAt - now) / 1000));
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
