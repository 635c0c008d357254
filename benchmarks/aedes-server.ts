// A minimal Aedes broker for `npm run bench`: plain TCP on 127.0.0.1, in-memory persistence (Aedes' default).
// Usage: node dist/benchmarks/aedes-server.js <port> [nodelay]

import net from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const noDelay = process.argv[3] === 'nodelay';
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: aedes-server.js <port> [nodelay]');

const aedes = await Aedes.createBroker();
const server = net.createServer((socket) => {
  socket.setNoDelay(noDelay);
  aedes.handle(socket);
});
server.listen(port, '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  aedes.close(() => process.exit(0));
});
