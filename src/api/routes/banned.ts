// Bans (EMQX's /api/v5/banned): by client id, username, or address — EMQX's `peerhost` for one
// address and `peerhost_net` for a CIDR range. A new ban disconnects the connected clients it
// matches (MQTT 5: DISCONNECT 0x98). `starling ctl banned` runs the same routes.

import { Type } from 'typebox';
import type { Ban, BanKind } from '../../auth/bans.js';
import { addBan, AdminError, deleteBan, listBans } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import { adminAs, type ApiContext } from '../context.js';
import { NoContent, Paged, pageOf, PageQuery, refusals, StringEnum } from '../schemas.js';

const As = StringEnum(['clientid', 'username', 'peerhost', 'peerhost_net'], {
  description: 'clientid, username, peerhost (one IP address) or peerhost_net (a CIDR range)',
});
const BanShape = Type.Object({
  as: As,
  who: Type.String(),
  by: Type.String(),
  reason: Type.String(),
  at: Type.String({ description: 'RFC 3339' }),
  until: Type.String({ description: 'RFC 3339, or "infinity"' }),
});

function kindOf(as: string): BanKind {
  return as === 'peerhost' || as === 'peerhost_net' ? 'address' : (as as BanKind);
}

export function banShape(ban: Ban) {
  return {
    as: ban.kind === 'address' ? (ban.value.includes('/') ? 'peerhost_net' : 'peerhost') : ban.kind,
    who: ban.value,
    by: ban.by ?? '',
    reason: ban.reason ?? '',
    at: new Date(ban.createdAt).toISOString(),
    until: ban.until === undefined ? 'infinity' : new Date(ban.until).toISOString(),
  } as const;
}

export function bannedRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Bans'];
  app.get(
    '/api/v5/banned',
    { schema: { tags, summary: 'List bans kept in the store', querystring: Type.Object(PageQuery), response: { 200: Paged(BanShape), ...refusals(400) } } },
    (request) => pageOf(listBans(context.admin).map(banShape), request.query.page, request.query.limit),
  );

  app.post(
    '/api/v5/banned',
    {
      schema: {
        tags,
        summary: 'Ban a client id, username, address or address range; connected clients it matches are disconnected',
        body: Type.Object(
          {
            as: As,
            who: Type.String({ minLength: 1 }),
            by: Type.Optional(Type.String()),
            reason: Type.Optional(Type.String()),
            at: Type.Optional(Type.String()),
            until: Type.Optional(Type.String({ description: 'RFC 3339; absent or "infinity": permanent' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: BanShape, ...refusals(400, 409) },
      },
    },
    async (request) => {
      const { as, who, reason, until } = request.body;
      if (as === 'peerhost' && who.includes('/')) throw new AdminError(400, 'who: a CIDR range is banned with as: peerhost_net', 'BAD_REQUEST');
      let end: number | undefined;
      if (until !== undefined && until !== 'infinity') {
        end = Date.parse(until);
        if (Number.isNaN(end)) throw new AdminError(400, `until: expected an RFC 3339 date-time or "infinity", got "${until}"`, 'BAD_REQUEST');
      }
      const actor = request.body.by ?? request.principal.name;
      const ban = await addBan(adminAs(context, actor), { kind: kindOf(as), value: who, ...(reason === undefined ? {} : { reason }), ...(end === undefined ? {} : { until: end }) });
      return banShape(ban);
    },
  );

  app.delete(
    '/api/v5/banned/:as/:who',
    {
      schema: { tags, summary: 'Lift a ban (a CIDR range URL-encoded: 10.0.0.0%2F8)', params: Type.Object({ as: As, who: Type.String() }), response: { 204: NoContent, ...refusals(400, 404) } },
    },
    async (request, reply) => {
      await deleteBan(context.admin, kindOf(request.params.as), request.params.who);
      return reply.code(204).send(null);
    },
  );
}
