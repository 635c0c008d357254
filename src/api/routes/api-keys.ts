// API keys (EMQX's /api/v5/api_key): credentials for scripts and Prometheus, used as HTTP basic auth
// `api_key:api_secret`. The secret is in the answer to POST only; the store keeps a hash of it.
// `starling ctl api_keys` runs the same routes.

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiKeySummary } from '../auth/api-keys.js';
import type { ApiContext } from '../context.js';
import { NoContent, refusals, StringEnum } from '../schemas.js';

const Role = StringEnum(['administrator', 'viewer']);
const ExpiredAt = Type.String({ description: 'RFC 3339 date-time, or "infinity" (the default) for a key that never expires' });
const ApiKey = Type.Object({
  name: Type.String(),
  api_key: Type.String(),
  desc: Type.String(),
  enable: Type.Boolean(),
  expired_at: ExpiredAt,
  expired: Type.Boolean({ description: 'Whether expired_at has passed' }),
  created_at: Type.String({ description: 'RFC 3339' }),
  role: Role,
});
const Name = Type.Object({ name: Type.String() });
const Change = {
  desc: Type.Optional(Type.String()),
  enable: Type.Optional(Type.Boolean()),
  expired_at: Type.Optional(ExpiredAt),
  role: Type.Optional(Role),
};

function shape(key: ApiKeySummary, now = Date.now()) {
  return {
    name: key.name,
    api_key: key.apiKey,
    desc: key.description,
    enable: key.enabled,
    expired_at: key.expiresAt === undefined ? 'infinity' : new Date(key.expiresAt).toISOString(),
    expired: key.expiresAt !== undefined && key.expiresAt <= now,
    created_at: new Date(key.createdAt).toISOString(),
    role: key.role,
  };
}

/** "infinity" -> null (never); an RFC 3339 date -> milliseconds; anything else is a 400. */
function expiry(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'infinity') return null;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new AdminError(400, `expired_at: expected an RFC 3339 date-time or "infinity", got "${text}"`, 'BAD_REQUEST');
  return time;
}

export function apiKeyRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['API keys'];
  app.get('/api/v5/api_key', { config: { bearerOnly: true }, schema: { tags, summary: 'List API keys (no secrets)', response: { 200: Type.Array(ApiKey), ...refusals() } } }, () =>
    context.apiKeys.list().map((key) => shape(key)),
  );

  app.post(
    '/api/v5/api_key',
    {
      config: { bearerOnly: true },
      schema: {
        tags,
        summary: 'Make an API key; the answer holds its secret, shown this once',
        body: Type.Object({ name: Type.String(), ...Change }, { additionalProperties: false }),
        response: { 200: Type.Object({ ...ApiKey.properties, api_secret: Type.String() }), ...refusals(400, 409) },
      },
    },
    async (request) => {
      const { name, desc, enable, expired_at, role } = request.body;
      const expiresAt = expiry(expired_at);
      const added = await context.apiKeys.add({
        name,
        ...(desc === undefined ? {} : { description: desc }),
        ...(enable === undefined ? {} : { enabled: enable }),
        ...(expiresAt === undefined || expiresAt === null ? {} : { expiresAt }),
        ...(role === undefined ? {} : { role }),
      });
      return { ...shape(added), api_secret: added.apiSecret };
    },
  );

  app.get('/api/v5/api_key/:name', { config: { bearerOnly: true }, schema: { tags, summary: 'One API key', params: Name, response: { 200: ApiKey, ...refusals(404) } } }, (request) => {
    const key = context.apiKeys.get(request.params.name);
    if (key === undefined) throw new AdminError(404, `Name NOT FOUND: no API key named ${request.params.name}`, 'NOT_FOUND');
    return shape(key);
  });

  app.put(
    '/api/v5/api_key/:name',
    {
      config: { bearerOnly: true },
      schema: {
        tags,
        summary: 'Change an API key (description, enabled, expiry, role)',
        params: Name,
        body: Type.Object(Change, { additionalProperties: false }),
        response: { 200: ApiKey, ...refusals(400, 404) },
      },
    },
    async (request) => {
      const { desc, enable, expired_at, role } = request.body;
      const expiresAt = expiry(expired_at);
      return shape(
        await context.apiKeys.update(request.params.name, {
          ...(desc === undefined ? {} : { description: desc }),
          ...(enable === undefined ? {} : { enabled: enable }),
          ...(expiresAt === undefined ? {} : { expiresAt }),
          ...(role === undefined ? {} : { role }),
        }),
      );
    },
  );

  app.delete('/api/v5/api_key/:name', { config: { bearerOnly: true }, schema: { tags, summary: 'Delete an API key', params: Name, response: { 204: NoContent, ...refusals(404) } } }, async (request, reply) => {
    await context.apiKeys.delete(request.params.name);
    return reply.code(204).send(null);
  });
}
