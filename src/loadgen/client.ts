// One benchmark MQTT connection over a raw socket: CONNECT/CONNACK, SUBSCRIBE/SUBACK, keep-alive pings,
// then every other frame goes to its role (publisher or subscriber), which writes through this client.

import net from 'node:net';
import tls from 'node:tls';
import { WebSocket, createWebSocketStream } from 'ws';
import { monotonicMilliseconds } from './clock.js';
import { FrameDecoder, readConnack, readSubackCodes, type FrameSink } from './frame-decoder.js';
import { DISCONNECT, PINGREQ, PacketType, encodeConnect, encodeSubscribe, type ProtocolVersion, type QoS } from './wire.js';

export interface ClientSettings {
  host: string;
  port: number;
  protocolVersion: ProtocolVersion;
  keepAlive: number;
  noDelay: boolean;
  tls: boolean;
  insecure: boolean;
  /** MQTT over WebSocket (subprotocol mqtt) on this path instead of a raw socket. */
  ws: boolean;
  wsPath: string;
  username?: string | undefined;
  password?: string | undefined;
  connectTimeoutMilliseconds: number;
}

/** What a publisher or subscriber implements to receive this client's frames. */
export interface ClientRole {
  onFrame(type: number, flags: number, buffer: Buffer, start: number, end: number): void;
  /** Called once per socket chunk after its frames: the place to write batched replies. */
  afterChunk(): void;
  onWritable(): void;
}

export class BenchClient implements FrameSink {
  private readonly decoder = new FrameDecoder(this);
  role: ClientRole | undefined;
  receiveMaximum = 65_535;
  /** Arrival time of the chunk being decoded, one clock read per chunk rather than per message. */
  chunkArrivedAt = 0;
  connected = false;
  closing = false;
  /** Set when the broker or the network closed the connection while we did not ask for it. */
  lostConnection = false;
  onLost: (() => void) | undefined;
  private pendingConnect: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private pendingSubscribe: { resolve: (codes: number[]) => void; reject: (error: Error) => void } | undefined;

  private constructor(
    readonly socket: net.Socket,
    readonly clientId: string,
    readonly protocolVersion: ProtocolVersion,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.chunkArrivedAt = monotonicMilliseconds();
      try {
        this.decoder.push(chunk);
      } catch (error) {
        this.fail(error as Error);
        return;
      }
      this.role?.afterChunk();
    });
    socket.on('drain', () => this.role?.onWritable());
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => {
      this.fail(new Error(`connection ${clientId} closed`));
      if (this.connected && !this.closing) {
        this.lostConnection = true;
        this.onLost?.();
      }
      this.connected = false;
    });
  }

  /** Opens the socket, sends CONNECT and resolves once a successful CONNACK arrives. */
  static open(settings: ClientSettings, clientId: string, localAddress: string | undefined): Promise<BenchClient> {
    const socketOptions = { host: settings.host, port: settings.port, localAddress, noDelay: settings.noDelay };
    const socket = settings.ws
      ? openWebSocket(settings, localAddress)
      : settings.tls
        ? tls.connect({ ...socketOptions, rejectUnauthorized: !settings.insecure, servername: settings.host })
        : net.connect(socketOptions);
    socket.setNoDelay?.(settings.noDelay);
    const client = new BenchClient(socket, clientId, settings.protocolVersion);
    return new Promise<BenchClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.fail(new Error(`no CONNACK for ${clientId} within ${settings.connectTimeoutMilliseconds} ms`));
        socket.destroy();
      }, settings.connectTimeoutMilliseconds);
      client.pendingConnect = {
        resolve: () => {
          clearTimeout(timer);
          resolve(client);
        },
        reject: (error) => {
          clearTimeout(timer);
          socket.destroy();
          reject(error);
        },
      };
      socket.write(
        encodeConnect({
          clientId,
          protocolVersion: settings.protocolVersion,
          keepAlive: settings.keepAlive,
          cleanStart: true,
          username: settings.username,
          password: settings.password,
        }),
      );
    });
  }

  subscribe(filter: string, qos: QoS): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      this.pendingSubscribe = { resolve, reject };
      this.socket.write(encodeSubscribe(1, filter, qos, this.protocolVersion));
    });
  }

  onFrame(type: number, flags: number, buffer: Buffer, start: number, end: number): void {
    switch (type) {
      case PacketType.Connack: {
        const connack = readConnack(buffer, start, end, this.protocolVersion);
        if (connack.reasonCode !== 0) {
          this.fail(new Error(`CONNACK for ${this.clientId} refused with code 0x${connack.reasonCode.toString(16)}`));
          return;
        }
        this.receiveMaximum = connack.receiveMaximum;
        this.connected = true;
        const pending = this.pendingConnect;
        this.pendingConnect = undefined;
        pending?.resolve();
        return;
      }
      case PacketType.Suback: {
        const codes = readSubackCodes(buffer, start, end, this.protocolVersion);
        const pending = this.pendingSubscribe;
        this.pendingSubscribe = undefined;
        if (codes.some((code) => code >= 0x80)) pending?.reject(new Error(`SUBACK for ${this.clientId} refused: ${codes.join(',')}`));
        else pending?.resolve(codes);
        return;
      }
      case PacketType.Pingresp:
        return;
      default:
        this.role?.onFrame(type, flags, buffer, start, end);
    }
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  ping(): void {
    if (this.connected && !this.closing) this.socket.write(PINGREQ);
  }

  /** Sends DISCONNECT and waits (briefly) for the socket to close. */
  close(): Promise<void> {
    this.closing = true;
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2_000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(DISCONNECT);
    });
  }

  private fail(error: Error): void {
    const connect = this.pendingConnect;
    const subscribe = this.pendingSubscribe;
    this.pendingConnect = undefined;
    this.pendingSubscribe = undefined;
    connect?.reject(error);
    subscribe?.reject(error);
  }
}

/** A WebSocket as a byte stream; the client uses only the stream part of net.Socket (setNoDelay is skipped). */
function openWebSocket(settings: ClientSettings, localAddress: string | undefined): net.Socket {
  const url = `${settings.tls ? 'wss' : 'ws'}://${settings.host}:${settings.port}${settings.wsPath}`;
  const ws = new WebSocket(url, ['mqtt'], { rejectUnauthorized: !settings.insecure, perMessageDeflate: false, localAddress });
  const stream = createWebSocketStream(ws) as unknown as net.Socket;
  (stream as { setNoDelay?: unknown }).setNoDelay = undefined;
  return stream;
}
