// What every transport hands the connection layer: a byte stream and who is at the other end.

import type { Duplex } from 'node:stream';
import type { PeerInfo } from '../hooks/events.js';

export interface BoundAddress {
  type: string;
  host: string;
  port: number;
}

export type AcceptConnection = (stream: Duplex, peer: PeerInfo) => void;

export interface Listener {
  start(): Promise<BoundAddress>;
  /** Stops accepting; existing connections are closed by the broker. */
  stop(): Promise<void>;
}
