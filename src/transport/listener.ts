// What every transport hands the connection layer: a byte stream and who is at the other end.

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '../config/types.js';
import type { PeerInfo } from '../hooks/events.js';
import type { Logger } from '../log.js';

export interface BoundAddress {
  type: string;
  host: string;
  port: number;
}

export type AcceptConnection = (stream: Duplex, peer: PeerInfo) => void;

/** What a listener needs from the broker besides its own configuration. */
export interface ListenerContext {
  accept: AcceptConnection;
  logger: Logger;
  /** The broker's maximum packet size, which bounds a WebSocket frame. */
  maxPacketSize: number;
}

export interface Listener {
  start(): Promise<BoundAddress>;
  /** Stops accepting; existing connections are closed by the broker. */
  stop(): Promise<void>;
  /** Re-reads certificate files (tls, wss); existing connections keep theirs. */
  reload?(): void;
}

/** Seconds a tcp/tls connection has to send its PROXY header. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

/** `tls 127.0.0.1:8883`: how log lines name a listener. */
export function listenerLabel(config: ListenerConfig): string {
  return `${config.type} ${config.host}:${config.port}`;
}

const HTTP_METHOD = /^(GET|POST|HEAD|PUT|OPTIONS|DELETE|PATCH|CONNECT) /;

/**
 * Logs a clear line when the first bytes on an MQTT (tcp/tls) port are an HTTP request — a browser
 * or a WebSocket client pointed at the wrong port. The connection layer then closes it as malformed.
 */
export function warnOnHttp(stream: Duplex, peer: PeerInfo, logger: Logger): void {
  stream.once('data', (chunk: Buffer) => {
    if (HTTP_METHOD.test(chunk.toString('latin1', 0, 8))) {
      logger.warn({ peer: peer.address, listener: peer.listener }, 'HTTP request on an MQTT port (WebSocket clients need a ws/wss listener); closing');
    }
  });
}

export function peerOf(socket: Socket, listener: string): PeerInfo {
  return { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, listener };
}
