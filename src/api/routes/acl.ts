// The ACL rules kept in the store, as Starling orders them: one list, first match wins (before the
// rules file and the config's rules). Add at either end, delete, reorder. `starling ctl acl` runs the
// same routes.

import { Type } from 'typebox';
import { addRule, deleteRule, listRules, reorderRules, type NewRule, type RuleEntry } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { NoContent, refusals, StringEnum } from '../schemas.js';

const Permission = StringEnum(['allow', 'deny']);
const Action = StringEnum(['publish', 'subscribe', 'all']);
const Rule = Type.Object({
  id: Type.String({ description: 'Its place in the order (12 digits)' }),
  permission: Permission,
  action: Action,
  topic: Type.String({ description: 'Topic filter; %u, %c, ${cert_cn}, ${jwt.<claim>} are replaced per client' }),
  username: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
});

function shape(rule: RuleEntry) {
  return {
    id: rule.id,
    permission: rule.permission,
    action: rule.action,
    topic: rule.topic,
    ...(rule.username === undefined ? {} : { username: rule.username }),
    ...(rule.clientId === undefined ? {} : { client_id: rule.clientId }),
  };
}

export function aclRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['ACL'];
  app.get('/api/v5/acl/rules', { schema: { tags, summary: 'The store\'s ACL rules, in order', response: { 200: Type.Array(Rule), ...refusals() } } }, () =>
    listRules(context.admin).map(shape),
  );

  app.post(
    '/api/v5/acl/rules',
    {
      schema: {
        tags,
        summary: 'Add a rule after the others (or before them with position: first)',
        body: Type.Object(
          {
            permission: Permission,
            action: Action,
            topic: Type.String({ minLength: 1 }),
            username: Type.Optional(Type.String()),
            client_id: Type.Optional(Type.String()),
            position: Type.Optional(StringEnum(['first', 'last'])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Rule, ...refusals(400, 409) },
      },
    },
    async (request, reply) => {
      const { permission, action, topic, username, client_id, position } = request.body;
      const rule: NewRule = { permission, action, topic };
      if (username !== undefined) rule.username = username;
      if (client_id !== undefined) rule.clientId = client_id;
      if (position !== undefined) rule.position = position;
      return reply.code(201).send(shape(await addRule(context.admin, rule)));
    },
  );

  app.put(
    '/api/v5/acl/rules/order',
    {
      schema: {
        tags,
        summary: 'Reorder the rules: every id once, in the new order (they get new ids)',
        body: Type.Object({ ids: Type.Array(Type.String()) }, { additionalProperties: false }),
        response: { 200: Type.Array(Rule), ...refusals(400, 404) },
      },
    },
    async (request) => (await reorderRules(context.admin, request.body.ids)).map(shape),
  );

  app.delete(
    '/api/v5/acl/rules/:id',
    { schema: { tags, summary: 'Delete a rule', params: Type.Object({ id: Type.String() }), response: { 204: NoContent, ...refusals(404) } } },
    async (request, reply) => {
      await deleteRule(context.admin, request.params.id);
      return reply.code(204).send(null);
    },
  );
}
