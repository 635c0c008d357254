// A broker with its management listener on an ephemeral loopback port, and a small HTTP client for
// its API (node's fetch), for the management API tests.

import type { BrokerOptions } from '../../src/internal.js';
import { startBroker, type TestBroker } from './broker.js';

export interface ApiAnswer {
  status: number;
  /** Parsed JSON, or the text when the answer is not JSON; undefined when empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

export interface Credentials {
  token?: string;
  /** `key:secret` */
  apiKey?: string;
}

export interface ManagedBroker extends TestBroker {
  /** http://127.0.0.1:<management port> */
  api: string;
  call(method: string, path: string, options?: Credentials & { body?: unknown; rawBody?: string; contentType?: string }): Promise<ApiAnswer>;
  /** Adds an administrator through the store's operations (as `starling ctl admins add` would) and logs in. */
  adminToken(username?: string, password?: string, role?: 'administrator' | 'viewer'): Promise<string>;
}

export async function startManagedBroker(options: BrokerOptions = {}): Promise<ManagedBroker> {
  const management = { listeners: [{ host: '127.0.0.1', port: 0 }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: false };
  const base = await startBroker({ management, ...options });
  const [address] = base.broker.managementAddresses;
  if (address === undefined) throw new Error('the broker has no management listener');
  const api = `http://127.0.0.1:${address.port}`;
  const call: ManagedBroker['call'] = async (method, path, request = {}) => {
    const headers: Record<string, string> = {};
    if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
    if (request.apiKey !== undefined) headers['authorization'] = `Basic ${Buffer.from(request.apiKey).toString('base64')}`;
    let body: string | undefined = request.rawBody;
    if (request.body !== undefined) body = JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
    const response = await fetch(`${api}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let parsed: unknown = text === '' ? undefined : text;
    if (text !== '' && (response.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    ...base,
    api,
    call,
    async adminToken(username = 'root', password = 'root@123++', role = 'administrator') {
      const admins = base.broker.managementContext!.admin.admins;
      if (admins.get(username) === undefined) await admins.add(username, password, '', role);
      const login = await call('POST', '/api/v5/login', { body: { username, password } });
      if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
      return login.body.token as string;
    },
  };
}
