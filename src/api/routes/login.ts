// Logging in to the management API: POST /api/v5/login trades an administrator's username and
// password for a bearer token (EMQX's shape), /api/v5/refresh_token trades a valid token for a fresh
// one, /api/v5/logout revokes it. Wrong passwords count towards the lockout like failed MQTT logins.

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import { VERSION } from '../../version.js';
import type { ApiApp } from '../app.js';
import { checkNotLockedOut, recordFailure } from '../auth/authenticate.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, NoContent, refusals } from '../schemas.js';

const TokenAnswer = Type.Object({
  token: Type.String({ description: 'Send as `Authorization: Bearer <token>`' }),
  version: Type.String(),
  license: Type.Object({ edition: Type.String() }),
  role: Type.String({ description: 'administrator or viewer' }),
  expires_at: Type.Integer({ description: 'When the token expires, milliseconds since the epoch (a Starling addition)' }),
});

export function loginRoutes(app: ApiApp, context: ApiContext): void {
  app.post(
    '/api/v5/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['Authentication'],
        summary: 'Log in as an administrator and get a bearer token',
        security: [],
        body: Type.Object({ username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: { 200: TokenAnswer, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      checkNotLockedOut(context, request.ip, username);
      const admin = await context.admin.admins.verify(username, password);
      if (admin === undefined) {
        recordFailure(context, request, username);
        throw new AdminError(401, 'wrong username or password', 'BAD_USERNAME_OR_PWD');
      }
      const issued = await context.tokens.issue(admin.username);
      return { token: issued.token, version: VERSION, license: { edition: 'opensource' }, role: admin.role, expires_at: issued.expiresAt };
    },
  );

  app.post(
    '/api/v5/refresh_token',
    {
      config: { access: 'read', bearerOnly: true },
      schema: { tags: ['Authentication'], summary: 'Trade a valid login token for a fresh one (the old one is revoked)', response: { 200: TokenAnswer, ...refusals() } },
    },
    async (request) => {
      const { principal } = request;
      if (principal.token === undefined) throw new AdminError(400, 'only a login token can be refreshed (API keys do not expire this way)', 'BAD_REQUEST');
      const admin = context.admin.admins.get(principal.name)!;
      const issued = await context.tokens.issue(admin.username);
      context.tokens.revoke(principal.token);
      return { token: issued.token, version: VERSION, license: { edition: 'opensource' }, role: admin.role, expires_at: issued.expiresAt };
    },
  );

  app.post(
    '/api/v5/logout',
    {
      config: { access: 'read', bearerOnly: true },
      schema: {
        tags: ['Authentication'],
        summary: 'Revoke the login token this request carries',
        body: Type.Optional(Type.Object({ username: Type.Optional(Type.String()) })),
        response: { 204: NoContent, ...refusals(400) },
      },
    },
    async (request, reply) => {
      if (request.principal.token !== undefined) context.tokens.revoke(request.principal.token);
      return reply.code(204).send(null);
    },
  );
}
