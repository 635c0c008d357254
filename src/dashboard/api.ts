// The dashboard's only way to the broker: the public management API under /api/v5, with the session's
// bearer token. A refusal becomes an ApiError carrying the API's `{code, message}`; a token the API no
// longer takes ends the session.

import { endSession, refresher, session, startSession, type Session } from './session.js';

export const API_BASE = '/api/v5';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Abort a request whose answer is no longer wanted (a newer search). */
  signal?: AbortSignal;
}

const SESSION_ENDED_CODES = new Set(['BAD_TOKEN', 'TOKEN_TIME_OUT', 'AUTHORIZATION_HEADER_ERROR']);

export function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.value?.token;
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (options.signal !== undefined) init.signal = options.signal;
  const response = await fetch(`${API_BASE}${path}${queryString(options.query)}`, init);
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!response.ok) {
    const refusal = (typeof body === 'object' && body !== null ? body : {}) as { code?: string; message?: string; reason_code?: number };
    const code = refusal.code ?? (refusal.reason_code !== undefined ? `REASON_${refusal.reason_code}` : `HTTP_${response.status}`);
    const message = refusal.message ?? (typeof body === 'string' && body !== '' ? body : `${response.status} ${response.statusText}`);
    if (response.status === 401 && token !== undefined && SESSION_ENDED_CODES.has(code)) {
      endSession(code === 'TOKEN_TIME_OUT' ? 'Your session expired: log in again.' : 'Your session ended: log in again.');
    }
    throw new ApiError(response.status, code, message);
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { ...(query === undefined ? {} : { query }), ...(signal === undefined ? {} : { signal }) }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body, ...(query === undefined ? {} : { query }) }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Saves what a GET answers as a file (a link cannot send the token). */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const token = session.value?.token;
  const response = await fetch(`${API_BASE}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const refusal = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(response.status, refusal.code ?? `HTTP_${response.status}`, refusal.message ?? `${response.status} ${response.statusText}`);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** One path segment: a client id or topic with `/`, `#`, `+` or spaces in it. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** `{data, meta}` of EMQX's paged lists. */
export interface Page<T> {
  data: T[];
  meta: { page: number; limit: number; count?: number; hasnext: boolean };
}

interface TokenAnswer {
  token: string;
  version: string;
  role: string;
  expires_at?: number;
}

function sessionOf(username: string, answer: TokenAnswer): Session {
  return {
    token: answer.token,
    username,
    role: answer.role === 'viewer' ? 'viewer' : 'administrator',
    // Without expires_at (an API that does not say), assume EMQX's default hour.
    expiresAt: answer.expires_at ?? Date.now() + 3_600_000,
    version: answer.version,
  };
}

export async function logIn(username: string, password: string): Promise<void> {
  const answer = await request<TokenAnswer>('POST', '/login', { body: { username, password } });
  startSession(sessionOf(username, answer));
}

export async function logOut(): Promise<void> {
  const current = session.value;
  try {
    if (current !== undefined) await request('POST', '/logout', { body: { username: current.username } });
  } finally {
    endSession();
  }
}

refresher.refresh = async () => {
  const current = session.value;
  if (current === undefined) return;
  const answer = await request<TokenAnswer>('POST', '/refresh_token');
  startSession(sessionOf(current.username, answer));
};
