// A TCP connect to a server's address: how connectors without a cheaper check (HTTP endpoints)
// tell whether their server is reachable.

import { connect } from 'node:net';

export function probeTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => reject(error));
  });
}
