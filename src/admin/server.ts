// The broker's local admin endpoint: a Unix domain socket (mode 0600, so only the broker's user, and
// root, can use it) serving the management API (src/api/) to `starling ctl`, trusted as an administrator.
//
// Claiming the socket path: before the store opens, and again when the bind finds the path taken,
// connect to it. Someone answering means a live broker owns it (refuse to start); a refused
// connection means a socket left behind by a killed broker, which is removed before binding again.

import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Logger } from '../log.js';
import { checkSocketPath } from './socket-path.js';

/** How long the start-up probe waits for an existing socket to answer. */
const PROBE_TIMEOUT_MS = 2000;

export class AdminSocketError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AdminSocketError';
  }
}

export class AdminEndpoint {
  private server: Server | undefined;

  constructor(
    readonly path: string,
    private readonly handler: (request: IncomingMessage, response: ServerResponse) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const problem = checkSocketPath(this.path);
    if (problem !== undefined) throw new AdminSocketError(this.path, `admin socket ${this.path}: ${problem}; set admin_socket to another path, or false to turn the admin endpoint off`);
    const server = createServer(this.handler);
    try {
      await listen(server, this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw this.cannotListen(error);
      await this.removeStaleSocket();
      await listen(server, this.path).catch((retryError: unknown) => {
        throw this.cannotListen(retryError);
      });
    }
    this.server = server;
    chmodSync(this.path, 0o600);
    this.logger.info({ socket: this.path }, 'admin endpoint listening');
  }

  /** Stops serving; closing the server removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async removeStaleSocket(): Promise<void> {
    let isSocket: boolean;
    try {
      isSocket = lstatSync(this.path).isSocket();
    } catch {
      return; // gone meanwhile
    }
    if (!isSocket) throw new AdminSocketError(this.path, `admin socket ${this.path} exists and is not a socket; remove it, or set admin_socket to another path`);
    await refuseIfAnswered(this.path);
    this.logger.info({ socket: this.path }, 'removing the admin socket a stopped broker left behind');
    unlinkSync(this.path);
  }

  private cannotListen(error: unknown): AdminSocketError {
    return new AdminSocketError(this.path, `cannot listen on the admin socket ${this.path}: ${(error as Error).message}`, { cause: error });
  }
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Created with mode 0600 where the umask can be set (not in worker threads); chmod follows anyway.
    const previousUmask = setUmask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
  });
}

function setUmask(mask: number): number | undefined {
  try {
    return process.umask(mask);
  } catch {
    return undefined;
  }
}

/** Throws when a live broker answers on the socket (checked before the store opens, and again at bind). */
export async function refuseIfAnswered(path: string): Promise<void> {
  if (checkSocketPath(path) !== undefined || !(await answers(path))) return;
  throw new AdminSocketError(path, `another broker is running on this data directory: it answers on the admin socket ${path}; stop it first, or give this broker its own data_dir`);
}

/** Whether something accepts a connection on the socket within PROBE_TIMEOUT_MS. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    // A socket that accepts but is too busy to answer in time is still someone's: treat it as live.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
