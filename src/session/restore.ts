// Rebuilds the broker's state from the store at start: retained messages, persistent sessions
// with their subscriptions, owed deliveries and inbound QoS 2 ids, and pending delayed wills.

import type { BrokerCore } from '../broker/broker.js';
import { nextMessageId, type Message } from '../core/message.js';
import type { StoredMessage, StoredSession, StoredState } from '../store/store.js';
import { Delivery } from './delivery.js';
import type { SessionPersistence } from './persistence.js';
import type { SessionRegistry } from './registry.js';
import { Session } from './session.js';
import { createSubscription } from '../core/subscription.js';

export function restoreState(
  state: StoredState,
  broker: BrokerCore,
  registry: SessionRegistry,
  persistence: SessionPersistence,
  now = Date.now(),
): void {
  // The store keeps the fields a delivery needs; a restored message gets a new id of this node.
  const origin = broker.config.nodeName;
  for (const stored of state.retained) {
    broker.retained.set(stored.topic, toMessage(stored, origin));
    broker.counters.retainedMessages++;
  }

  const messages = new Map<number, Message>();
  for (const [id, stored] of state.messages) messages.set(id, toMessage(stored, origin));
  const allDeliveries = [...state.deliveries.values()].flat();
  persistence.restore(state.lastMessageId, state.lastSequence, allDeliveries);

  for (const record of state.sessions) {
    const session = rebuildSession(record, broker);
    for (const stored of state.deliveries.get(record.clientId) ?? []) {
      const message = messages.get(stored.messageId);
      if (message === undefined) continue;
      const delivery = new Delivery(message, stored.qos, stored.retain, stored.subscriptionIdentifiers, stored.sharedGroup);
      delivery.sequence = stored.sequence;
      delivery.messageId = stored.messageId;
      delivery.packetId = stored.packetId;
      delivery.sent = stored.sent || stored.packetId !== 0;
      delivery.released = stored.released;
      session.restoreDelivery(delivery);
    }
    for (const packetId of state.incomingQos2.get(record.clientId) ?? []) session.incomingQos2.add(packetId);
    registry.restore(session, now);
    if (record.pendingWill !== undefined) registry.restoreWill(session, record.pendingWill, now);
  }

  // Deliveries owed to a client whose session record is gone (a crash between the commit that removed
  // the session and the one that ended its deliveries): nobody can receive them, and kept they would
  // hold their messages (and segments) in the store for good.
  const sessions = new Set(state.sessions.map((record) => record.clientId));
  for (const [clientId, stored] of state.deliveries) {
    if (sessions.has(clientId)) continue;
    persistence.endOrphans(
      clientId,
      stored.filter((owed) => messages.has(owed.messageId)),
    );
  }
}


/** A Session from its stored record, its subscriptions added to the broker's router (deliveries are the caller's). */
export function rebuildSession(record: StoredSession, broker: BrokerCore): Session {
  // The config holds the session limits (as for new sessions, session/registry.ts): a reload changes them for every session.
  const session = new Session(record.clientId, broker.config, broker);
  session.protocolVersion = record.protocolVersion;
  session.username = record.username;
  session.expiryInterval = record.expiryInterval;
  session.disconnectedAt = record.disconnectedAt;
  for (const stored of record.subscriptions) {
    const subscription = createSubscription(session, stored, stored.subscriptionIdentifier);
    session.subscriptions.set(stored.topicFilter, subscription);
    broker.subscribe(subscription);
  }
  return session;
}

/** A stored message as a Message of this node (a new id). */
export function toMessage(stored: StoredMessage, origin: string): Message {
  return { ...stored, id: nextMessageId(), origin };
}
