// The seam packet tracing (src/trace/) plugs into. A channel with no tracer pays one field check per
// packet received and nothing per packet sent: a traced channel's outbox is wrapped, an untraced
// one's is the connection itself.

import type { DecodeError } from '../codec/decoder.js';
import type { ConnectPacket, Packet } from '../codec/types.js';
import type { Channel } from './channel.js';

/** Writes one channel's packets to the traces that follow it. */
export interface PacketTracer {
  received(packet: Packet | DecodeError): void;
}

/** The broker's traces, as channels see them. */
export interface ChannelTracing {
  /** Whether any trace runs; when false, a CONNECT is not looked at. */
  readonly active: boolean;
  /** A CONNECT arrived (before it is handled): attach the channel to the traces that follow it, and trace the CONNECT. */
  connecting(channel: Channel, packet: ConnectPacket): void;
}
