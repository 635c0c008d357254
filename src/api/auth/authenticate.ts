// Who is calling the management API, and whether they may. On the HTTP door every route but the
// public ones (login, status, the OpenAPI document, static files, and Prometheus unless
// metrics_auth) needs `Authorization: Bearer <login token>` or `Authorization: Basic <api key:secret>`.
// A viewer (administrator role `viewer`, or an API key with that role) may only read: every other
// method answers 403. Failed logins and wrong API key secrets count towards the `lockout` settings,
// by address and by username, as failed MQTT authentications do.

import type { FastifyRequest } from 'fastify';
import type { AdminRole } from '../../admin/admins.js';
import { AdminError } from '../../admin/operations.js';
import type { ApiApp, Access } from '../app.js';
import type { ApiContext } from '../context.js';
import { OPENAPI_PREFIX } from '../openapi.js';
import type { TokenClaims } from './tokens.js';

export interface Principal {
  /** `admin`: a logged-in administrator; `api_key`; `ctl`: the trusted admin socket or data directory. */
  kind: 'admin' | 'api_key' | 'ctl' | 'anonymous';
  /** The administrator's username, the API key's name, or `ctl`. */
  name: string;
  role: AdminRole | undefined;
  /** The login token of an `admin` caller (logout revokes it). */
  token?: TokenClaims;
}

const CTL: Principal = { kind: 'ctl', name: 'ctl', role: 'administrator' };
const ANONYMOUS: Principal = { kind: 'anonymous', name: 'anonymous', role: undefined };

export function installAuthentication(app: ApiApp, context: ApiContext, trusted: boolean): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (trusted) {
      request.principal = CTL;
      return;
    }
    const access = accessOf(request);
    request.principal = ANONYMOUS;
    if (access === 'public') return;
    request.principal = await authenticate(request, context);
    if (access === 'write' && request.principal.role !== 'administrator') {
      throw new AdminError(403, `${request.principal.name} has the viewer role, which may only read`, 'UNAUTHORIZED_ROLE');
    }
  });
}

function accessOf(request: FastifyRequest): Access {
  const configured = request.routeOptions.config?.access;
  if (configured !== undefined) return configured;
  // No route (a 404 to come): answer it without asking for credentials.
  if (request.routeOptions.url === undefined) return 'public';
  // The OpenAPI document and Swagger UI (routes of @fastify/swagger-ui) describe the API, they are not it.
  if (request.routeOptions.url.startsWith(`${OPENAPI_PREFIX}`)) return 'public';
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
}

async function authenticate(request: FastifyRequest, context: ApiContext): Promise<Principal> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw new AdminError(401, 'credentials required: Authorization: Bearer <token from POST /api/v5/login>, or Basic <api key>:<secret>', 'AUTHORIZATION_HEADER_ERROR');
  const [scheme = '', value = ''] = header.split(' ', 2);
  switch (scheme.toLowerCase()) {
    case 'bearer': {
      const claims = await context.tokens.verify(value);
      const admin = context.admin.admins.get(claims.username);
      if (admin === undefined) throw new AdminError(401, `administrator ${claims.username} no longer exists`, 'BAD_TOKEN');
      // A new password or role ends the sessions that came before it.
      if (claims.issuedAt < (admin.tokensValidFrom ?? 0)) throw new AdminError(401, 'the token predates a password or role change: log in again', 'BAD_TOKEN');
      return { kind: 'admin', name: admin.username, role: admin.role, token: claims };
    }
    case 'basic': {
      if (request.routeOptions.config?.bearerOnly === true) {
        throw new AdminError(401, `API keys may not be used on ${request.routeOptions.url ?? request.url}: log in and use the bearer token`, 'API_KEY_NOT_ALLOW');
      }
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const apiKey = colon < 0 ? decoded : decoded.slice(0, colon);
      checkNotLockedOut(context, request.ip, apiKey);
      const key = colon < 0 ? undefined : context.apiKeys.verify(apiKey, decoded.slice(colon + 1));
      if (key === undefined) {
        recordFailure(context, request, apiKey);
        throw new AdminError(401, 'unknown API key, wrong secret, or a disabled or expired key', 'BAD_API_KEY_OR_SECRET');
      }
      return { kind: 'api_key', name: key.name, role: key.role };
    }
    default:
      throw new AdminError(401, `unsupported authorization scheme "${scheme}": use Bearer or Basic`, 'AUTHORIZATION_HEADER_ERROR');
  }
}

/** A 429 when the address or username is locked out after failed attempts. */
export function checkNotLockedOut(context: ApiContext, address: string, username: string): void {
  const now = Date.now();
  const lock = context.lockout.lockFor(address, username, now);
  if (lock !== undefined) {
    const seconds = Math.ceil((lock.until - now) / 1000);
    throw new AdminError(429, `too many failed attempts (${lock.key}): try again in ${seconds} s`, 'LOGIN_LOCKED');
  }
}

export function recordFailure(context: ApiContext, request: FastifyRequest, username: string): void {
  const locked = context.lockout.recordFailure(request.ip, username, Date.now());
  context.logger.warn({ address: request.ip, username, locked: locked.length > 0 ? locked : undefined }, 'management API: failed authentication');
}
