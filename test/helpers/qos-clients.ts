// Raw MQTT 5 clients for durability tests, with their side of the session kept in the test process
// so it survives a broker kill: a numbered QoS 1/2 publisher that records every PUBACK/PUBREC and
// resumes its in-flight messages after a reconnect, and a subscriber that counts every message it
// hands to the application, deduplicating QoS 2 by packet id until PUBREL (method B of 4.3.3).
// Both speak through raw-client.ts (mqtt-packet, independent of the broker's codec).

import type mqttPacket from 'mqtt-packet';
import { RawClient, type RawPacket } from './raw-client.js';
import { waitFor } from './wait.js';

export interface SessionOptions {
  clientId: string;
  /** Session Expiry Interval in seconds (0: the session ends with the connection). */
  sessionExpiry: number;
}

/** Connects an MQTT 5 raw client whose packets go to `onPacket` (also those right behind the CONNACK); throws if refused. */
async function openSession(
  port: number,
  options: SessionOptions,
  cleanStart: boolean,
  onPacket: (packet: RawPacket, client: RawClient) => void,
): Promise<{ client: RawClient; sessionPresent: boolean }> {
  const { client, connack } = await RawClient.connect(port, {
    clientId: options.clientId,
    clean: cleanStart,
    properties: { sessionExpiryInterval: options.sessionExpiry },
  });
  if (connack.reasonCode !== 0) {
    client.destroy();
    throw new Error(`CONNACK refused with 0x${connack.reasonCode?.toString(16)}`);
  }
  client.onPacket((packet) => onPacket(packet, client));
  return { client, sessionPresent: connack.sessionPresent };
}

/** Counts deliveries per payload; `received` holds every payload handed to the application, in order. */
export class CountingSubscriber {
  readonly received: string[] = [];
  readonly counts = new Map<string, number>();
  /** Deliveries with DUP set, for tests that check resends. */
  dupCount = 0;
  /** Inbound QoS 2 packet ids whose PUBREL has not come: a PUBLISH with one of them is a resend. */
  private readonly awaitingRelease = new Set<number>();
  private link: RawClient | undefined;
  /** Leave QoS 1/2 PUBLISH packets unacknowledged (to leave them in flight at the broker). */
  withholdAcks = false;
  readonly publishes: mqttPacket.IPublishPacket[] = [];

  constructor(readonly options: SessionOptions) {}

  get connected(): boolean {
    return this.link !== undefined && !this.link.isClosed;
  }

  /** Connects (Clean Start as given) and returns Session Present. */
  async connect(port: number, cleanStart: boolean): Promise<boolean> {
    const { client, sessionPresent } = await openSession(port, this.options, cleanStart, (packet, link) => this.handle(packet, link));
    this.link = client;
    return sessionPresent;
  }

  async subscribe(topicFilter: string, qos: 0 | 1 | 2): Promise<void> {
    const link = this.link!;
    const suback = new Promise<void>((resolve, reject) => {
      this.onSuback = (granted) => (granted >= 0x80 ? reject(new Error(`SUBACK 0x${granted.toString(16)}`)) : resolve());
    });
    link.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topicFilter, qos }] } as mqttPacket.ISubscribePacket);
    await suback;
  }

  count(payload: string): number {
    return this.counts.get(payload) ?? 0;
  }

  async disconnect(): Promise<void> {
    await this.link?.disconnect();
  }

  /** Closes the socket without DISCONNECT. */
  drop(): void {
    this.link?.destroy();
  }

  /** Resolves when the broker closes the connection. */
  async closedByBroker(): Promise<void> {
    await this.link?.closed(Infinity);
  }

  private onSuback: ((granted: number) => void) | undefined;

  private handle(packet: RawPacket, link: RawClient): void {
    switch (packet.cmd) {
      case 'suback':
        this.onSuback?.((packet.granted as number[])[0] ?? 0x80);
        return;
      case 'publish': {
        this.publishes.push(packet);
        if (packet.dup) this.dupCount++;
        const payload = packet.payload.toString();
        const id = packet.messageId!;
        if (packet.qos === 2) {
          if (!this.awaitingRelease.has(id)) this.deliver(payload);
          this.awaitingRelease.add(id);
          if (!this.withholdAcks) link.send({ cmd: 'pubrec', messageId: id } as mqttPacket.IPubrecPacket);
          return;
        }
        this.deliver(payload);
        if (packet.qos === 1 && !this.withholdAcks) link.send({ cmd: 'puback', messageId: id } as mqttPacket.IPubackPacket);
        return;
      }
      case 'pubrel':
        this.awaitingRelease.delete(packet.messageId!);
        link.send({ cmd: 'pubcomp', messageId: packet.messageId } as mqttPacket.IPubcompPacket);
        return;
      default:
        return;
    }
  }

  private deliver(payload: string): void {
    this.received.push(payload);
    this.counts.set(payload, (this.counts.get(payload) ?? 0) + 1);
  }
}

interface InFlight {
  qos: 1 | 2;
  topic: string;
  payload: string;
  /** QoS 2: PUBREC received, PUBREL owed. */
  released: boolean;
}

/**
 * Publishes numbered messages in a closed loop (`window` unacknowledged at once), alternating QoS 1
 * and QoS 2 on `<prefix>/q1` and `<prefix>/q2` with payloads `<topic>:<n>` (prefix `load` by default). `acknowledged` holds the
 * payload of every message whose PUBACK (QoS 1) or PUBREC (QoS 2) arrived: the broker vouched for it.
 */
export class NumberedPublisher {
  readonly acknowledged = new Set<string>();
  /** Every payload written at least once. */
  readonly sent = new Set<string>();
  private readonly inflight = new Map<number, InFlight>();
  private link: RawClient | undefined;
  private next = 0;
  private running = false;
  /** Errors the broker reported (reason codes >= 0x80). */
  readonly refusals: string[] = [];

  constructor(
    readonly options: SessionOptions & { window: number; topicPrefix?: string },
  ) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Connects; with a resumed session, sends every unacknowledged PUBLISH again with DUP and every owed PUBREL. */
  async connect(port: number, cleanStart: boolean): Promise<boolean> {
    const { client: link, sessionPresent } = await openSession(port, this.options, cleanStart, (packet, link) => this.handle(packet, link));
    this.link = link;
    if (!sessionPresent) {
      // The broker has no state for us: whatever was in flight was never acknowledged; start over with new ids.
      this.inflight.clear();
    }
    for (const [messageId, message] of this.inflight) {
      if (message.released) link.send({ cmd: 'pubrel', messageId } as mqttPacket.IPubrelPacket);
      else link.send(this.publishPacket(messageId, message, true));
    }
    return sessionPresent;
  }

  /** Publishes until stop() or until the connection closes; `limit` stops after that many messages. */
  start(limit = Infinity): void {
    this.running = true;
    this.limit = limit;
    this.fill();
  }

  stop(): void {
    this.running = false;
  }

  async disconnect(): Promise<void> {
    this.running = false;
    await this.link?.disconnect();
  }

  async closed(): Promise<void> {
    await this.link?.closed(Infinity);
  }

  private limit = Infinity;

  private fill(): void {
    const link = this.link;
    if (link === undefined || link.isClosed) return;
    while (this.running && this.inflight.size < this.options.window && this.next < this.limit) {
      const n = this.next++;
      const qos: 1 | 2 = n % 2 === 0 ? 1 : 2;
      const prefix = this.options.topicPrefix ?? 'load';
      const topic = `${prefix}/q${qos}`;
      const message: InFlight = { qos, topic, payload: `${topic}:${n}`, released: false };
      let messageId = (n % 65535) + 1;
      while (this.inflight.has(messageId)) messageId = (messageId % 65535) + 1;
      this.inflight.set(messageId, message);
      this.sent.add(message.payload);
      link.send(this.publishPacket(messageId, message, false));
    }
  }

  private publishPacket(messageId: number, message: InFlight, dup: boolean): mqttPacket.IPublishPacket {
    return {
      cmd: 'publish',
      topic: message.topic,
      payload: Buffer.from(message.payload),
      qos: message.qos,
      dup,
      retain: false,
      messageId,
    };
  }

  private handle(packet: RawPacket, link: RawClient): void {
    switch (packet.cmd) {
      case 'puback': {
        const message = this.inflight.get(packet.messageId!);
        if (message === undefined || message.qos !== 1) return;
        this.inflight.delete(packet.messageId!);
        if ((packet.reasonCode ?? 0) >= 0x80) this.refusals.push(`${message.payload}: 0x${packet.reasonCode!.toString(16)}`);
        else this.acknowledged.add(message.payload);
        this.fill();
        return;
      }
      case 'pubrec': {
        const message = this.inflight.get(packet.messageId!);
        if (message === undefined || message.qos !== 2) return;
        if ((packet.reasonCode ?? 0) >= 0x80) {
          this.inflight.delete(packet.messageId!);
          this.refusals.push(`${message.payload}: 0x${packet.reasonCode!.toString(16)}`);
          this.fill();
          return;
        }
        this.acknowledged.add(message.payload);
        message.released = true;
        link.send({ cmd: 'pubrel', messageId: packet.messageId } as mqttPacket.IPubrelPacket);
        return;
      }
      case 'pubcomp': {
        const message = this.inflight.get(packet.messageId!);
        if (message === undefined || !message.released) return;
        this.inflight.delete(packet.messageId!);
        this.fill();
        return;
      }
      default:
        return;
    }
  }
}

/**
 * Waits until `subscriber` has every payload in `acknowledged`; fails naming how many (and which) never
 * arrived. Resolves with the duplicates the subscriber counted.
 */
export async function expectEveryAcknowledgedReceived(acknowledged: readonly string[], subscriber: CountingSubscriber, timeoutMs: number): Promise<number> {
  await waitFor(() => acknowledged.every((payload) => subscriber.count(payload) > 0), 'every acknowledged message received', timeoutMs).catch(() => {
    const missing = acknowledged.filter((payload) => subscriber.count(payload) === 0);
    throw new Error(`${missing.length} of ${acknowledged.length} acknowledged messages never arrived, e.g. ${missing.slice(0, 10).join(' ')}`);
  });
  return [...subscriber.counts.values()].reduce((sum, count) => sum + count - 1, 0);
}

/** Seeded PRNG (mulberry32), so a failing kill point can be replayed with STARLING_CRASH_SEED. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
