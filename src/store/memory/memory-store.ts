// The in-memory Store: plain maps, nothing durable. Serves `durability: 'memory'` and tests.
// open() may be called again at any time and returns a snapshot of what the maps hold.

import type { RecordKind, Store, StoredDelivery, StoredMessage, StoredSession, StoredState } from '../store.js';

export class MemoryStore implements Store {
  private readonly sessions = new Map<string, StoredSession>();
  private readonly deliveries = new Map<string, Map<number, StoredDelivery>>();
  // Messages are immutable once published, so they are kept by reference.
  private readonly messages = new Map<number, StoredMessage>();
  /** Per message id, the client and sequence of every delivery of it saved, so deleteMessage ends them all. */
  private readonly deliveriesOf = new Map<number, Array<[clientId: string, sequence: number]>>();
  private readonly incomingQos2 = new Map<string, Set<number>>();
  private readonly retained = new Map<string, StoredMessage>();
  private readonly records = new Map<RecordKind, Map<string, unknown>>();
  private lastMessageId = 0;
  private lastSequence = 0;

  open(): Promise<StoredState> {
    const deliveries = new Map<string, StoredDelivery[]>();
    const referenced = new Map<number, StoredMessage>();
    for (const [clientId, bySequence] of this.deliveries) {
      const list = [...bySequence.values()].map(copyDelivery).sort((a, b) => a.sequence - b.sequence);
      if (list.length === 0) continue;
      deliveries.set(clientId, list);
      for (const delivery of list) {
        const message = this.messages.get(delivery.messageId);
        if (message !== undefined) referenced.set(delivery.messageId, message);
      }
    }
    const incomingQos2 = new Map<string, number[]>();
    for (const [clientId, packetIds] of this.incomingQos2) {
      if (packetIds.size > 0) incomingQos2.set(clientId, [...packetIds].sort((a, b) => a - b));
    }
    return Promise.resolve({
      sessions: [...this.sessions.values()].map(copySession),
      deliveries,
      messages: referenced,
      incomingQos2,
      retained: [...this.retained.values()],
      lastMessageId: this.lastMessageId,
      lastSequence: this.lastSequence,
    });
  }

  // Sessions and deliveries are copied: callers keep mutating their own objects after saving,
  // and the LMDB store (which serialises at the call) must not behave differently.
  saveSession(session: StoredSession): void {
    this.sessions.set(session.clientId, copySession(session));
  }

  deleteSession(clientId: string): void {
    this.sessions.delete(clientId);
    this.deliveries.delete(clientId);
    this.incomingQos2.delete(clientId);
  }

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

  saveRetained(message: StoredMessage): void {
    this.retained.set(message.topic, message);
  }

  deleteRetained(topic: string): void {
    this.retained.delete(topic);
  }

  getRecord<T>(kind: RecordKind, key: string): T | undefined {
    return this.records.get(kind)?.get(key) as T | undefined;
  }

  listRecords<T>(kind: RecordKind): Array<[key: string, value: T]> {
    const byKey = this.records.get(kind);
    if (byKey === undefined) return [];
    return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as Array<[string, T]>;
  }

  // Copied through structuredClone so a caller mutating its object afterwards changes nothing, as with LMDB.
  saveRecord(kind: RecordKind, key: string, value: unknown): void {
    let byKey = this.records.get(kind);
    if (byKey === undefined) {
      byKey = new Map();
      this.records.set(kind, byKey);
    }
    byKey.set(key, structuredClone(value));
  }

  deleteRecord(kind: RecordKind, key: string): void {
    this.records.get(kind)?.delete(key);
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
