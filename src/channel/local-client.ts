// broker.connectLocal(): an MQTT client inside the broker's process. It goes through a real channel and
// session like any network client (authentication, ACL, QoS 1/2 handshakes, session expiry, durability
// barrier), over a LocalLink instead of a socket. It speaks MQTT 5 and acknowledges what it receives.

import { ReasonCode } from '../codec/constants.js';
import type { Packet, Properties, PublishPacket, QoS, RetainHandling, Will } from '../codec/types.js';
import { isValidTopicName } from '../codec/validate.js';
import type { LocalLink } from './local-link.js';

export interface LocalConnectOptions {
  clientId: string;
  username?: string;
  password?: Buffer | string;
  /** Clean Start (default true). */
  clean?: boolean;
  /** Seconds the session outlives the link (default 0). */
  sessionExpiryInterval?: number;
  /** Seconds; 0 (the default) turns keep-alive off. */
  keepAlive?: number;
  /** How many QoS 1/2 messages the broker may have unacknowledged to this client (default 65535). */
  receiveMaximum?: number;
  will?: Will;
}

export interface LocalPublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: Properties;
}

export interface LocalSubscribeOptions {
  qos?: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: RetainHandling;
  subscriptionIdentifier?: number;
}

/** A message the broker delivered to a local client. */
export interface LocalMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  properties: Properties;
}

/** A refused CONNECT, or a request the link closed under. */
export class LocalClientError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'LocalClientError';
  }
}

type Pending = { resolve: (packet: Packet) => void; reject: (error: Error) => void };

export class LocalClient {
  /** The client identifier (the broker's assigned one if `clientId` was empty). */
  clientId: string;
  sessionPresent = false;
  /** The broker's DISCONNECT reason code, when it closed the link. */
  disconnectReasonCode: number | undefined;
  private readonly listeners = new Set<(message: LocalMessage) => void>();
  /** Messages delivered before any listener was attached. */
  private readonly unheard: LocalMessage[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Inbound QoS 2 packet ids between PUBREC and PUBREL: a resend is acknowledged, not delivered again. */
  private readonly receivedQos2 = new Set<number>();
  private connack: Pending | undefined;
  private nextPacketId = 1;
  private link!: LocalLink;

  constructor(private readonly options: LocalConnectOptions) {
    this.clientId = options.clientId;
  }

  /** Attaches the link and sends CONNECT; resolves at a successful CONNACK. */
  connect(link: LocalLink): Promise<this> {
    this.link = link;
    const { options } = this;
    const properties: Properties = {};
    if (options.sessionExpiryInterval !== undefined) properties.sessionExpiryInterval = options.sessionExpiryInterval;
    if (options.receiveMaximum !== undefined) properties.receiveMaximum = options.receiveMaximum;
    const connected = new Promise<Packet>((resolve, reject) => (this.connack = { resolve, reject }));
    link.handle({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: options.clean ?? true,
      keepAlive: options.keepAlive ?? 0,
      clientId: options.clientId,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: Buffer.from(options.password) } : {}),
      ...(options.will !== undefined ? { will: options.will } : {}),
      properties,
    });
    return connected.then((packet) => {
      if (packet.type !== 'connack') throw new LocalClientError(ReasonCode.ProtocolError, `${packet.type} before CONNACK`);
      if (packet.reasonCode >= 0x80) throw new LocalClientError(packet.reasonCode, `connection refused (0x${packet.reasonCode.toString(16)})`);
      this.sessionPresent = packet.sessionPresent;
      if (packet.properties.assignedClientIdentifier !== undefined) this.clientId = packet.properties.assignedClientIdentifier;
      return this;
    });
  }

  get connected(): boolean {
    return !this.link.isClosed;
  }

  /** Resolves once the link has closed (either side). */
  whenClosed(): Promise<void> {
    return this.link.whenClosed();
  }

  /**
   * Calls listener for every message delivered; returns its remover. Messages that came while no listener was
   * attached (those a resumed session delivers right after CONNACK) go to the first listener added.
   */
  onMessage(listener: (message: LocalMessage) => void): () => void {
    this.listeners.add(listener);
    const waiting = this.unheard.splice(0);
    for (const message of waiting) listener(message);
    return () => this.listeners.delete(listener);
  }

  /** Publishes; resolves with the reason code of the PUBACK/PUBREC (QoS 1/2: after the broker has it safe), 0 for QoS 0. */
  async publish(topic: string, payload: Buffer | string, options: LocalPublishOptions = {}): Promise<number> {
    if (!isValidTopicName(topic)) throw new LocalClientError(ReasonCode.TopicNameInvalid, `invalid topic name ${JSON.stringify(topic)}`);
    const qos = options.qos ?? 0;
    const packet: PublishPacket = {
      type: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      retain: options.retain ?? false,
      dup: false,
      properties: options.properties ?? {},
    };
    if (qos === 0) {
      this.link.handle(packet);
      return ReasonCode.Success;
    }
    packet.packetId = this.allocatePacketId();
    const answer = await this.request(packet.packetId, packet);
    if (answer.type === 'pubrec') {
      if (answer.reasonCode >= 0x80) return answer.reasonCode;
      await this.request(answer.packetId, { type: 'pubrel', packetId: answer.packetId, reasonCode: ReasonCode.Success, properties: {} });
    }
    return 'reasonCode' in answer ? answer.reasonCode : ReasonCode.Success;
  }

  /** Subscribes; resolves with the SUBACK reason codes (granted QoS, or a failure code), one per filter. */
  async subscribe(filters: string | string[], options: LocalSubscribeOptions = {}): Promise<number[]> {
    const packetId = this.allocatePacketId();
    const properties: Properties = options.subscriptionIdentifier === undefined ? {} : { subscriptionIdentifiers: [options.subscriptionIdentifier] };
    const answer = await this.request(packetId, {
      type: 'subscribe',
      packetId,
      subscriptions: (Array.isArray(filters) ? filters : [filters]).map((topicFilter) => ({
        topicFilter,
        qos: options.qos ?? 0,
        noLocal: options.noLocal ?? false,
        retainAsPublished: options.retainAsPublished ?? false,
        retainHandling: options.retainHandling ?? 0,
      })),
      properties,
    });
    return answer.type === 'suback' ? answer.reasonCodes : [];
  }

  async unsubscribe(filters: string | string[]): Promise<number[]> {
    const packetId = this.allocatePacketId();
    const answer = await this.request(packetId, { type: 'unsubscribe', packetId, topicFilters: Array.isArray(filters) ? filters : [filters], properties: {} });
    return answer.type === 'unsuback' ? answer.reasonCodes : [];
  }

  /** Sends DISCONNECT (0x04 keeps the will) and waits for the link to close. */
  async disconnect(reasonCode: number = ReasonCode.Success): Promise<void> {
    if (this.link.isClosed) return;
    this.link.handle({ type: 'disconnect', reasonCode, properties: {} });
    await this.link.whenClosed();
  }

  /** Drops the link without DISCONNECT, as a lost connection would (the will is published). */
  async drop(): Promise<void> {
    this.link.drop('local client dropped');
    await this.link.whenClosed();
  }

  /** Every packet from the broker, in order (the link calls this). */
  receive(packet: Packet): void {
    switch (packet.type) {
      case 'connack':
        this.connack?.resolve(packet);
        this.connack = undefined;
        return;
      case 'publish':
        this.receivePublish(packet);
        return;
      case 'pubrel':
        this.receivedQos2.delete(packet.packetId);
        this.link.handle({ type: 'pubcomp', packetId: packet.packetId, reasonCode: ReasonCode.Success, properties: {} });
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback': {
        const waiting = this.pending.get(packet.packetId);
        this.pending.delete(packet.packetId);
        waiting?.resolve(packet);
        return;
      }
      case 'disconnect':
        this.disconnectReasonCode = packet.reasonCode;
        return;
      default:
        return;
    }
  }

  /** The link closed: whatever waited for an answer fails. */
  closed(): void {
    const error = new LocalClientError(this.disconnectReasonCode ?? ReasonCode.UnspecifiedError, 'local link closed');
    this.connack?.reject(error);
    this.connack = undefined;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private receivePublish(packet: PublishPacket): void {
    const duplicate = packet.qos === 2 && this.receivedQos2.has(packet.packetId!);
    if (!duplicate) {
      const message: LocalMessage = { topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: packet.dup, properties: packet.properties };
      if (this.listeners.size === 0) this.unheard.push(message);
      for (const listener of this.listeners) listener(message);
    }
    if (packet.qos === 1) this.link.handle({ type: 'puback', packetId: packet.packetId!, reasonCode: ReasonCode.Success, properties: {} });
    if (packet.qos === 2) {
      this.receivedQos2.add(packet.packetId!);
      this.link.handle({ type: 'pubrec', packetId: packet.packetId!, reasonCode: ReasonCode.Success, properties: {} });
    }
  }

  private request(packetId: number, packet: Packet): Promise<Packet & { packetId: number }> {
    return new Promise((resolve, reject) => {
      if (this.link.isClosed) {
        reject(new LocalClientError(this.disconnectReasonCode ?? ReasonCode.UnspecifiedError, 'local link closed'));
        return;
      }
      this.pending.set(packetId, { resolve: resolve as (packet: Packet) => void, reject });
      this.link.handle(packet);
    });
  }

  private allocatePacketId(): number {
    let id = this.nextPacketId;
    while (this.pending.has(id)) id = id === 65535 ? 1 : id + 1;
    this.nextPacketId = id === 65535 ? 1 : id + 1;
    return id;
  }
}
