// HTTP authentication: POSTs the credentials as JSON to a configured URL and reads
// `{"result": "allow"|"deny"|"ignore", "is_superuser": bool, "attributes": {...}}` from a 2xx answer.
// Any other status, a malformed body or no answer within the timeout denies. Decisive answers are
// cached for `cacheSeconds`, keyed by a SHA-256 of the credentials (the password is never a key).

import { createHash } from 'node:crypto';
import { ReasonCode } from '../codec/constants.js';
import type { HttpAuthenticatorConfig } from '../config/types.js';
import type { AuthenticateRequest, AuthenticateResult } from '../hooks/events.js';
import type { Authenticator } from './authenticator.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_CACHE_SECONDS = 60;
/** Entries kept at most; the oldest go first. */
const CACHE_LIMIT = 10_000;

interface CacheEntry {
  result: AuthenticateResult;
  expiresAt: number;
}

export class HttpAuthenticator implements Authenticator {
  readonly name = 'http';
  private readonly cache = new Map<string, CacheEntry>();
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  /** Requests sent (for tests and metrics). */
  requests = 0;

  constructor(private readonly config: HttpAuthenticatorConfig) {
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.cacheMs = (config.cacheSeconds ?? DEFAULT_CACHE_SECONDS) * 1000;
  }

  async authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    const certificate = request.peer.certificate;
    const body = {
      client_id: request.clientId,
      username: request.username ?? null,
      password: request.password?.toString('utf8') ?? null,
      address: request.peer.address,
      port: request.peer.port,
      listener: request.peer.listener,
      protocol_version: request.protocolVersion,
      certificate_cn: certificate?.commonName ?? null,
      certificate_subject: certificate?.subject ?? null,
    };
    // The source port changes with every connection; everything else the service decides on is in the key.
    const key = createHash('sha256').update(JSON.stringify({ ...body, port: 0 })).digest('base64');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.result;
    if (cached !== undefined) this.cache.delete(key);

    const result = await this.ask(body);
    if (result.cacheable && this.cacheMs > 0) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { result: result.answer, expiresAt: now + this.cacheMs });
    }
    return result.answer;
  }

  private async ask(body: object): Promise<{ answer: AuthenticateResult; cacheable: boolean }> {
    this.requests++;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.config.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return { answer: unavailable(timedOut ? `no answer from the authentication service within ${this.timeoutMs} ms` : 'authentication service unreachable'), cacheable: false };
    }
    if (response.status < 200 || response.status > 299) {
      return { answer: unavailable(`authentication service answered ${response.status}`), cacheable: false };
    }
    let parsed: { result?: unknown; is_superuser?: unknown; attributes?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      return { answer: unavailable('authentication service sent no JSON'), cacheable: false };
    }
    switch (parsed.result) {
      case 'allow': {
        const answer: AuthenticateResult = { result: 'allow', superuser: parsed.is_superuser === true };
        if (typeof parsed.attributes === 'object' && parsed.attributes !== null) answer.attributes = { http: parsed.attributes };
        return { answer, cacheable: true };
      }
      case 'deny':
        return { answer: { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: 'denied by the authentication service' }, cacheable: true };
      case 'ignore':
        return { answer: undefined, cacheable: true };
      default:
        return { answer: unavailable(`authentication service answered result ${JSON.stringify(parsed.result)}`), cacheable: false };
    }
  }
}

function unavailable(reasonString: string): AuthenticateResult {
  return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString };
}
