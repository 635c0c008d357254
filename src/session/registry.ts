// The session directory: client id -> session, and the live client holding it: session open/resume,
// takeover, will publication (with Will Delay Interval) and session expiry.
//
// Opening is synchronous on the fast path. A loader (a store read, a takeover from another node) may make
// it wait; then opens of the same client id queue behind each other, so two CONNECTs with one id never
// interleave [MQTT-3.1.4-3], and opens of other ids go on meanwhile.

import type { EventEmitter } from 'node:events';
import { ProtocolVersion, ReasonCode } from '../codec/constants.js';
import type { Will } from '../codec/types.js';
import type { BrokerCore } from '../broker/broker.js';
import { createMessage } from '../core/message.js';
import type { SessionPersistence } from './persistence.js';
import { Session } from './session.js';
import { clearLongTimeout, setLongTimeout } from './timers.js';

export const SESSION_NEVER_EXPIRES = 0xffffffff;

/** A live connection that owns a session; the registry can kick it out. */
export interface LiveClient {
  kick(reasonCode: number, reason: string): void;
  /** Looks up the peer's address now if that was deferred (it cannot be once the socket has closed). */
  resolvePeer(): void;
}

export interface OpenedSession {
  session: Session;
  sessionPresent: boolean;
}

/**
 * Asked before a session is opened: a promise makes the open wait for it (bring the session here from a
 * store or another node), undefined opens at once. A rejection refuses the CONNECT.
 */
export type SessionLoader = (clientId: string, clean: boolean) => Promise<void> | undefined;

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly clients = new Map<string, LiveClient>();

  /** Set at start when the broker has a store. */
  persistence: SessionPersistence | undefined;
  /** Set by a store or a cluster that can hold sessions this node has not loaded. */
  loader: SessionLoader | undefined;
  /** Opens waiting, by client id: the last one's settling, which the next open of that id waits for. */
  private readonly opening = new Map<string, Promise<void>>();

  constructor(private readonly broker: BrokerCore) {
    // Connections look their peer address up lazily; a listener for disconnections (which report the
    // address after the socket closed) needs the addresses of the clients already connected now.
    (broker.events as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'client.disconnected') this.resolvePeers();
    });
  }

  /** Has every connected client look its peer address up while its socket is still open. */
  resolvePeers(): void {
    for (const client of this.clients.values()) client.resolvePeer();
  }

  get size(): number {
    return this.sessions.size;
  }

  get connectedCount(): number {
    return this.clients.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  isConnected(clientId: string): boolean {
    return this.clients.has(clientId);
  }

  /** The live connection holding a client id's session, if one does. */
  liveClient(clientId: string): LiveClient | undefined {
    return this.clients.get(clientId);
  }

  /**
   * CONNECT accepted: kick a client already holding the id, then resume or start the session. A promise only
   * when a loader makes it wait or another open of this id is still waiting.
   */
  open(clientId: string, clean: boolean, client: LiveClient): OpenedSession | Promise<OpenedSession> {
    const before = this.opening.get(clientId);
    const loading = before === undefined ? this.loader?.(clientId, clean) : before.then(() => this.loader?.(clientId, clean));
    if (loading === undefined) return this.openNow(clientId, clean, client);
    const opened = loading.then(() => this.openNow(clientId, clean, client));
    const settled = opened.then(noop, noop);
    this.opening.set(clientId, settled);
    void settled.then(() => {
      if (this.opening.get(clientId) === settled) this.opening.delete(clientId);
    });
    return opened;
  }

  /** Resolves once no open of this client id is waiting (a release must not interleave with an open). */
  whenSettled(clientId: string): Promise<void> {
    return this.opening.get(clientId) ?? Promise.resolve();
  }

  /**
   * Hands a persistent session to another node (undefined when there is none to hand: a clean one ends
   * here): its client is kicked (MQTT 5: DISCONNECT 0x8E, a will without delay
   * is published, a delayed one cancelled [MQTT-3.1.3-9]), its record is written once more, its
   * subscriptions leave this node's router, and it is dropped here without ending it in the store.
   */
  release(clientId: string): Session | undefined {
    const session = this.sessions.get(clientId);
    if (session === undefined) return undefined;
    const client = this.clients.get(clientId);
    if (client !== undefined) {
      this.clients.delete(clientId);
      client.kick(ReasonCode.SessionTakenOver, 'session taken over');
      this.emit('session.taken_over', clientId);
    }
    if (session.expiryInterval === 0) {
      this.end(session); // nothing of it outlives its connection
      return undefined;
    }
    this.sessions.delete(clientId);
    clearLongTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    this.cancelPendingWill(session);
    this.persist(session);
    for (const subscription of session.subscriptions.values()) this.broker.unsubscribe(subscription);
    return session;
  }

  private openNow(clientId: string, clean: boolean, client: LiveClient): OpenedSession {
    const previous = this.clients.get(clientId);
    if (previous !== undefined) {
      this.clients.delete(clientId);
      // [MQTT-3.1.4-3] the existing connection is closed (MQTT 5: DISCONNECT 0x8E first)
      previous.kick(ReasonCode.SessionTakenOver, 'session taken over');
      this.emit('session.taken_over', clientId);
    }
    let session = this.sessions.get(clientId);
    let sessionPresent = false;
    if (session !== undefined) {
      clearLongTimeout(session.expiryTimer);
      session.expiryTimer = undefined;
      // [MQTT-3.1.3-9] a new connection before the will delay passes cancels the will
      this.cancelPendingWill(session);
      if (clean) {
        this.end(session);
        session = undefined;
      } else {
        sessionPresent = true;
      }
    }
    if (session === undefined) {
      session = new Session(clientId, this.broker.config, this.broker); // the config holds the session limits: no object per session
      session.persistence = this.persistence;
      this.sessions.set(clientId, session);
      this.emit('session.created', clientId);
    } else {
      this.emit('session.resumed', clientId);
    }
    this.clients.set(clientId, client);
    return { session, sessionPresent };
  }

  /**
   * The client's connection ended (it has already detached from the session). `will` is the will to
   * publish, undefined after a normal DISCONNECT.
   */
  close(session: Session, client: LiveClient, will: Will | undefined): void {
    const owner = this.clients.get(session.clientId) === client;
    if (owner) this.clients.delete(session.clientId);
    if (will !== undefined) this.handleWill(session, will, owner);
    if (!owner) return;
    if (session.expiryInterval === 0) {
      this.end(session);
      return;
    }
    this.persist(session);
    this.scheduleExpiry(session, session.expiryInterval * 1000);
  }

  /** Records a session's current settings and subscriptions in the store, or removes a session that stopped being persistent. */
  persist(session: Session): void {
    if (this.persistence === undefined) return;
    if (session.persistent) {
      this.persistence.saveSession(session);
      session.stored = true;
    } else if (session.stored) {
      this.unstore(session);
    }
  }

  /** Adds a session loaded from the store; it expires on the schedule it had before the restart. */
  restore(session: Session, now = Date.now()): void {
    session.persistence = this.persistence;
    session.stored = true;
    this.sessions.set(session.clientId, session);
    const disconnectedAt = session.disconnectedAt ?? now;
    session.disconnectedAt = disconnectedAt;
    if (session.expiryInterval === 0) {
      this.end(session);
    } else {
      this.scheduleExpiry(session, disconnectedAt + session.expiryInterval * 1000 - now);
    }
  }

  /** A delayed will that was pending when the broker stopped: published when its delay would have ended. */
  restoreWill(session: Session, will: Will, now = Date.now()): void {
    const delayMs = (will.properties.willDelayInterval ?? 0) * 1000;
    const remaining = (session.disconnectedAt ?? now) + delayMs - now;
    session.will = will;
    session.willTimer = setLongTimeout(() => {
      session.willTimer = undefined;
      session.will = undefined;
      this.publishWill(session, will);
    }, Math.max(0, remaining));
  }

  private scheduleExpiry(session: Session, delayMs: number): void {
    if (session.expiryInterval === SESSION_NEVER_EXPIRES) return;
    session.expiryTimer = setLongTimeout(() => this.end(session, 'expired'), Math.max(0, delayMs));
  }

  private unstore(session: Session): void {
    const deliveries = session.pendingDeliveries();
    this.persistence!.deleteSession(session, deliveries);
    for (const delivery of deliveries) delivery.sequence = 0;
    session.stored = false;
  }

  /** Ends a session: its will (if delayed) goes out now, subscriptions go, shared deliveries move on. */
  end(session: Session, reason: 'terminated' | 'expired' = 'terminated'): void {
    if (this.sessions.get(session.clientId) !== session) return;
    this.sessions.delete(session.clientId);
    clearLongTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    if (session.willTimer !== undefined) {
      clearLongTimeout(session.willTimer);
      session.willTimer = undefined;
      const will = session.will;
      session.will = undefined;
      if (will !== undefined) this.publishWill(session, will);
    }
    for (const subscription of session.subscriptions.values()) this.broker.unsubscribe(subscription);
    session.subscriptions.clear();
    this.handOffSharedDeliveries(session);
    if (session.stored) this.unstore(session);
    const events = this.broker.events;
    if (events.listens(`session.${reason}`)) events.emit(`session.${reason}`, { clientId: session.clientId, reason });
  }

  private emit(event: 'session.created' | 'session.resumed' | 'session.taken_over', clientId: string): void {
    const events = this.broker.events;
    if (events.listens(event)) events.emit(event, { clientId });
  }

  /** Stops expiry and will timers at shutdown; the store keeps what they would have acted on. */
  suspendTimers(): void {
    for (const session of this.sessions.values()) {
      clearLongTimeout(session.expiryTimer);
      clearLongTimeout(session.willTimer);
      session.expiryTimer = undefined;
      session.willTimer = undefined;
    }
  }

  /** Every session, for $SYS and the API. */
  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  private handleWill(session: Session, will: Will, owner: boolean): void {
    const delay = session.protocolVersion === ProtocolVersion.V5 ? (will.properties.willDelayInterval ?? 0) : 0;
    if (delay === 0 || (owner && session.expiryInterval === 0)) {
      this.publishWill(session, will);
      return;
    }
    if (!owner) return; // taken over: the new connection cancels a delayed will [MQTT-3.1.3-9]
    session.will = will;
    session.willTimer = setLongTimeout(() => {
      session.willTimer = undefined;
      session.will = undefined;
      this.publishWill(session, will);
      if (this.sessions.get(session.clientId) === session) this.persist(session);
    }, delay * 1000);
  }

  private cancelPendingWill(session: Session): void {
    if (session.willTimer === undefined) return;
    clearLongTimeout(session.willTimer);
    session.willTimer = undefined;
    session.will = undefined;
  }

  private publishWill(session: Session, will: Will): void {
    const { willDelayInterval: _delay, ...properties } = will.properties;
    this.broker.publish(
      createMessage({ topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties }, session.clientId, this.broker.config.nodeName),
    );
  }

  /** [MQTT-4.8.2] messages owed to a leaving shared-group member go to another member. */
  private handOffSharedDeliveries(session: Session): void {
    const pending = session.takePendingDeliveries((delivery) => delivery.sharedGroup !== undefined);
    for (const delivery of pending) {
      const member = this.broker.pickSharedMember(delivery.sharedGroup!, session)?.subscriber;
      // A member that is not a local session (a remote node) takes new messages only.
      if (member instanceof Session) member.adopt(delivery);
    }
  }
}

function noop(): void {}
