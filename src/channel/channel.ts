// The protocol state machine of one client connection: dispatches decoded packets to their
// handlers, maps protocol errors to CONNACK/DISCONNECT, and implements the session's DeliverySink.

import { ProtocolVersion, ReasonCode, connackReturnCodeV3 } from '../codec/constants.js';
import { DecodeError } from '../codec/decoder.js';
import type { Packet, QoS, Will } from '../codec/types.js';
import type { BrokerCore } from '../broker/broker.js';
import type { Message } from '../core/message.js';
import type { ClientInfo, PeerInfo } from '../core/client.js';
import type { Logger } from '../log.js';
import type { TrafficByListener } from '../metrics/counters.js';
import type { Session } from '../session/session.js';
import type { DeliverySink } from '../session/sink.js';
import type { LiveClient, SessionRegistry } from '../session/registry.js';
import type { Outbox } from './outbox.js';
import { ProtocolError } from './protocol-error.js';
import { buildOutgoingPublish } from './outgoing-publish.js';
import { handleConnect, handleAuth } from './handlers/connect.js';
import { handlePublish, handlePubrel } from './handlers/publish.js';
import { handlePuback, handlePubrec, handlePubcomp } from './handlers/acks.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { handleDisconnect } from './handlers/disconnect.js';
import type { TopicAliases } from './topic-alias.js';
import type { AnnouncedLimits } from './announced-limits.js';
import type { ChannelTracing, PacketTracer } from './tracing.js';

export interface ChannelContext {
  broker: BrokerCore;
  registry: SessionRegistry;
  logger: Logger;
  /** Traffic counters by listener (clients connected per listener). */
  traffic: TrafficByListener;
  /** Packet traces (src/trace/); absent when the broker has none to offer. */
  tracing?: ChannelTracing;
}

export type ChannelState = 'connecting' | 'authenticating' | 'connected' | 'closed';

export class Channel implements DeliverySink, LiveClient {
  state: ChannelState = 'connecting';
  protocolVersion: ProtocolVersion = ProtocolVersion.V311;
  clientId = '';
  /** The client identifier the CONNECT asked for (empty: the broker assigns one). */
  requestedClientId = '';
  username: string | undefined;
  session: Session | undefined;
  client: ClientInfo | undefined;
  /** Will of this connection; cleared by a normal DISCONNECT [MQTT-3.1.2-10]. */
  will: Will | undefined;
  keepAlive = 0;
  /** Milliseconds since the epoch of the last packet received (keep-alive). */
  lastPacketAt: number;
  readonly connectedAt: number;

  // What the client told us about itself (MQTT 5 CONNECT properties).
  receiveMaximum = 65535;
  maximumPacketSize: number | undefined;
  requestProblemInformation = true;
  /** Session Expiry Interval the client asked for at CONNECT (DISCONNECT may not raise it from 0). */
  requestedSessionExpiry = 0;
  /** Inbound and outbound topic alias tables (MQTT 5), created on first use. */
  aliases: TopicAliases | undefined;
  /** QoS 1/2 PUBLISH packets received and not yet fully acknowledged (our Receive Maximum). */
  inboundInFlight = 0;
  /** Authentication Method of an enhanced authentication in progress or done (MQTT 5). */
  authenticationMethod: string | undefined;
  /** The limits this connection is told at CONNACK and held to (those in force when it was accepted). */
  readonly announced: AnnouncedLimits;
  /** Set only while a packet trace follows this client (src/trace/). */
  tracer: PacketTracer | undefined = undefined;

  constructor(
    readonly context: ChannelContext,
    /** The connection; a packet trace wraps it while it follows this client. */
    public outbox: Outbox,
    readonly peer: PeerInfo,
    now = Date.now(),
  ) {
    this.lastPacketAt = now;
    this.connectedAt = now;
    this.announced = context.broker.announced;
  }

  get config() {
    return this.context.broker.config;
  }

  get isV5(): boolean {
    return this.protocolVersion === ProtocolVersion.V5;
  }

  // --- DeliverySink -------------------------------------------------------------------------

  get writable(): boolean {
    return this.outbox.writable;
  }

  sendPublish(
    message: Message,
    qos: QoS,
    packetId: number | undefined,
    dup: boolean,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
  ): boolean {
    const packet = buildOutgoingPublish(this, message, qos, packetId, dup, retain, subscriptionIdentifiers);
    if (packet === undefined) return false;
    const broker = this.context.broker;
    broker.counters.messagesSent[qos]++;
    this.outbox.send(packet);
    if (broker.events.listens('message.delivered')) {
      broker.events.emit('message.delivered', { message, clientId: this.clientId, qos, packetId, dup });
    }
    return true;
  }

  sendPubrel(packetId: number): void {
    this.outbox.send({ type: 'pubrel', packetId, reasonCode: ReasonCode.Success, properties: {} });
  }

  // --- inbound -------------------------------------------------------------------------------

  /** Handles one decoded packet or decode error. A returned promise pauses reading until it settles. */
  handle(packet: Packet | DecodeError, now: number): void | Promise<void> {
    if (this.state === 'closed') return;
    this.lastPacketAt = now;
    if (this.tracer !== undefined) this.tracer.received(packet);
    if (packet instanceof DecodeError) {
      this.refuse(packet.reasonCode, packet.message);
      return;
    }
    try {
      const result = this.dispatch(packet);
      if (result !== undefined) return result.catch((error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  private dispatch(packet: Packet): void | Promise<void> {
    if (this.state === 'connecting') {
      // [MQTT-3.1.0-1] the first packet must be CONNECT
      if (packet.type !== 'connect') throw new ProtocolError(ReasonCode.ProtocolError, `${packet.type} before CONNECT`);
      const tracing = this.context.tracing;
      if (tracing !== undefined && tracing.active) tracing.connecting(this, packet);
      return handleConnect(this, packet);
    }
    if (this.state === 'authenticating') {
      if (packet.type !== 'auth') throw new ProtocolError(ReasonCode.ProtocolError, `${packet.type} during authentication`);
      return handleAuth(this, packet);
    }
    switch (packet.type) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
        return handlePuback(this, packet);
      case 'pubrec':
        return handlePubrec(this, packet);
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'pubcomp':
        return handlePubcomp(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        this.outbox.send({ type: 'pingresp' });
        return;
      case 'disconnect':
        return handleDisconnect(this, packet);
      case 'auth':
        return handleAuth(this, packet);
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
        throw new ProtocolError(ReasonCode.ProtocolError, 'second CONNECT');
      case 'connack':
      case 'suback':
      case 'unsuback':
      case 'pingresp':
        throw new ProtocolError(ReasonCode.ProtocolError, `${packet.type} sent by a client`);
    }
  }

  private fail(error: unknown): void {
    if (error instanceof ProtocolError) {
      this.refuse(error.reasonCode, error.message);
      return;
    }
    this.context.logger.error({ err: error, clientId: this.clientId }, 'internal error handling a packet');
    this.refuse(ReasonCode.ImplementationSpecificError, 'internal error');
  }

  /** Answers a protocol violation: CONNACK before the session exists, DISCONNECT after (MQTT 5 only). */
  refuse(reasonCode: number, reason: string): void {
    if (this.state === 'closed') return;
    this.context.logger.info({ clientId: this.clientId || undefined, peer: this.peer.address, reasonCode, reason }, 'closing connection');
    if (this.state === 'connecting' || this.state === 'authenticating') {
      this.sendConnackFailure(reasonCode);
      this.closeConnection(reasonCode, reason, true);
      return;
    }
    this.disconnect(reasonCode, reason);
  }

  /** CONNACK with a failure code: MQTT 5 always; 3.x only for codes it has (else just close). */
  sendConnackFailure(reasonCode: number): void {
    if (this.isV5) {
      this.outbox.send({ type: 'connack', sessionPresent: false, reasonCode, properties: {} });
      this.connackSent(reasonCode, false);
      return;
    }
    if (reasonCode === ReasonCode.MalformedPacket || reasonCode === ReasonCode.ProtocolError) return;
    this.outbox.send({ type: 'connack', sessionPresent: false, reasonCode: connackReturnCodeV3(reasonCode), properties: {} });
    this.connackSent(reasonCode, false);
  }

  /** Reports a CONNACK sent (the reason code in MQTT 5 terms, also for a 3.x client). */
  connackSent(reasonCode: number, sessionPresent: boolean): void {
    const events = this.context.broker.events;
    if (!events.listens('client.connack')) return;
    const clientId = this.clientId || this.requestedClientId;
    events.emit('client.connack', { clientId, peer: this.peer, reasonCode, sessionPresent, client: reasonCode < 0x80 ? this.client : undefined });
  }

  /** Server-initiated disconnection of a connected client; the will is published unless reasonCode says otherwise. */
  disconnect(reasonCode: number, reason: string, publishWill = true): void {
    if (this.state === 'closed') return;
    if (this.isV5 && this.state === 'connected') {
      const properties = this.requestProblemInformation && reason ? { reasonString: reason } : {};
      this.outbox.send({ type: 'disconnect', reasonCode, properties });
    }
    this.closeConnection(reasonCode, reason, publishWill);
  }

  /** The client sent DISCONNECT: close without sending anything back [MQTT-3.14.4-1]. */
  closeByClient(reasonCode: number): void {
    this.closeConnection(reasonCode, 'client disconnected', true);
  }

  kick(reasonCode: number, reason: string): void {
    this.disconnect(reasonCode, reason);
  }

  resolvePeer(): void {
    // Reading the address of a lazily looked-up peer (transport/listener.ts) looks it up.
    void this.peer.address;
  }

  /** The socket closed (or we closed it): detach from the session, publish the will if due. */
  connectionLost(reason: string): void {
    this.closeConnection(ReasonCode.UnspecifiedError, reason, true);
  }

  private closeConnection(reasonCode: number, reason: string, publishWill: boolean): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.outbox.close();
    const session = this.session;
    if (!wasConnected || session === undefined) return;
    session.detach(this);
    const broker = this.context.broker;
    broker.counters.clientsConnected--;
    this.context.traffic.of(this.peer.listener).clientsConnected--;
    this.context.registry.close(session, this, publishWill ? this.will : undefined);
    this.will = undefined;
    if (broker.events.listens('client.disconnected')) {
      broker.events.emit('client.disconnected', { client: this.client!, reasonCode, reason, connectedAt: this.connectedAt });
    }
  }
}
