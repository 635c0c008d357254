// Mirrors the state of persistent sessions (those that outlive their connection) into the Store,
// and gives the connection layer a durability barrier: with `durability: sync`, no packet leaves
// the broker before the store writes that led to it are on disk. So a PUBACK/PUBREC never precedes
// the commit of the message it acknowledges, and a QoS 2 PUBLISH/PUBREL/PUBCOMP never precedes the
// state that makes a resend after a crash safe. Writes of one event-loop turn share one commit.
//
// A message is stored once for all the sessions one publish reaches, together with the deliveries
// it makes (one record, however many sessions), with an in-memory reference count (rebuilt at start;
// the store deletes orphans at open). How the store lays out deliveries is its own business: the
// last delivery to end deletes the message, and the store removes every delivery record of it.

import type { Message } from '../core/message.js';
import type { MessageStore, Store, StoredDelivery, StoredMessage, StoredSession } from '../store/store.js';
import { ReferenceCounts } from './reference-counts.js';
import { StoreSizeCap } from './store-size-cap.js';
import type { Delivery } from './delivery.js';
import type { Session } from './session.js';

/**
 * A point in the store's commit sequence; `done` once the writes before it are durable, or once they
 * failed (`failed`): what waited for them must then never be sent.
 */
export class Barrier {
  done = false;
  failed = false;
  constructor(
    readonly promise: Promise<void>,
    onFailure?: (error: unknown) => void,
  ) {
    promise.then(
      () => {
        this.done = true;
      },
      (error: unknown) => {
        this.failed = true;
        this.done = true;
        onFailure?.(error);
      },
    );
  }
}

export class SessionPersistence {
  /** Per stored message id, how many deliveries still need it. */
  private readonly counts = new ReferenceCounts();
  private lastMessageId = 0;
  private lastSequence = 0;
  private dirty = false;
  private barrierPoint: Barrier | undefined;

  // The message record being gathered: the deliveries one publish makes are routed synchronously,
  // and go into the store with their message as one record when anything else is written, before
  // the next barrier, or at the end of the microtask queue, whichever comes first.
  private pendingId = 0;
  private pendingMessage: Message | undefined;
  private readonly pendingClientIds: string[] = [];
  private readonly pendingDeliveries: Delivery[] = [];
  private pendingScheduled = false;
  /** The message record written last, and its id. */
  private writtenMessage: Message | undefined;
  private writtenId = 0;
  private readonly writePendingSoon = (): void => {
    this.pendingScheduled = false;
    this.writePending();
  };

  private readonly sizeCap: StoreSizeCap;
  /** The store's MessageStore, on the hot path of every persistent delivery. */
  private readonly messages: MessageStore;

  constructor(
    readonly store: Store,
    maxStoreBytes: number,
    onFull: (sizeBytes: number) => void,
    /** Called when a commit fails (once per barrier): the packets held behind it are dropped with their connections. */
    private readonly onWriteFailed?: (error: unknown) => void,
  ) {
    this.sizeCap = new StoreSizeCap(store, maxStoreBytes, onFull);
    this.messages = store.messages;
  }

  /** True while the store is over its size cap: new deliveries to persistent sessions are dropped. */
  get full(): boolean {
    return this.sizeCap.full;
  }

  /** Continues id sequences after what the store holds, and counts references of loaded deliveries. */
  restore(lastMessageId: number, lastSequence: number, deliveries: Iterable<StoredDelivery>): void {
    this.lastMessageId = lastMessageId;
    this.lastSequence = lastSequence;
    for (const delivery of deliveries) this.counts.set(delivery.messageId, this.counts.get(delivery.messageId) + 1);
  }

  /** The barrier outgoing packets must wait for, or undefined when everything written is durable. */
  barrier(): Barrier | undefined {
    this.writePending();
    if (this.dirty) {
      this.dirty = false;
      const flushed = this.store.flushed();
      // The store hands out one promise per commit; one Barrier per promise lets a connection
      // hold everything waiting for the same commit in one batch.
      if (flushed === undefined) this.barrierPoint = undefined;
      else if (flushed !== this.barrierPoint?.promise) this.barrierPoint = new Barrier(flushed, this.onWriteFailed);
    }
    return this.barrierPoint !== undefined && !this.barrierPoint.done ? this.barrierPoint : undefined;
  }

  /**
   * Something outside the store joined its commit sequence (a cluster's JetStream write): the next
   * barrier must cover it, so the packets sent after it wait for it.
   */
  noteExternalWrite(): void {
    this.dirty = true;
  }

  /**
   * A session another node now owns: its deliveries stop counting here (that node rewrites them under
   * its own ids and deletes these), with no store write.
   */
  forgetSession(session: Session): void {
    for (const delivery of session.pendingDeliveries()) {
      if (delivery.sequence === 0) continue;
      const count = this.counts.get(delivery.messageId);
      if (count > 0) this.counts.set(delivery.messageId, count - 1);
      delivery.sequence = 0;
      delivery.messageId = 0;
    }
  }

  saveSession(session: Session): void {
    this.write();
    this.store.sessions.save(sessionRecord(session));
  }

  deleteSession(session: Session, deliveries: Iterable<Delivery>): void {
    this.write();
    this.store.sessions.delete(session.clientId);
    // After the session's own records are gone: those inside message records others need are ended.
    for (const delivery of deliveries) this.end(session.clientId, delivery);
  }

  /** A delivery was added or changed state (queued -> in flight -> released). */
  saveDelivery(session: Session, delivery: Delivery): void {
    this.dirty = true;
    if (delivery.sequence === 0) {
      delivery.sequence = ++this.lastSequence;
      delivery.messageId = this.reference(delivery.message);
      this.sizeCap.add(DELIVERY_BYTES);
      if (delivery.messageId === this.pendingId) {
        this.pendingClientIds.push(session.clientId);
        this.pendingDeliveries.push(delivery); // encoded when the record is written, with its state then
        return;
      }
    }
    this.writePending();
    this.messages.saveDelivery(session.clientId, deliveryRecord(delivery));
  }

  deleteDelivery(session: Session, delivery: Delivery): void {
    if (delivery.sequence === 0) return;
    this.write();
    this.end(session.clientId, delivery);
  }

  /** Ends deliveries loaded for a client that has no session (see restoreState). */
  endOrphans(clientId: string, deliveries: readonly StoredDelivery[]): void {
    if (deliveries.length === 0) return;
    this.write();
    for (const stored of deliveries) {
      this.end(clientId, stored);
    }
  }

  addIncomingQos2(session: Session, packetId: number): void {
    this.write();
    this.messages.addIncomingQos2(session.clientId, packetId);
  }

  deleteIncomingQos2(session: Session, packetId: number): void {
    this.write();
    this.messages.deleteIncomingQos2(session.clientId, packetId);
  }

  saveRetained(message: Message): void {
    this.write();
    this.store.retained.save(storedMessage(message));
  }

  deleteRetained(topic: string): void {
    this.write();
    this.store.retained.delete(topic);
  }

  /** Every store call goes through here first, so the store sees writes in the order they were made. */
  private write(): void {
    this.dirty = true;
    this.writePending();
  }

  private writePending(): void {
    const message = this.pendingMessage;
    if (message === undefined) return;
    this.pendingMessage = undefined;
    this.writtenMessage = message;
    this.writtenId = this.pendingId;
    this.counts.set(this.pendingId, this.pendingDeliveries.length);
    this.messages.saveMessage(this.pendingId, message, this.pendingClientIds, this.pendingDeliveries);
    this.pendingId = 0;
    // The store reads them during the call only: the arrays serve the next message.
    this.pendingClientIds.length = 0;
    this.pendingDeliveries.length = 0;
  }

  /**
   * The stored id of a message for a new delivery. The message being gathered counts its deliveries
   * until it is written; the one written last gains a reference (the rest of a publish's deliveries,
   * after a barrier wrote it); any other starts a new record.
   */
  private reference(message: Message): number {
    if (message === this.pendingMessage) return this.pendingId;
    if (message === this.writtenMessage) {
      const count = this.counts.get(this.writtenId);
      if (count > 0) {
        this.counts.set(this.writtenId, count + 1);
        return this.writtenId;
      }
    }
    this.writePending();
    this.pendingId = ++this.lastMessageId;
    this.pendingMessage = message;
    this.sizeCap.add(MESSAGE_BYTES + message.topic.length + message.payload.length);
    if (!this.pendingScheduled) {
      this.pendingScheduled = true;
      queueMicrotask(this.writePendingSoon);
    }
    return this.pendingId;
  }

  /** Ends a stored delivery; the last one to end takes its message, and every delivery of it, along. */
  private end(clientId: string, delivery: Pick<StoredDelivery, 'sequence' | 'messageId'>): void {
    if (delivery.sequence === 0) return;
    const messageId = delivery.messageId;
    const count = this.counts.get(messageId);
    if (count === 0) return;
    if (count > 1) {
      this.counts.set(messageId, count - 1);
      this.messages.deleteDelivery(clientId, delivery.sequence, messageId);
      return;
    }
    this.counts.set(messageId, 0);
    this.messages.deleteMessage(messageId);
  }
}

/** Estimated bytes a message record and a delivery inside it add to the store (for the size cap). */
const MESSAGE_BYTES = 128;
const DELIVERY_BYTES = 48;

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
