// EMQX's built-in-database ACL routes (/api/v5/authorization/sources/built_in_database/rules/...) as
// views of Starling's one ordered rule list: a username's rules, a client id's, and those for all
// clients (src/admin/acl-subjects.ts explains the mapping). Store-level: they work on a stopped
// broker's data directory too. EMQX's status codes: 204 for POST, PUT and DELETE.

import { Type, type TSchema } from 'typebox';
import { addSubjects, deleteSubjectRules, replaceRules, rulesOf, subjectsOf, type Subject, type SubjectKind, type SubjectRule } from '../../admin/acl-subjects.js';
import { AdminError, type RuleEntry } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { NoContent, Paged, pageOf, PageQuery, refusals, StringEnum } from '../schemas.js';

const PATH = '/api/v5/authorization/sources/built_in_database/rules';

const Rule = Type.Object(
  {
    topic: Type.String({ minLength: 1, description: 'Topic filter; ${username}, ${clientid} (and %u, %c) are replaced per client' }),
    permission: StringEnum(['allow', 'deny']),
    action: StringEnum(['publish', 'subscribe', 'all']),
    qos: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 2 }), { description: 'Only [0, 1, 2]: Starling rules apply to every QoS' })),
    retain: Type.Optional(Type.Union([Type.Boolean(), StringEnum(['all', 'true', 'false'])], { description: 'Only "all": Starling rules apply to retained and other messages alike' })),
  },
  { additionalProperties: false },
);
const Rules = Type.Array(Rule);
const RuleOut = Type.Object({
  topic: Type.String(),
  permission: Type.String(),
  action: Type.String(),
  qos: Type.Array(Type.Integer()),
  retain: Type.String(),
});

function ruleShape(rule: RuleEntry) {
  return { topic: rule.topic, permission: rule.permission, action: rule.action, qos: [0, 1, 2], retain: 'all' };
}

/** The routes of one kind of subject: `users` (by username) or `clients` (by client id). */
function subjectRoutes(app: ApiApp, context: ApiContext, kind: SubjectKind): void {
  const tags = ['ACL (EMQX built-in database)'];
  const plural = kind === 'username' ? 'users' : 'clients';
  const key = kind;
  const like = kind === 'username' ? 'like_username' : 'like_clientid';
  const Subject = Type.Object({ [key]: Type.String({ minLength: 1 }), rules: Rules }, { additionalProperties: false });
  const SubjectOut = Type.Object({ [key]: Type.String(), rules: Type.Array(RuleOut) });
  const Param = Type.Object({ [key]: Type.String() });
  const shape = (name: string, rules: RuleEntry[]) => ({ [key]: name, rules: rules.map(ruleShape) });
  const nameOf = (value: Record<string, unknown>): string => value[key] as string;

  app.get(
    `${PATH}/${plural}`,
    {
      schema: {
        tags,
        summary: `Rules naming only a ${kind}, grouped by ${kind}`,
        querystring: Type.Object({ ...PageQuery, [like]: Type.Optional(Type.String()) } as Record<string, TSchema>),
        response: { 200: Paged(SubjectOut), ...refusals(400) },
      },
    },
    (request) => {
      const query = request.query as { page: number; limit: number } & Record<string, string | undefined>;
      const part = query[like];
      const subjects = subjectsOf(context.admin, kind).filter((subject) => part === undefined || subject.name.includes(part));
      return pageOf(
        subjects.map((subject) => shape(subject.name, subject.rules)),
        query.page,
        query.limit,
      );
    },
  );

  app.post(
    `${PATH}/${plural}`,
    {
      schema: { tags, summary: `Add rules for ${kind}s that have none (appended to the list)`, body: Type.Array(Subject, { minItems: 1 }), response: { 204: NoContent, ...refusals(400, 409) } },
    },
    async (request, reply) => {
      const subjects = (request.body as Array<Record<string, unknown>>).map((item) => ({ name: nameOf(item), rules: item['rules'] as SubjectRule[] }));
      await addSubjects(context.admin, kind, subjects);
      return reply.code(204).send(null);
    },
  );

  app.get(`${PATH}/${plural}/:${key}`, { schema: { tags, summary: `One ${kind}'s rules`, params: Param, response: { 200: SubjectOut, ...refusals(404) } } }, (request) => {
    const name = nameOf(request.params as Record<string, unknown>);
    const rules = rulesOf(context.admin, { kind, name });
    if (rules.length === 0) throw new AdminError(404, 'Not Found');
    return shape(name, rules);
  });

  app.put(
    `${PATH}/${plural}/:${key}`,
    {
      schema: {
        tags,
        summary: `Replace a ${kind}'s rules (the new ones go to the end of the list)`,
        params: Param,
        body: Subject,
        response: { 204: NoContent, ...refusals(400) },
      },
    },
    async (request, reply) => {
      const name = nameOf(request.params as Record<string, unknown>);
      const body = request.body as Record<string, unknown>;
      if (nameOf(body) !== name) throw new AdminError(400, `body.${key}: must be the ${kind} of the path (${name}), got ${JSON.stringify(nameOf(body))}`);
      await replaceRules(context.admin, { kind, name }, body['rules'] as SubjectRule[]);
      return reply.code(204).send(null);
    },
  );

  app.delete(`${PATH}/${plural}/:${key}`, { schema: { tags, summary: `Delete a ${kind}'s rules`, params: Param, response: { 204: NoContent, ...refusals(404) } } }, async (request, reply) => {
    await deleteSubjectRules(context.admin, { kind, name: nameOf(request.params as Record<string, unknown>) });
    return reply.code(204).send(null);
  });
}

export function authzBuiltInRoutes(app: ApiApp, context: ApiContext): void {
  subjectRoutes(app, context, 'username');
  subjectRoutes(app, context, 'clientid');
  const tags = ['ACL (EMQX built-in database)'];
  const all: Subject = { kind: 'all' };
  app.get(`${PATH}/all`, { schema: { tags, summary: 'Rules naming neither a username nor a client id', response: { 200: Type.Object({ rules: Type.Array(RuleOut) }), ...refusals() } } }, () => ({
    rules: rulesOf(context.admin, all).map(ruleShape),
  }));
  app.post(
    `${PATH}/all`,
    {
      schema: {
        tags,
        summary: 'Replace the rules for all clients (the new ones go to the end of the list)',
        body: Type.Object({ rules: Rules }, { additionalProperties: false }),
        response: { 204: NoContent, ...refusals(400) },
      },
    },
    async (request, reply) => {
      await replaceRules(context.admin, all, request.body.rules as SubjectRule[]);
      return reply.code(204).send(null);
    },
  );
  app.delete(`${PATH}/all`, { schema: { tags, summary: 'Delete the rules for all clients', response: { 204: NoContent, ...refusals() } } }, async (_request, reply) => {
    await deleteSubjectRules(context.admin, all);
    return reply.code(204).send(null);
  });
}
