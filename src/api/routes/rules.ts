// The rule engine (EMQX's /api/v5/rules, /rules/{id}, /rules/{id}/metrics, /rule_test,
// /rule_events and /connectors): rules and connectors in EMQX's JSON shapes. Rules and connectors
// of the config file are listed but changed only there (409). `starling ctl rules|connectors` runs
// the same routes. The operations are in src/admin/rule-engine-operations.ts, loaded on the first
// request: `starling ctl` for anything else does not load the SQL compiler.

import { Type, type TSchema } from 'typebox';
import type { RuleEngineAdmin } from '../../admin/rule-engine-operations.js';
import { AdminError } from '../../admin/operations.js';
import { connectorTypes } from '../../rules/connectors/connector.js';
import { MQTT_PROPERTIES } from '../../rules/republish-properties.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { NoContent, Paged, pageOf, PageQuery, refusals, StringEnum } from '../schemas.js';

const RepublishArgs = Type.Object(
  {
    topic: Type.String({ minLength: 1, description: 'Topic template, e.g. alerts/${clientid}' }),
    qos: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 2 }), Type.String({ description: 'A template such as ${qos}' })])),
    retain: Type.Optional(Type.Union([Type.Boolean(), Type.String({ description: 'A template such as ${flags.retain}' })])),
    payload: Type.Optional(Type.String({ description: 'Payload template; empty: the output as JSON' })),
    user_properties: Type.Optional(Type.String({ description: "${pub_props.'User-Property'} keeps the input's; ${field} takes a map from the output" })),
    mqtt_properties: Type.Optional(Type.Record(Type.String(), Type.String(), { description: `Templates by property: ${MQTT_PROPERTIES.join(', ')}` })),
    direct_dispatch: Type.Optional(Type.Union([Type.Boolean(), Type.String()])),
  },
  { additionalProperties: false },
);

const Action = Type.Union([
  Type.String({ description: 'A connector: its name, or <type>:<name>' }),
  Type.Object({ function: Type.Literal('republish'), args: RepublishArgs }, { additionalProperties: false }),
  Type.Object({ function: Type.Literal('console'), args: Type.Optional(Type.Object({})) }, { additionalProperties: false }),
  Type.Object({ connector: Type.String() }, { additionalProperties: false }),
]);

const RuleFields = {
  sql: Type.String({ minLength: 1, description: 'EMQX rule SQL: SELECT ... FROM "t/#" WHERE ...' }),
  actions: Type.Array(Action),
  enable: Type.Boolean(),
  description: Type.String(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
};

const RuleShape = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sql: Type.String(),
  from: Type.Array(Type.String()),
  actions: Type.Array(Type.Unknown()),
  enable: Type.Boolean(),
  description: Type.String(),
  created_at: Type.Union([Type.String({ description: 'RFC 3339' }), Type.Null()]),
  last_modified_at: Type.Union([Type.String(), Type.Null()]),
  origin: StringEnum(['config', 'store'], { description: 'config: from the config file (read-only here); store: created through the API or ctl' }),
});

const MetricNumbers = Type.Record(Type.String(), Type.Number());
const RuleMetricsShape = Type.Object({ id: Type.String(), metrics: MetricNumbers, node_metrics: Type.Array(Type.Object({ node: Type.String(), metrics: MetricNumbers })) });

const ConnectorShape = Type.Object({
  name: Type.String(),
  type: StringEnum(connectorTypes),
  enable: Type.Boolean(),
  origin: StringEnum(['config', 'store']),
  status: StringEnum(['connected', 'connecting', 'disconnected']),
  status_reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
  settings: Type.Record(Type.String(), Type.Unknown(), { description: 'The settings, passwords and tokens hidden' }),
});

const IdParams = Type.Object({ id: Type.String() });

/** The operations module (and with it the SQL compiler), on first use. */
const operations = () => import('../../admin/rule-engine-operations.js');

function engine(context: ApiContext): RuleEngineAdmin {
  return { service: context.broker?.rules, nodeName: context.broker?.config.nodeName ?? 'starling' };
}

/** `<type>:<name>` (EMQX's connector id) or the name alone. */
function connectorName(id: string): string {
  const colon = id.indexOf(':');
  return colon === -1 ? id : id.slice(colon + 1);
}

export function ruleRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Rules'];
  app.get(
    '/api/v5/rules',
    {
      schema: {
        tags,
        summary: 'List rules (the config file\'s and the store\'s)',
        querystring: Type.Object({ ...PageQuery, enable: Type.Optional(Type.Boolean()), like_id: Type.Optional(Type.String()), like_from: Type.Optional(Type.String()), like_description: Type.Optional(Type.String()) }),
        response: { 200: Paged(RuleShape), ...refusals(400) },
      },
    },
    async (request) => {
      const { enable, like_id, like_from, like_description } = request.query;
      const rules = (await operations()).listEngineRules(context.admin, engine(context)).filter(
        (rule) =>
          (enable === undefined || rule.enable === enable) &&
          (like_id === undefined || rule.id.includes(like_id)) &&
          (like_from === undefined || rule.from.some((from) => from.includes(like_from))) &&
          (like_description === undefined || rule.description.includes(like_description)),
      );
      return pageOf(rules, request.query.page, request.query.limit);
    },
  );

  app.post(
    '/api/v5/rules',
    {
      schema: {
        tags,
        summary: 'Create a rule (kept in the store); without an id one is made',
        body: Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), ...RuleFields, actions: Type.Optional(RuleFields.actions), enable: Type.Optional(RuleFields.enable), description: Type.Optional(RuleFields.description), metadata: Type.Optional(RuleFields.metadata) }, { additionalProperties: false }),
        response: { 201: RuleShape, ...refusals(400, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await (await operations()).createEngineRule(context.admin, engine(context), request.body)),
  );

  app.get('/api/v5/rules/:id', { schema: { tags, summary: 'One rule', params: IdParams, response: { 200: RuleShape, ...refusals(404) } } }, async (request) =>
    (await operations()).showEngineRule(context.admin, engine(context), request.params.id),
  );

  app.put(
    '/api/v5/rules/:id',
    {
      schema: {
        tags,
        summary: 'Change a rule: the fields given replace its own ({enable: false} disables it)',
        params: IdParams,
        body: Type.Object({ sql: Type.Optional(RuleFields.sql), actions: Type.Optional(RuleFields.actions), enable: Type.Optional(RuleFields.enable), description: Type.Optional(RuleFields.description), metadata: Type.Optional(RuleFields.metadata), id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: RuleShape, ...refusals(400, 404, 409) },
      },
    },
    async (request) => {
      const { id: _id, name: _name, metadata: _metadata, ...changes } = request.body;
      return (await operations()).updateEngineRule(context.admin, engine(context), request.params.id, changes);
    },
  );

  app.delete('/api/v5/rules/:id', { schema: { tags, summary: 'Delete a rule', params: IdParams, response: { 204: NoContent, ...refusals(404, 409) } } }, async (request, reply) => {
    await (await operations()).deleteEngineRule(context.admin, engine(context), request.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/api/v5/rules/:id/metrics',
    { schema: { tags, summary: 'The rule\'s counters (EMQX\'s names: matched, passed, failed.no_result, actions.success, ...)', params: IdParams, response: { 200: RuleMetricsShape, ...refusals(404, 503) } } },
    async (request) => {
      if (context.broker === undefined) throw new AdminError(503, 'no broker is running on this data directory: metrics exist only while it runs', 'NO_BROKER');
      return (await operations()).engineRuleMetrics(context.admin, engine(context), request.params.id);
    },
  );

  app.put('/api/v5/rules/:id/metrics/reset', { schema: { tags, summary: 'Zero the rule\'s counters', params: IdParams, response: { 204: NoContent, ...refusals(404, 503) } } }, async (request, reply) => {
    if (context.broker === undefined) throw new AdminError(503, 'no broker is running on this data directory', 'NO_BROKER');
    const rule = context.broker.rules.engine.get(request.params.id);
    if (rule === undefined) throw new AdminError(404, `Rule Id Not Found: ${request.params.id}`);
    rule.metrics.reset();
    return reply.code(204).send(null);
  });

  app.post(
    '/api/v5/rule_test',
    {
      schema: {
        tags,
        summary: 'Run SQL on a sample input (no action runs); context.event_type picks the event (message_publish, client_connected, ...)',
        body: Type.Object({ sql: Type.String({ minLength: 1 }), context: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
        response: { 200: Type.Unknown({ description: 'The SQL\'s output: a map (SELECT) or a list (FOREACH)' }), ...refusals(400), 412: refusals(400)[400] as TSchema },
      },
    },
    async (request) => (await operations()).testEngineSql(context.admin, engine(context), request.body),
  );

  app.get(
    '/api/v5/rule_events',
    {
      schema: {
        tags,
        summary: 'The events a rule can select from, with their fields',
        response: { 200: Type.Array(Type.Object({ event: Type.String(), event_topics: Type.Array(Type.String()), columns: Type.Array(Type.String()) })), ...refusals() },
      },
    },
    async () => {
      const { columnNames, eventTopics } = await import('../../rules/events.js');
      return Object.entries(columnNames).map(([event, columns]) => ({
        event,
        event_topics: event === 'message.publish' ? [] : [...eventTopics[event as keyof typeof eventTopics]],
        columns: [...columns],
      }));
    },
  );
}

export function connectorRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Connectors'];
  app.get('/api/v5/connectors', { schema: { tags, summary: 'List connectors with status and counters', response: { 200: Type.Array(ConnectorShape), ...refusals() } } }, async () =>
    (await operations()).listConnectors(context.admin, engine(context)) as never,
  );

  app.post(
    '/api/v5/connectors',
    {
      schema: {
        tags,
        summary: `Create a connector (kept in the store): {name, type: ${connectorTypes.join('|')}, ...settings}; see the README for each type's fields`,
        body: Type.Object({ name: Type.String({ minLength: 1 }), type: StringEnum(connectorTypes) }, { additionalProperties: true }),
        response: { 201: ConnectorShape, ...refusals(400, 409) },
      },
    },
    async (request, reply) => reply.code(201).send((await (await operations()).createConnector(context.admin, engine(context), request.body)) as never),
  );

  app.get('/api/v5/connectors/:id', { schema: { tags, summary: 'One connector (id: <type>:<name> or the name)', params: IdParams, response: { 200: ConnectorShape, ...refusals(404) } } }, async (request) =>
    (await operations()).showConnector(context.admin, engine(context), connectorName(request.params.id)) as never,
  );

  app.delete('/api/v5/connectors/:id', { schema: { tags, summary: 'Delete a connector no rule uses', params: IdParams, response: { 204: NoContent, ...refusals(404, 409) } } }, async (request, reply) => {
    await (await operations()).deleteConnector(context.admin, engine(context), connectorName(request.params.id));
    return reply.code(204).send(null);
  });
}
