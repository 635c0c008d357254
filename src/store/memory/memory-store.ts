// The in-memory Store: plain maps, nothing durable. Serves tests and the user records of a broker
// with `durability: 'memory'`. One small class per concern; open() may be called again at any time
// and returns a snapshot of what the maps hold.

import type { LoadedDelivery, LoadedSession, MessageStore, RetainedStore, SessionStore, Store, StoredDelivery, StoredMessage, StoredSession, StoredState } from '../store.js';
import { MemoryRecords } from './memory-records.js';

export class MemoryStore implements Store {
  readonly messages = new MemoryMessages();
  readonly sessions = new MemorySessions(this.messages);
  readonly retained = new MemoryRetained();
  readonly records = new MemoryRecords();

  // One node's: ids are not kept apart per node.
  open(nodeName: string): Promise<StoredState> {
    const { deliveries, messages, incomingQos2, lastMessageId, lastSequence } = this.messages.snapshot();
    return Promise.resolve({
      nodeName,
      sessions: this.sessions.snapshot(),
      deliveries,
      messages,
      incomingQos2,
      retained: this.retained.snapshot(),
      lastMessageId,
      lastSequence,
    });
  }

  flushed(): undefined {
    return undefined;
  }

  sizeBytes(): number {
    return 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Sessions and deliveries are copied: callers keep mutating their own objects after saving,
// and the LMDB store (which serialises at the call) must not behave differently.
export class MemorySessions implements SessionStore {
  private readonly sessions = new Map<string, StoredSession>();

  constructor(private readonly messages: MemoryMessages) {}

  save(session: StoredSession): void {
    this.sessions.set(session.clientId, copySession(session));
  }

  delete(clientId: string): void {
    this.sessions.delete(clientId);
    this.messages.deleteClient(clientId);
  }

  loadSession(clientId: string): Promise<LoadedSession | undefined> {
    const session = this.sessions.get(clientId);
    if (session === undefined) return Promise.resolve(undefined);
    return Promise.resolve({ session: copySession(session), ...this.messages.ofClient(clientId) });
  }

  snapshot(): StoredSession[] {
    return [...this.sessions.values()].map(copySession);
  }
}

export class MemoryMessages implements MessageStore {
  private readonly deliveries = new Map<string, Map<number, StoredDelivery>>();
  // Messages are immutable once published, so they are kept by reference.
  private readonly messages = new Map<number, StoredMessage>();
  /** Per message id, the client and sequence of every delivery of it saved, so deleteMessage ends them all. */
  private readonly deliveriesOf = new Map<number, Array<[clientId: string, sequence: number]>>();
  private readonly incomingQos2 = new Map<string, Set<number>>();
  private lastMessageId = 0;
  private lastSequence = 0;

  saveMessage(messageId: number, message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void {
    this.messages.set(messageId, message);
    if (messageId > this.lastMessageId) this.lastMessageId = messageId;
    for (let index = 0; index < deliveries.length; index++) this.saveDelivery(clientIds[index]!, deliveries[index]!);
  }

  deleteMessage(messageId: number): void {
    this.messages.delete(messageId);
    const keys = this.deliveriesOf.get(messageId);
    if (keys === undefined) return;
    this.deliveriesOf.delete(messageId);
    for (const [clientId, sequence] of keys) this.deleteDelivery(clientId, sequence);
  }

  saveDelivery(clientId: string, delivery: StoredDelivery): void {
    let bySequence = this.deliveries.get(clientId);
    if (bySequence === undefined) {
      bySequence = new Map();
      this.deliveries.set(clientId, bySequence);
    }
    if (!bySequence.has(delivery.sequence)) {
      let keys = this.deliveriesOf.get(delivery.messageId);
      if (keys === undefined) this.deliveriesOf.set(delivery.messageId, (keys = []));
      keys.push([clientId, delivery.sequence]);
    }
    bySequence.set(delivery.sequence, copyDelivery(delivery));
    if (delivery.sequence > this.lastSequence) this.lastSequence = delivery.sequence;
  }

  deleteDelivery(clientId: string, sequence: number): void {
    this.deliveries.get(clientId)?.delete(sequence);
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    let packetIds = this.incomingQos2.get(clientId);
    if (packetIds === undefined) {
      packetIds = new Set();
      this.incomingQos2.set(clientId, packetIds);
    }
    packetIds.add(packetId);
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.incomingQos2.get(clientId)?.delete(packetId);
  }

  /** A deleted session's deliveries and inbound QoS 2 ids. */
  deleteClient(clientId: string): void {
    this.deliveries.delete(clientId);
    this.incomingQos2.delete(clientId);
  }

  /** One client's deliveries with their messages, and its inbound QoS 2 ids. */
  ofClient(clientId: string): Omit<LoadedSession, 'session'> {
    const deliveries: LoadedDelivery[] = [];
    for (const delivery of this.sorted(clientId)) {
      const message = this.messages.get(delivery.messageId);
      if (message !== undefined) deliveries.push({ delivery, message });
    }
    return { deliveries, incomingQos2: this.packetIds(clientId) };
  }

  private packetIds(clientId: string): number[] {
    return [...(this.incomingQos2.get(clientId) ?? [])].sort((a, b) => a - b);
  }

  private sorted(clientId: string): StoredDelivery[] {
    return [...(this.deliveries.get(clientId)?.values() ?? [])].map(copyDelivery).sort((a, b) => a.sequence - b.sequence);
  }

  snapshot(): Pick<StoredState, 'deliveries' | 'messages' | 'incomingQos2' | 'lastMessageId' | 'lastSequence'> {
    const deliveries = new Map<string, StoredDelivery[]>();
    const referenced = new Map<number, StoredMessage>();
    for (const clientId of this.deliveries.keys()) {
      const list = this.sorted(clientId);
      if (list.length === 0) continue;
      deliveries.set(clientId, list);
      for (const delivery of list) {
        const message = this.messages.get(delivery.messageId);
        if (message !== undefined) referenced.set(delivery.messageId, message);
      }
    }
    const incomingQos2 = new Map<string, number[]>();
    for (const [clientId, packetIds] of this.incomingQos2) {
      if (packetIds.size > 0) incomingQos2.set(clientId, this.packetIds(clientId));
    }
    return { deliveries, messages: referenced, incomingQos2, lastMessageId: this.lastMessageId, lastSequence: this.lastSequence };
  }
}

export class MemoryRetained implements RetainedStore {
  private readonly retained = new Map<string, StoredMessage>();

  save(message: StoredMessage): void {
    this.retained.set(message.topic, message);
  }

  delete(topic: string): void {
    this.retained.delete(topic);
  }

  snapshot(): StoredMessage[] {
    return [...this.retained.values()];
  }
}

function copySession(session: StoredSession): StoredSession {
  return {
    clientId: session.clientId,
    protocolVersion: session.protocolVersion,
    username: session.username,
    expiryInterval: session.expiryInterval,
    disconnectedAt: session.disconnectedAt,
    subscriptions: session.subscriptions.map((subscription) => ({ ...subscription })),
    pendingWill: session.pendingWill,
  };
}

function copyDelivery(delivery: StoredDelivery): StoredDelivery {
  return {
    sequence: delivery.sequence,
    messageId: delivery.messageId,
    qos: delivery.qos,
    retain: delivery.retain,
    subscriptionIdentifiers: delivery.subscriptionIdentifiers,
    sharedGroup: delivery.sharedGroup,
    packetId: delivery.packetId,
    sent: delivery.sent,
    released: delivery.released,
  };
}
