// Plain TCP listener (MQTT's port 1883), optionally behind a load balancer speaking the PROXY protocol.
//
// Its connections are RawTcpSockets (no net.Socket per connection) where Node allows it; behind the
// PROXY protocol, or where it does not, they are net.Sockets reading into the shared read buffer.

import { createServer, type Server, type Socket } from 'node:net';
import type { ListenerConfig } from '../config/types.js';
import { PROXY_HEADER_TIMEOUT_MS, listenerLabel, peerOf, type BoundAddress, type Listener, type ListenerContext } from './listener.js';
import { readProxyHeader } from './proxy-protocol.js';
import { readIntoSharedBuffer } from './shared-read-buffer.js';
import { acceptRawConnections, type RawTcpSocket } from './raw-tcp-socket.js';

export class TcpListener implements Listener {
  private readonly server: Server;
  /** Open RawTcpSockets, for max_connections (net.Server counts only its own sockets). */
  private rawConnections = 0;

  constructor(
    private readonly config: ListenerConfig,
    private readonly context: ListenerContext,
  ) {
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      if (config.proxyProtocol === true) this.acceptProxied(socket);
      else this.acceptSocket(socket, peerOf(socket, 'tcp'));
    });
    if (config.maxConnections) this.server.maxConnections = config.maxConnections;
  }

  async start(): Promise<BoundAddress> {
    const bound = await listenOn(this.server, this.config);
    if (this.config.proxyProtocol !== true) acceptRawConnections(this.server, (socket) => this.acceptRaw(socket), true);
    return bound;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private acceptRaw(socket: RawTcpSocket): void {
    const max = this.config.maxConnections;
    if (max) {
      if (this.rawConnections >= max) {
        socket.destroy();
        return;
      }
      this.rawConnections++;
      socket.once('close', () => this.rawConnections--);
    }
    this.context.accept(socket, peerOf(socket, 'tcp'));
    socket.start();
  }

  private acceptSocket(socket: Socket, peer: ReturnType<typeof peerOf>): void {
    readIntoSharedBuffer(socket);
    this.context.accept(socket, peer);
  }

  private acceptProxied(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    readProxyHeader(socket, PROXY_HEADER_TIMEOUT_MS).then(
      (source) => {
        const peer = peerOf(socket, 'tcp');
        if (source !== undefined) Object.assign(peer, source);
        this.acceptSocket(socket, peer);
        socket.resume();
      },
      (error: Error) => {
        this.context.logger.warn({ listener: listenerLabel(this.config), peer: socket.remoteAddress, reason: error.message }, 'bad PROXY protocol header; closing');
        socket.destroy();
      },
    );
  }
}

/** Binds a server to the listener's host and port; resolves with the port actually bound. */
export function listenOn(server: Server, config: ListenerConfig): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.port, host: config.host }, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      resolve({ type: config.type, host: config.host, port });
    });
  });
}
