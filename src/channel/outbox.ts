// How a channel reaches its socket: implemented by Connection, recorded by unit tests.

import type { ProtocolVersion } from '../codec/constants.js';
import type { Packet } from '../codec/types.js';

export interface Outbox {
  /** The version packets are encoded with; the channel sets it once CONNECT is read. */
  protocolVersion: ProtocolVersion;
  send(packet: Packet): void;
  /** False while the outgoing buffer is over its cap (slow consumer). */
  readonly writable: boolean;
  /** Flushes what is queued, then closes the connection. */
  close(): void;
}
