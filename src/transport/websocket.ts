// MQTT over WebSocket (ws 8083, wss 8084; path /mqtt), mounted on Node's HTTP(S) server so the same
// port can serve other HTTP routes later. Checks done before the upgrade, each refused with an HTTP
// status and one log line: path, Origin (allowed_origins), subprotocol (mqtt or mqttv3.1 [MQTT-6.0.0-3]).
// Behind a trusted reverse proxy, X-Forwarded-For / X-Real-IP give the client's address.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ListenerConfig } from '../config/types.js';
import type { PeerInfo } from '../core/client.js';
import { CertificateStore } from './certificates.js';
import { listenerLabel, type BoundAddress, type Listener, type ListenerContext } from './listener.js';
import { listenOn } from './tcp.js';
import { logHandshakeFailure, refuseUnverified, secureServerOptions, tlsPeer } from './tls.js';
import { WebSocketStream } from './websocket-stream.js';

export const DEFAULT_WEBSOCKET_PATH = '/mqtt';
const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
/** WebSocket pings find connections that died without a close (MQTT keep-alive may be 0). */
const PING_INTERVAL_MS = 30_000;

export class WebSocketListener implements Listener {
  private readonly server: Server;
  private readonly webSocketServer: WebSocketServer;
  private readonly certificates: CertificateStore | undefined;
  private readonly trustedProxies: BlockList | undefined;
  private readonly path: string;
  private readonly label: string;
  private readonly awaitingPong = new WeakSet<WebSocket>();
  private pinger: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ListenerConfig,
    private readonly context: ListenerContext,
  ) {
    this.label = listenerLabel(config);
    this.path = config.path ?? DEFAULT_WEBSOCKET_PATH;
    this.trustedProxies = config.trustedProxies === undefined ? undefined : blockListOf(config.trustedProxies);
    const onRequest = (request: IncomingMessage, response: ServerResponse): void => this.plainRequest(request, response);
    if (config.type === 'wss') {
      this.certificates = new CertificateStore(config, this.label, context.logger);
      this.server = createHttpsServer(secureServerOptions(config, this.certificates), onRequest);
      this.server.on('secureConnection', (socket: TLSSocket) => refuseUnverified(socket, config, context.logger, this.label));
      this.server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) =>
        logHandshakeFailure(context.logger, this.label, socket.remoteAddress, error),
      );
    } else {
      this.server = createHttpServer(onRequest);
    }
    if (config.maxConnections) this.server.maxConnections = config.maxConnections;
    this.webSocketServer = new WebSocketServer({
      noServer: true,
      // A frame never needs to be larger than the largest packet the broker accepts.
      maxPayload: context.maxPacketSize,
      perMessageDeflate: config.perMessageDeflate === true,
      clientTracking: true,
      handleProtocols: (protocols) => MQTT_SUBPROTOCOLS.find((name) => protocols.has(name)) ?? false,
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head));
  }

  /** Upgrades from now on take frames up to the new size (ws reads `options.maxPayload` at each upgrade). */
  setMaxPacketSize(bytes: number): void {
    this.webSocketServer.options.maxPayload = bytes;
  }

  async start(): Promise<BoundAddress> {
    this.certificates?.watch(() => this.reload());
    const bound = await listenOn(this.server, this.config);
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS).unref();
    return bound;
  }

  stop(): Promise<void> {
    clearInterval(this.pinger);
    this.certificates?.close();
    this.webSocketServer.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  reload(): void {
    const server = this.server as Server & { setSecureContext?: (options: object) => void };
    this.certificates?.reload((options) => server.setSecureContext?.(options));
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname !== this.path) return this.refuse(request, socket, 404, `path ${pathname} is not ${this.path}`);
    const allowed = this.config.allowedOrigins;
    const origin = request.headers.origin;
    if (allowed !== undefined && allowed.length > 0 && (origin === undefined || !allowed.includes(origin))) {
      return this.refuse(request, socket, 403, `origin ${origin ?? '(none)'} is not allowed`);
    }
    const offered = request.headers['sec-websocket-protocol'];
    if (offered !== undefined) {
      const protocols = offered.split(',').map((name) => name.trim());
      if (!protocols.some((name) => MQTT_SUBPROTOCOLS.includes(name))) {
        return this.refuse(request, socket, 400, `subprotocol ${offered} is not mqtt`);
      }
    }
    this.webSocketServer.handleUpgrade(request, socket, head, (ws) => {
      const peer = this.peerOf(request);
      ws.on('pong', () => this.awaitingPong.delete(ws));
      this.context.accept(new WebSocketStream(ws), peer);
    });
  }

  private peerOf(request: IncomingMessage): PeerInfo {
    const socket = request.socket;
    const peer: PeerInfo =
      this.config.type === 'wss'
        ? tlsPeer(socket as TLSSocket, 'wss', this.config, undefined)
        : { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, listener: 'ws' };
    if (this.trustedProxies !== undefined && isTrusted(this.trustedProxies, peer.address)) {
      const forwarded = forwardedAddress(request, this.trustedProxies);
      if (forwarded !== undefined) {
        peer.address = forwarded;
        peer.port = 0; // the proxy does not tell the client's port
      }
    }
    return peer;
  }

  private refuse(request: IncomingMessage, socket: Duplex, status: number, reason: string): void {
    this.context.logger.warn({ listener: this.label, peer: request.socket.remoteAddress, status, reason }, 'WebSocket upgrade refused');
    const text = status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
  }

  /** A request that is not a WebSocket upgrade: MQTT needs one (other routes may live here later). */
  private plainRequest(request: IncomingMessage, response: ServerResponse): void {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (pathname === this.path) {
      this.context.logger.info({ listener: this.label, peer: request.socket.remoteAddress }, 'plain HTTP request on the MQTT WebSocket path');
      response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
      response.end('MQTT over WebSocket: connect with a WebSocket client, subprotocol mqtt\n');
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('Not Found\n');
  }

  private ping(): void {
    for (const ws of this.webSocketServer.clients) {
      if (this.awaitingPong.has(ws)) {
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      ws.ping();
    }
  }
}

/** The client address a trusted proxy reports: the right-most untrusted X-Forwarded-For entry, else X-Real-IP. */
function forwardedAddress(request: IncomingMessage, trusted: BlockList): string | undefined {
  const header = request.headers['x-forwarded-for'];
  const forwardedFor = Array.isArray(header) ? header.join(',') : header;
  if (forwardedFor !== undefined) {
    const hops = forwardedFor.split(',').map((hop) => hop.trim()).filter((hop) => isIP(hop) !== 0);
    // Each proxy appends the address it received from; the first untrusted one from the right is
    // the client (anything left of it could have been written by the client itself).
    for (let index = hops.length - 1; index >= 0; index--) {
      if (!isTrusted(trusted, hops[index]!) || index === 0) return hops[index];
    }
  }
  const realIp = request.headers['x-real-ip'];
  if (typeof realIp === 'string' && isIP(realIp.trim()) !== 0) return realIp.trim();
  return undefined;
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [network = '', prefix] = entry.split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(network, type);
    else list.addSubnet(network, Number(prefix), type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const type = isIP(plain) === 6 ? 'ipv6' : isIP(plain) === 4 ? 'ipv4' : undefined;
  return type !== undefined && list.check(plain, type);
}
