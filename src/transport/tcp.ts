// Plain TCP listener (MQTT's port 1883).

import { createServer, type Server, type Socket } from 'node:net';
import type { ListenerConfig } from '../config/types.js';
import type { AcceptConnection, BoundAddress, Listener } from './listener.js';

export class TcpListener implements Listener {
  private readonly server: Server;

  constructor(
    private readonly config: ListenerConfig,
    accept: AcceptConnection,
  ) {
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      accept(socket, { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, listener: 'tcp' });
    });
    if (config.maxConnections) this.server.maxConnections = config.maxConnections;
  }

  start(): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.config.port, host: this.config.host }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        const port = typeof address === 'object' && address !== null ? address.port : this.config.port;
        resolve({ type: 'tcp', host: this.config.host, port });
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
