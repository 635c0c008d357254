// Mirrors the state of persistent sessions (those that outlive their connection) into the Store,
// and gives the connection layer a durability barrier: with `durability: sync`, no packet leaves
// the broker before the store writes that led to it are on disk. So a PUBACK/PUBREC never precedes
// the commit of the message it acknowledges, and a QoS 2 PUBLISH/PUBREL/PUBCOMP never precedes the
// state that makes a resend after a crash safe. Writes of one event-loop turn share one commit.
//
// Messages are stored once however many sessions they are owed to, with an in-memory reference
// count (rebuilt at start; the store deletes orphans at open).

import type { Message } from '../broker/message.js';
import type { Store, StoredDelivery, StoredMessage, StoredSession } from '../store/store.js';
import type { Delivery } from './delivery.js';
import type { Session } from './session.js';

/** A point in the store's commit sequence; `done` once the writes before it are durable. */
export class Barrier {
  done = false;
  constructor(readonly promise: Promise<void>) {
    promise.then(
      () => {
        this.done = true;
      },
      () => {
        this.done = true;
      },
    );
  }
}

export class SessionPersistence {
  private readonly messageIds = new WeakMap<Message, number>();
  private readonly references = new Map<number, number>();
  private lastMessageId = 0;
  private lastSequence = 0;
  private dirty = false;
  private barrierPoint: Barrier | undefined;

  private sizeCheckedAt = 0;
  private overCap = false;

  constructor(
    readonly store: Store,
    private readonly maxStoreBytes: number,
    private readonly onFull: (sizeBytes: number) => void,
  ) {}

  /** True while the store is over its size cap (checked at most once a second). */
  get full(): boolean {
    const now = Date.now();
    if (now - this.sizeCheckedAt >= 1000) {
      this.sizeCheckedAt = now;
      const size = this.store.sizeBytes();
      const over = size >= this.maxStoreBytes;
      if (over && !this.overCap) this.onFull(size);
      this.overCap = over;
    }
    return this.overCap;
  }

  /** Continues id sequences after what the store holds, and counts references of loaded deliveries. */
  restore(lastMessageId: number, lastSequence: number, deliveries: Iterable<StoredDelivery>): void {
    this.lastMessageId = lastMessageId;
    this.lastSequence = lastSequence;
    for (const delivery of deliveries) {
      this.references.set(delivery.messageId, (this.references.get(delivery.messageId) ?? 0) + 1);
    }
  }

  /** Links a loaded message object to its stored id, so new deliveries of it share the record. */
  adoptMessage(message: Message, messageId: number): void {
    this.messageIds.set(message, messageId);
  }

  /** The barrier outgoing packets must wait for, or undefined when everything written is durable. */
  barrier(): Barrier | undefined {
    if (this.dirty) {
      this.dirty = false;
      const flushed = this.store.flushed();
      this.barrierPoint = flushed === undefined ? undefined : new Barrier(flushed);
    }
    return this.barrierPoint !== undefined && !this.barrierPoint.done ? this.barrierPoint : undefined;
  }

  saveSession(session: Session): void {
    this.write();
    this.store.saveSession(sessionRecord(session));
  }

  deleteSession(session: Session, deliveries: Iterable<Delivery>): void {
    this.write();
    for (const delivery of deliveries) {
      if (delivery.messageId !== 0) this.release(delivery.messageId);
    }
    this.store.deleteSession(session.clientId);
  }

  /** A delivery was added or changed state (queued -> in flight -> released). */
  saveDelivery(session: Session, delivery: Delivery): void {
    this.write();
    if (delivery.sequence === 0) {
      delivery.sequence = ++this.lastSequence;
      delivery.messageId = this.reference(delivery.message);
    }
    this.store.saveDelivery(session.clientId, deliveryRecord(delivery));
  }

  deleteDelivery(session: Session, delivery: Delivery): void {
    if (delivery.sequence === 0) return;
    this.write();
    this.store.deleteDelivery(session.clientId, delivery.sequence);
    this.release(delivery.messageId);
  }

  addIncomingQos2(session: Session, packetId: number): void {
    this.write();
    this.store.addIncomingQos2(session.clientId, packetId);
  }

  deleteIncomingQos2(session: Session, packetId: number): void {
    this.write();
    this.store.deleteIncomingQos2(session.clientId, packetId);
  }

  saveRetained(message: Message): void {
    this.write();
    this.store.saveRetained(storedMessage(message));
  }

  deleteRetained(topic: string): void {
    this.write();
    this.store.deleteRetained(topic);
  }

  private write(): void {
    this.dirty = true;
  }

  private reference(message: Message): number {
    let id = this.messageIds.get(message);
    if (id === undefined) {
      id = ++this.lastMessageId;
      this.messageIds.set(message, id);
    }
    const count = this.references.get(id) ?? 0;
    if (count === 0) this.store.saveMessage(id, storedMessage(message));
    this.references.set(id, count + 1);
    return id;
  }

  private release(messageId: number): void {
    const count = (this.references.get(messageId) ?? 1) - 1;
    if (count > 0) {
      this.references.set(messageId, count);
      return;
    }
    this.references.delete(messageId);
    this.store.deleteMessage(messageId);
  }
}

export function storedMessage(message: Message): StoredMessage {
  return {
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: message.retain,
    properties: message.properties,
    from: message.from,
    receivedAt: message.receivedAt,
    expiresAt: message.expiresAt,
  };
}

function sessionRecord(session: Session): StoredSession {
  return {
    clientId: session.clientId,
    protocolVersion: session.protocolVersion,
    username: session.username,
    expiryInterval: session.expiryInterval,
    disconnectedAt: session.disconnectedAt,
    subscriptions: [...session.subscriptions.values()].map((subscription) => ({
      topicFilter: subscription.topicFilter,
      qos: subscription.qos,
      noLocal: subscription.noLocal,
      retainAsPublished: subscription.retainAsPublished,
      retainHandling: subscription.retainHandling,
      subscriptionIdentifier: subscription.subscriptionIdentifier,
    })),
    pendingWill: session.willTimer !== undefined ? session.will : undefined,
  };
}

function deliveryRecord(delivery: Delivery): StoredDelivery {
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
