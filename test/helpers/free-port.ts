// A loopback port free right now (listen on 0, read it, close), for servers a test or benchmark starts
// itself and must be told a port up front (nats-server routes, Prometheus targets, PostgreSQL...).

import { createServer, type AddressInfo } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
