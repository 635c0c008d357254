// The client side of the management API for `starling ctl`: one HTTP request over the admin Unix
// socket, or to a management listener's URL with an API key. A failure says whether nobody listens
// there (no socket file, or one a killed broker left), in which case ctl may work on the data
// directory instead, or whether a broker is there but did not answer properly.

import { request as httpRequest } from 'node:http';
import { checkSocketPath } from './socket-path.js';

/** A management API request: `path` is the whole request target, query string included. */
export interface AdminRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
}

/** The answer: its status and its parsed JSON body (undefined when it had none, as a 204). */
export interface AdminResponse {
  status: number;
  body: unknown;
}

const ANSWER_TIMEOUT_MS = 30_000;

export class AdminUnreachable extends Error {
  constructor(
    /** Short, for `broker not reachable at PATH (<reason>)`. */
    readonly reason: string,
    /** True when no process listens on the path, so the broker is not running there. */
    readonly nobodyListening: boolean,
  ) {
    super(reason);
    this.name = 'AdminUnreachable';
  }
}

/** Reasons a connection attempt fails when nothing listens on the path. */
const NOBODY_LISTENING: Readonly<Record<string, string>> = {
  ENOENT: 'no such socket',
  ENOTDIR: 'no such socket',
  ECONNREFUSED: 'connection refused: nothing listens on it',
};

export function sendAdminRequest(socketPath: string, request: AdminRequest, timeoutMs = ANSWER_TIMEOUT_MS): Promise<AdminResponse> {
  const pathProblem = checkSocketPath(socketPath);
  if (pathProblem !== undefined) return Promise.reject(new AdminUnreachable(pathProblem, true));
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  return new Promise((resolve, reject) => {
    let connected = false;
    const outgoing = httpRequest(
      {
        socketPath,
        method: request.method,
        path: request.path,
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(new AdminUnreachable(`the answer broke off: ${error.message}`, false)));
        response.on('end', () => {
          clearTimeout(timer);
          try {
            resolve({ status: response.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) });
          } catch {
            reject(new AdminUnreachable(`answered ${response.statusCode ?? '?'} without a JSON body: is it a Starling admin socket?`, false));
          }
        });
      },
    );
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new AdminUnreachable(`no answer within ${timeoutMs / 1000} s`, false));
    }, timeoutMs);
    outgoing.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const nobody = connected ? undefined : NOBODY_LISTENING[error.code ?? ''];
      if (nobody !== undefined) reject(new AdminUnreachable(nobody, true));
      else if (error.code === 'EACCES') reject(new AdminUnreachable('permission denied: run ctl as the broker\'s user', false));
      else reject(new AdminUnreachable(connected ? `the connection broke before an answer: ${error.message}` : error.message, false));
    });
    outgoing.end(payload);
  });
}

/** Sends a request to a management listener, authenticated with an API key (`key:secret`). */
export async function sendHttpRequest(baseUrl: string, apiKey: string, request: AdminRequest, timeoutMs = ANSWER_TIMEOUT_MS): Promise<AdminResponse> {
  const url = new URL(request.path, baseUrl);
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(apiKey).toString('base64')}` };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(timeoutMs) };
    if (request.body !== undefined) init.body = JSON.stringify(request.body);
    response = await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new AdminUnreachable(cause, false);
  }
  const text = await response.text();
  try {
    return { status: response.status, body: parseBody(text) };
  } catch {
    throw new AdminUnreachable(`answered ${response.status} without a JSON body: is ${baseUrl} a Starling management listener?`, false);
  }
}

function parseBody(text: string): unknown {
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
