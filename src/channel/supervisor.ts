// The channel registry and connection supervisor: every live channel of the broker, whatever carries it
// (TCP, TLS, WebSocket, an in-process link, later a UDP gateway), with the timers that apply to all of
// them: connect timeout, keep-alive, drain timeout; and the broker-wide actions: kick and shutdown.

import { ReasonCode } from '../codec/constants.js';
import type { ClientInfo } from '../core/client.js';
import type { Channel } from './channel.js';

/** What carries one channel. */
export interface ChannelLink {
  readonly channel: Channel;
  /** When the outgoing buffer went over its cap (ms since the epoch), 0 while under; links without a buffer stay 0. */
  readonly congestedSince: number;
  /** Resolves once the link is closed. */
  whenClosed(): Promise<void>;
}

export interface SupervisionLimits {
  /** Seconds a connection has to complete CONNECT (and enhanced authentication). */
  connectTimeout: number;
  /** Seconds a congested connection's outgoing buffer has to drain before it is closed. */
  drainTimeout: number;
}

/** How often links are checked for keep-alive, connect and drain timeouts. */
const SUPERVISION_INTERVAL_MS = 250;

export class ChannelSupervisor {
  private readonly links = new Set<ChannelLink>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly limits: SupervisionLimits) {}

  get size(): number {
    return this.links.size;
  }

  /** Every live link (for the API and tests). */
  all(): IterableIterator<ChannelLink> {
    return this.links.values();
  }

  add(link: ChannelLink): void {
    this.links.add(link);
  }

  remove(link: ChannelLink): void {
    this.links.delete(link);
  }

  start(): void {
    this.timer ??= setInterval(() => this.supervise(Date.now()), SUPERVISION_INTERVAL_MS).unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Disconnects the connected clients `select` picks (MQTT 5: DISCONNECT with reasonCode first); returns how many. */
  kick(select: (client: ClientInfo) => boolean, reasonCode: number, reason: string, publishWill = true): number {
    let count = 0;
    for (const link of [...this.links]) {
      const channel = link.channel;
      if (channel.state !== 'connected' || channel.client === undefined || !select(channel.client)) continue;
      channel.disconnect(reasonCode, reason, publishWill);
      count++;
    }
    return count;
  }

  /** Sends MQTT 5 clients DISCONNECT 0x8B, then closes every link; resolves once all are closed. */
  async shutdown(): Promise<void> {
    const closed = [...this.links].map((link) => link.whenClosed());
    for (const link of [...this.links]) link.channel.disconnect(ReasonCode.ServerShuttingDown, 'server shutting down', false);
    await Promise.all(closed);
    this.stop();
  }

  supervise(now: number): void {
    const { connectTimeout, drainTimeout } = this.limits;
    for (const link of this.links) {
      const channel = link.channel;
      if (channel.state === 'connecting' || channel.state === 'authenticating') {
        // Closed without a CONNACK: before CONNECT there is no protocol version to answer in, and
        // 0xA0 Maximum connect time is not a CONNACK reason code.
        if (now - channel.connectedAt > connectTimeout * 1000) channel.disconnect(ReasonCode.MaximumConnectTime, 'no CONNECT in time', false);
        continue;
      }
      if (channel.state !== 'connected') continue;
      // [MQTT-3.1.2-22] one and a half times the keep-alive without a packet
      if (channel.keepAlive > 0 && now - channel.lastPacketAt > channel.keepAlive * 1500) {
        channel.disconnect(ReasonCode.KeepAliveTimeout, 'keep-alive timeout');
        continue;
      }
      if (link.congestedSince > 0 && now - link.congestedSince > drainTimeout * 1000) {
        channel.disconnect(ReasonCode.ImplementationSpecificError, 'outgoing buffer did not drain in time');
      }
    }
  }
}
