// What outlives a connection: subscriptions, the outbound inflight window and queue of QoS 1/2
// messages, inbound QoS 2 packet ids awaiting PUBREL, and the expiry setting.
//
// Outbound flow: deliver() sends at once while the client is attached, writable and under its
// Receive Maximum; otherwise QoS 1/2 wait in the queue (bounded) and QoS 0 is dropped. An ack frees
// a slot in the window and pulls the next queued delivery. On re-attach every unacknowledged
// delivery is sent again, in order, with DUP [MQTT-4.4.0-1].
//
// Most sessions of a busy broker are idle, so the collections are created on first use: an empty
// Map costs about 240 bytes and an idle session would otherwise carry three of them.

import type { QoS } from '../codec/types.js';
import { isExpired, type Message } from '../core/message.js';
import { Delivery } from './delivery.js';
import { InflightWindow } from './inflight-window.js';
import type { DeliverySink } from './sink.js';
import type { Subscriber } from '../core/subscriber.js';
import type { Subscription } from '../core/subscription.js';
import type { Will } from '../codec/types.js';
import type { ProtocolVersion } from '../codec/constants.js';
import type { SessionPersistence } from './persistence.js';

export type DropReason = 'queue_full' | 'expired' | 'too_large' | 'slow_consumer' | 'store_full';

/** What a session reports to the broker; implemented by the broker. */
export interface SessionObserver {
  dropped(session: Session, message: Message, reason: DropReason): void;
  /** The client acknowledged a delivery (PUBACK, or PUBCOMP for QoS 2). */
  acked(session: Session, message: Message, qos: 1 | 2, packetId: number): void;
}

export interface SessionLimits {
  maxQueuedMessages: number;
  /** The broker's own cap on the outbound window, whatever the client's Receive Maximum. */
  maxInflight: number;
}

export class Session implements Subscriber {
  /** Seconds the session lives after disconnection; 0xFFFFFFFF never expires. */
  expiryInterval = 0;
  protocolVersion: ProtocolVersion = 4;
  username: string | undefined;
  /** Milliseconds since the epoch of the last disconnection, undefined while connected. */
  disconnectedAt: number | undefined;
  /** Will of the current (or just lost) connection. */
  will: Will | undefined;
  /** The timer that publishes a delayed will or ends an expired session (owned by the registry). */
  expiryTimer: NodeJS.Timeout | undefined;
  willTimer: NodeJS.Timeout | undefined;

  /** Set when the broker has a store; used while the session outlives its connection (expiry > 0). */
  persistence: SessionPersistence | undefined;
  /** A record of this session exists in the store. */
  stored = false;
  /** Messages dropped for this session (queue full, expired, too large, slow consumer, store full), for the management API. */
  droppedCount = 0;

  private sink: DeliverySink | undefined;
  private subscriptionsByFilter: Map<string, Subscription<Session>> | undefined;
  private incomingQos2Ids: Set<number> | undefined;
  /** Deliveries sent and not yet acknowledged, by packet id; created by the first one. */
  private inflight: InflightWindow<Delivery> | undefined;
  /** Deliveries waiting for the window, from queueHead on; undefined while empty. */
  private queue: Delivery[] | undefined;
  private queueHead = 0;
  private nextPacketId = 1;

  constructor(
    readonly clientId: string,
    private readonly limits: SessionLimits,
    private readonly observer: SessionObserver,
  ) {}

  /** Subscriptions by topic filter (created on first use). */
  get subscriptions(): Map<string, Subscription<Session>> {
    return (this.subscriptionsByFilter ??= new Map());
  }

  /** Inbound QoS 2 packet ids whose PUBREL has not come yet (exactly-once, method B of 4.3.3; created on first use). */
  get incomingQos2(): Set<number> {
    return (this.incomingQos2Ids ??= new Set());
  }

  /** How many subscriptions it holds (without creating the map). */
  get subscriptionCount(): number {
    return this.subscriptionsByFilter === undefined ? 0 : this.subscriptionsByFilter.size;
  }

  /** Inbound QoS 2 messages awaiting PUBREL (without creating the set). */
  get awaitingReleaseCount(): number {
    return this.incomingQos2Ids === undefined ? 0 : this.incomingQos2Ids.size;
  }

  get connected(): boolean {
    return this.sink !== undefined;
  }

  get inflightCount(): number {
    return this.inflight === undefined ? 0 : this.inflight.size;
  }

  get queuedCount(): number {
    return this.queue === undefined ? 0 : this.queue.length - this.queueHead;
  }

  /** Hands a routed message to this session at the given (already downgraded) QoS. */
  deliver(
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
    sharedGroup?: string,
  ): void {
    const sink = this.sink;
    if (qos === 0) {
      if (sink === undefined) return; // QoS 0 is not queued for an offline client
      if (!sink.writable) {
        this.observer.dropped(this, message, 'slow_consumer');
        return;
      }
      if (!sink.sendPublish(message, 0, undefined, false, retain, subscriptionIdentifiers)) {
        this.observer.dropped(this, message, 'too_large');
      }
      return;
    }
    if (this.persistent && this.persistence!.full) {
      this.observer.dropped(this, message, 'store_full');
      return;
    }
    const delivery = new Delivery(message, qos, retain, subscriptionIdentifiers, sharedGroup);
    if (sink !== undefined && this.queuedCount === 0 && this.hasWindow(sink)) {
      this.send(sink, delivery);
      return;
    }
    this.enqueue(delivery);
  }

  get persistent(): boolean {
    return this.persistence !== undefined && this.expiryInterval > 0;
  }

  /** Puts a delivery loaded from the store back where it was: in flight (with its packet id) or queued. */
  restoreDelivery(delivery: Delivery): void {
    if (delivery.packetId !== 0) (this.inflight ??= new InflightWindow()).add(delivery);
    else (this.queue ??= []).push(delivery);
  }

  addIncomingQos2(packetId: number): void {
    this.incomingQos2.add(packetId);
    if (this.persistent) this.persistence!.addIncomingQos2(this, packetId);
  }

  /** Forgets an inbound QoS 2 packet id at PUBREL; false when it was unknown. */
  releaseIncomingQos2(packetId: number): boolean {
    if (this.incomingQos2Ids === undefined || !this.incomingQos2Ids.delete(packetId)) return false;
    if (this.persistent) this.persistence!.deleteIncomingQos2(this, packetId);
    return true;
  }

  /** Queues deliveries handed over from elsewhere (shared group member that left), ahead of limits. */
  adopt(delivery: Delivery): void {
    const copy = new Delivery(
      delivery.message,
      delivery.qos,
      delivery.retain,
      delivery.subscriptionIdentifiers,
      delivery.sharedGroup,
    );
    (this.queue ??= []).push(copy);
    this.persist(copy);
    this.drain();
  }

  /** PUBACK for a QoS 1 delivery; false when the packet id is unknown. */
  acknowledge(packetId: number): boolean {
    const delivery = this.inflight?.get(packetId);
    if (delivery === undefined || delivery.qos !== 1) return false;
    this.inflight!.delete(packetId);
    this.forget(delivery);
    this.observer.acked(this, delivery.message, 1, packetId);
    this.drain();
    return true;
  }

  /** PUBREC for a QoS 2 delivery: send PUBREL. A PUBREC with an error code ends the delivery. */
  received(packetId: number, failed: boolean): boolean {
    const delivery = this.inflight?.get(packetId);
    if (delivery === undefined || delivery.qos !== 2) return false;
    if (failed) {
      this.inflight!.delete(packetId);
      this.forget(delivery);
      this.drain();
      return true;
    }
    if (!delivery.released) {
      delivery.released = true;
      this.persist(delivery);
    }
    this.sink?.sendPubrel(packetId);
    return true;
  }

  /** PUBCOMP for a released QoS 2 delivery. */
  complete(packetId: number): boolean {
    const delivery = this.inflight?.get(packetId);
    if (delivery === undefined || !delivery.released) return false;
    this.inflight!.delete(packetId);
    this.forget(delivery);
    this.observer.acked(this, delivery.message, 2, packetId);
    this.drain();
    return true;
  }

  /** A client connected to this session: resend what is unacknowledged, then drain the queue. */
  attach(sink: DeliverySink): void {
    this.sink = sink;
    this.disconnectedAt = undefined;
    if (this.inflight !== undefined) this.resend(sink, this.inflight);
    this.drain();
  }

  private resend(sink: DeliverySink, inflight: InflightWindow<Delivery>): void {
    for (const delivery of inflight.values()) {
      if (delivery.released) {
        sink.sendPubrel(delivery.packetId);
      } else {
        this.transmit(sink, delivery);
      }
    }
  }

  /** The client's connection ended; a stale sink (already replaced by a takeover) is ignored. */
  detach(sink: DeliverySink, now = Date.now()): void {
    if (this.sink !== sink) return;
    this.sink = undefined;
    this.disconnectedAt = now;
  }

  /** Sends queued deliveries while the window has room; called on acks and when the socket drains. */
  drain(): void {
    const sink = this.sink;
    const queue = this.queue;
    if (sink === undefined || queue === undefined) return;
    while (this.queueHead < queue.length && this.hasWindow(sink)) {
      const delivery = queue[this.queueHead]!;
      queue[this.queueHead++] = undefined as unknown as Delivery;
      this.send(sink, delivery);
    }
    // Only drain() and takePendingDeliveries() replace this.queue, so `queue` is still the live one.
    if (this.queueHead === queue.length) {
      this.queue = undefined;
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
      this.queue = queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Removes and returns every delivery not yet completed (for handing shared-group messages on). */
  takePendingDeliveries(filter: (delivery: Delivery) => boolean): Delivery[] {
    const taken: Delivery[] = [];
    const inflight = this.inflight;
    if (inflight !== undefined) {
      for (const delivery of inflight.values()) {
        if (!delivery.released && filter(delivery)) {
          inflight.delete(delivery.packetId);
          taken.push(delivery);
        }
      }
    }
    const kept: Delivery[] = [];
    const queue = this.queue ?? [];
    for (let i = this.queueHead; i < queue.length; i++) {
      const delivery = queue[i]!;
      (filter(delivery) ? taken : kept).push(delivery);
    }
    this.queue = kept.length > 0 ? kept : undefined;
    this.queueHead = 0;
    for (const delivery of taken) this.forget(delivery);
    return taken;
  }

  /** Everything owed to the client, in order: inflight first, then queued (for persistence and tests). */
  pendingDeliveries(): Delivery[] {
    return [...(this.inflight?.values() ?? []), ...(this.queue?.slice(this.queueHead) ?? [])];
  }

  private hasWindow(sink: DeliverySink): boolean {
    const inflightCount = this.inflightCount;
    return sink.writable && inflightCount < sink.receiveMaximum && inflightCount < this.limits.maxInflight;
  }

  private enqueue(delivery: Delivery): void {
    if (this.queuedCount >= this.limits.maxQueuedMessages) {
      this.observer.dropped(this, delivery.message, 'queue_full');
      return;
    }
    (this.queue ??= []).push(delivery);
    this.persist(delivery);
  }

  private send(sink: DeliverySink, delivery: Delivery): void {
    if (isExpired(delivery.message, Date.now())) {
      this.forget(delivery);
      this.observer.dropped(this, delivery.message, 'expired');
      return;
    }
    const inflight = (this.inflight ??= new InflightWindow());
    delivery.packetId = this.allocatePacketId(inflight);
    inflight.add(delivery);
    // Recorded before the PUBLISH is written: the connection holds it until the record is durable.
    this.persist(delivery);
    this.transmit(sink, delivery);
  }

  private persist(delivery: Delivery): void {
    if (this.persistent) this.persistence!.saveDelivery(this, delivery);
  }

  private forget(delivery: Delivery): void {
    if (delivery.sequence !== 0) this.persistence?.deleteDelivery(this, delivery);
  }

  private transmit(sink: DeliverySink, delivery: Delivery): void {
    const sent = sink.sendPublish(
      delivery.message,
      delivery.qos,
      delivery.packetId,
      delivery.sent,
      delivery.retain,
      delivery.subscriptionIdentifiers,
    );
    if (!sent) {
      // Too large for this client: it can never be delivered, so it is dropped, not retried.
      this.inflight!.delete(delivery.packetId);
      this.forget(delivery);
      this.observer.dropped(this, delivery.message, 'too_large');
      return;
    }
    delivery.sent = true;
  }

  private allocatePacketId(inflight: InflightWindow<Delivery>): number {
    let id = this.nextPacketId;
    while (inflight.has(id)) {
      id = id === 65535 ? 1 : id + 1;
    }
    this.nextPacketId = id === 65535 ? 1 : id + 1;
    return id;
  }
}
