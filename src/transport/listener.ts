// What every transport hands the connection layer: a byte stream and who is at the other end.

import type { ListenerConfig } from '../config/types.js';
import type { PeerCertificate, PeerInfo } from '../core/client.js';
import type { Logger } from '../log.js';

export interface BoundAddress {
  type: string;
  host: string;
  port: number;
}

/**
 * What the connection layer uses of a transport's stream: a net.Socket, a TLS socket, a WebSocket's
 * Duplex or a RawTcpSocket all are one.
 */
export interface ByteStream {
  readonly destroyed: boolean;
  readonly closed: boolean;
  /** Bytes written but not yet handed to the kernel. */
  readonly writableLength: number;
  /** False: wait for 'drain' before writing more. */
  write(chunk: Buffer): boolean;
  end(): unknown;
  destroy(error?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
  // 'data' (chunk: Buffer), 'drain', 'error' (error: Error), 'close'.
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
}

export type AcceptConnection = (stream: ByteStream, peer: PeerInfo) => void;

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
  /** A new broker maximum packet size (a configuration reload), for listeners that bound frames by it (ws, wss). */
  setMaxPacketSize?(bytes: number): void;
}

/** Seconds a tcp/tls connection has to send its PROXY header. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

/** `tls 127.0.0.1:8883`: how log lines name a listener. */
export function listenerLabel(config: ListenerConfig): string {
  return `${config.type} ${config.host}:${config.port}`;
}

/** The peer of a tcp/tls socket, whose address is looked up on first use (see SocketPeer). */
/** What a tcp/tls socket tells of its peer. */
interface PeerSource {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

export function peerOf(socket: PeerSource, listener: string): PeerInfo {
  return new SocketPeer(socket, listener);
}

/**
 * Looks the peer's address and port up (one getpeername call) the first time either is read or written:
 * with no address bans, lockout, connection limits, ACL placeholders or $SYS and disconnection listeners,
 * nothing reads them and a connection skips the call. A closed socket can no longer tell its address, so
 * whatever needs it after the close reads it while the socket is open (see SessionRegistry.resolvePeers).
 */
class SocketPeer implements PeerInfo {
  listenerConfig?: ListenerConfig;
  certificate?: PeerCertificate;
  fromCertificate?: { username?: string; clientId?: string };
  private socket: PeerSource | undefined;
  private resolvedAddress = '';
  private resolvedPort = 0;

  constructor(
    socket: PeerSource,
    readonly listener: string,
  ) {
    this.socket = socket;
  }

  get address(): string {
    if (this.socket !== undefined) this.lookUp(this.socket);
    return this.resolvedAddress;
  }

  set address(address: string) {
    if (this.socket !== undefined) this.lookUp(this.socket);
    this.resolvedAddress = address;
  }

  get port(): number {
    if (this.socket !== undefined) this.lookUp(this.socket);
    return this.resolvedPort;
  }

  set port(port: number) {
    if (this.socket !== undefined) this.lookUp(this.socket);
    this.resolvedPort = port;
  }

  /** JSON shows the peer as the plain object it stands for, never its listener's configuration (it holds secrets). */
  toJSON(): PeerInfo {
    const { address, port, listener, certificate, fromCertificate } = this;
    return { address, port, listener, certificate, fromCertificate };
  }

  private lookUp(socket: PeerSource): void {
    this.socket = undefined;
    this.resolvedAddress = socket.remoteAddress ?? '';
    this.resolvedPort = socket.remotePort ?? 0;
  }
}
