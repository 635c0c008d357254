// EMQX's client routes: `GET /api/v5/clients` (paged, filtered and sorted from the client index),
// one client, kick (one or in bulk), its subscriptions, and subscribing or unsubscribing on its
// behalf. The logic is in src/api/live/clients.ts and client-query.ts; these routes translate shapes.

import { isIP } from 'node:net';
import { Type, type TSchema } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { Subscription } from '../../core/subscription.js';
import type { Session } from '../../session/session.js';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import { INDEXED_KEYS, type IndexedKey } from '../live/client-index.js';
import { queryClients, type ClientFilters, type ClientOrder, type LiveMetric, type TimeRange } from '../live/client-query.js';
import { clientDetails, findClient, kickClient, kickClients, subscribeFor, subscriptionsOf, unsubscribeFor, type ClientDetails } from '../live/clients.js';
import type { LiveState } from '../live/live-state.js';
import { NoContent, PageMeta, PageQuery, refusals, StringEnum } from '../schemas.js';

/** `type: [X, 'null']` rather than anyOf: the serializer writes it without trying each branch. */
const NullableString = (options: { description?: string } = {}): TSchema => Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
const NullableInteger = (): TSchema => Type.Unsafe<number | null>({ type: ['integer', 'null'] });

/** EMQX's client object, with the fields Starling has (README: Management, differences from EMQX). */
const ClientFields = {
  clientid: Type.String(),
  username: NullableString(),
  node: Type.String(),
  ip_address: NullableString({ description: 'null for a session loaded from the store and not connected since' }),
  port: NullableInteger(),
  peerport: NullableInteger(),
  listener: NullableString({ description: 'tcp, tls, ws, wss or local' }),
  proto_name: Type.String(),
  proto_ver: Type.Integer(),
  clean_start: Type.Boolean(),
  keepalive: Type.Integer({ description: 'Seconds' }),
  expiry_interval: Type.Integer({ description: 'Session expiry interval, seconds' }),
  connected: Type.Boolean(),
  conn_state: StringEnum(['connected', 'disconnected'], { description: 'Starling addition (EMQX only filters on it)' }),
  connected_at: NullableString({ description: 'RFC 3339; null for a session loaded from the store and not connected since' }),
  created_at: Type.String({ description: 'RFC 3339: when this broker created the session (or loaded it from the store)' }),
  disconnected_at: Type.Optional(Type.String({ description: 'RFC 3339, when not connected' })),
  is_bridge: Type.Boolean(),
  is_expired: Type.Boolean(),
  is_persistent: Type.Boolean(),
  durable: Type.Boolean(),
  mountpoint: Type.Null(),
  client_attrs: Type.Object({}),
  subscriptions_cnt: Type.Integer(),
  subscriptions_max: Type.String({ description: '"infinity": Starling sets no per-client limit' }),
  inflight_cnt: Type.Integer(),
  inflight_max: Type.Integer(),
  mqueue_len: Type.Integer(),
  mqueue_max: Type.Integer(),
  mqueue_dropped: Type.Integer({ description: 'Messages dropped for this session since the broker started (any reason)' }),
  awaiting_rel_cnt: Type.Integer(),
  awaiting_rel_max: Type.Integer(),
};
type ClientField = keyof typeof ClientFields;
const CLIENT_FIELD_NAMES = Object.keys(ClientFields) as ClientField[];
const Client = Type.Object(Object.fromEntries(CLIENT_FIELD_NAMES.map((name) => [name, Type.Optional(ClientFields[name])])), {
  description: 'A client (every field, or those `fields` names)',
});

export const SubscriptionShape = Type.Object({
  topic: Type.String(),
  qos: Type.Integer(),
  nl: Type.Integer(),
  rap: Type.Integer(),
  rh: Type.Integer(),
  node: Type.String(),
  clientid: Type.String(),
  durable: Type.Boolean(),
});

const SubscribeBody = Type.Object(
  {
    topic: Type.String({ minLength: 1 }),
    qos: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
    nl: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
    rap: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
    rh: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
  },
  { additionalProperties: false },
);
const TopicBody = Type.Object({ topic: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const ClientIdParam = Type.Object({ clientid: Type.String() });

/** Sorts the index keeps lists for, and counts read from sessions at query time. */
const ORDER_BY = [...INDEXED_KEYS, 'inflight_cnt', 'mqueue_len', 'mqueue_dropped', 'subscriptions_cnt'] as const;

const ListQuery = Type.Object({
  ...PageQuery,
  node: Type.Optional(Type.String()),
  clientid: Type.Optional(Type.Array(Type.String(), { description: 'Exact; repeat for several' })),
  username: Type.Optional(Type.Array(Type.String(), { description: 'Exact; repeat for several' })),
  ip_address: Type.Optional(Type.String()),
  conn_state: Type.Optional(StringEnum(['connected', 'idle', 'disconnected'])),
  clean_start: Type.Optional(Type.Boolean()),
  proto_ver: Type.Optional(Type.Integer({ minimum: 3, maximum: 5 })),
  like_clientid: Type.Optional(Type.String({ description: 'Substring of the client id' })),
  like_username: Type.Optional(Type.String({ description: 'Substring of the username' })),
  gte_created_at: Type.Optional(Type.String({ description: 'RFC 3339, or milliseconds since the epoch' })),
  lte_created_at: Type.Optional(Type.String()),
  gte_connected_at: Type.Optional(Type.String()),
  lte_connected_at: Type.Optional(Type.String()),
  order_by: Type.Optional(StringEnum(ORDER_BY, { description: 'Starling addition: sort on this column (default clientid)' })),
  order: Type.Optional(StringEnum(['asc', 'desc'], { description: 'Starling addition (default asc)' })),
  fields: Type.Optional(Type.String({ description: '"all" (default) or a comma-separated list of client fields' })),
});

export function clientRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Clients'];
  app.get(
    '/api/v5/clients',
    {
      schema: {
        tags,
        summary: 'List clients (connected, and persistent sessions waiting for theirs), by client id or order_by',
        querystring: ListQuery,
        response: { 200: Type.Object({ data: Type.Array(Client), meta: PageMeta }), ...refusals(400, 404, 503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const query = request.query;
      checkNode(live, query.node);
      const fields = selectedFields(query.fields);
      const page = queryClients(live.clients, filtersOf(query), orderOf(live, query.order_by, query.order), query.page, query.limit);
      const data = [];
      for (const record of page.records) {
        const details = clientDetails(live, record);
        if (details !== undefined) data.push(pick(clientShape(live, details), fields));
      }
      return { data, meta: { page: query.page, limit: query.limit, count: page.count, hasnext: page.hasNext } };
    },
  );

  app.get(
    '/api/v5/clients/:clientid',
    { schema: { tags, summary: 'One client', params: ClientIdParam, response: { 200: Client, ...refusals(404, 503) } } },
    (request) => {
      const live = liveState(context);
      return clientShape(live, findClient(live, request.params.clientid));
    },
  );

  app.delete(
    '/api/v5/clients/:clientid',
    {
      schema: {
        tags,
        summary: 'Kick a client out (MQTT 5: DISCONNECT 0x98 Administrative action) and discard its session',
        params: ClientIdParam,
        response: { 204: NoContent, ...refusals(404, 503) },
      },
    },
    async (request, reply) => {
      kickClient(liveState(context), request.params.clientid);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v5/clients/kickout/bulk',
    {
      schema: {
        tags,
        summary: 'Kick several clients out; ids without a session are skipped',
        body: Type.Array(Type.String(), { minItems: 1 }),
        response: { 204: NoContent, ...refusals(400, 503) },
      },
    },
    async (request, reply) => {
      kickClients(liveState(context), request.body);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v5/clients/:clientid/subscriptions',
    { schema: { tags, summary: "A client's subscriptions", params: ClientIdParam, response: { 200: Type.Array(SubscriptionShape), ...refusals(404, 503) } } },
    (request) => {
      const live = liveState(context);
      return subscriptionsOf(live, request.params.clientid).map((subscription) => subscriptionShape(live, subscription));
    },
  );

  app.post(
    '/api/v5/clients/:clientid/subscribe',
    {
      schema: {
        tags,
        summary: 'Subscribe a client (as its SUBSCRIBE would: retained messages follow)',
        params: ClientIdParam,
        body: SubscribeBody,
        response: { 200: SubscriptionShape, ...refusals(400, 404, 503) },
      },
    },
    async (request) => {
      const live = liveState(context);
      const [made] = subscribeFor(live, request.params.clientid, [request.body], () => 'body');
      return subscriptionShape(live, made!);
    },
  );

  app.post(
    '/api/v5/clients/:clientid/subscribe/bulk',
    {
      schema: {
        tags,
        summary: 'Subscribe a client to several filters (all are checked before any is made)',
        params: ClientIdParam,
        body: Type.Array(SubscribeBody, { minItems: 1 }),
        response: { 200: Type.Array(SubscriptionShape), ...refusals(400, 404, 503) },
      },
    },
    async (request) => {
      const live = liveState(context);
      return subscribeFor(live, request.params.clientid, request.body).map((subscription) => subscriptionShape(live, subscription));
    },
  );

  app.post(
    '/api/v5/clients/:clientid/unsubscribe',
    { schema: { tags, summary: 'Unsubscribe a client from a filter', params: ClientIdParam, body: TopicBody, response: { 204: NoContent, ...refusals(400, 404, 503) } } },
    async (request, reply) => {
      unsubscribeFor(liveState(context), request.params.clientid, [request.body.topic]);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v5/clients/:clientid/unsubscribe/bulk',
    {
      schema: {
        tags,
        summary: 'Unsubscribe a client from several filters',
        params: ClientIdParam,
        body: Type.Array(TopicBody, { minItems: 1 }),
        response: { 204: NoContent, ...refusals(400, 404, 503) },
      },
    },
    async (request, reply) => {
      unsubscribeFor(
        liveState(context),
        request.params.clientid,
        request.body.map((item) => item.topic),
      );
      return reply.code(204).send(null);
    },
  );
}

/** A standalone broker is one node: another node name is unknown. */
export function checkNode(live: LiveState, node: string | undefined): void {
  if (node !== undefined && node !== live.nodeName) throw new AdminError(404, `Node not found: ${node}`, 'NOT_FOUND');
}

type ListQueryValue = {
  clientid?: string[];
  username?: string[];
  ip_address?: string;
  conn_state?: 'connected' | 'idle' | 'disconnected';
  clean_start?: boolean;
  proto_ver?: number;
  like_clientid?: string;
  like_username?: string;
  gte_created_at?: string;
  lte_created_at?: string;
  gte_connected_at?: string;
  lte_connected_at?: string;
};

function filtersOf(query: ListQueryValue): ClientFilters {
  const filters: ClientFilters = {};
  if (query.clientid !== undefined) filters.clientIds = query.clientid;
  if (query.username !== undefined) filters.usernames = query.username;
  if (query.ip_address !== undefined) {
    if (isIP(query.ip_address) === 0) throw new AdminError(400, `querystring.ip_address: expected an IP address, got "${query.ip_address}"`, 'INVALID_PARAMETER');
    filters.ipAddress = query.ip_address;
  }
  if (query.conn_state !== undefined) filters.connState = query.conn_state;
  if (query.clean_start !== undefined) filters.cleanStart = query.clean_start;
  if (query.proto_ver !== undefined) filters.protocolVersion = query.proto_ver;
  // EMQX ignores like_clientid beside an exact clientid (and like_username beside username).
  if (query.like_clientid !== undefined && query.clientid === undefined) filters.likeClientId = query.like_clientid;
  if (query.like_username !== undefined && query.username === undefined) filters.likeUsername = query.like_username;
  const created = timeRange(query.gte_created_at, query.lte_created_at, 'created_at');
  if (created !== undefined) filters.createdAt = created;
  const connected = timeRange(query.gte_connected_at, query.lte_connected_at, 'connected_at');
  if (connected !== undefined) filters.connectedAt = connected;
  return filters;
}

function timeRange(gte: string | undefined, lte: string | undefined, name: string): TimeRange | undefined {
  if (gte === undefined && lte === undefined) return undefined;
  const range: TimeRange = {};
  if (gte !== undefined) range.gte = parseTime(gte, `gte_${name}`);
  if (lte !== undefined) range.lte = parseTime(lte, `lte_${name}`);
  return range;
}

/** RFC 3339, or an integer of milliseconds since the epoch (EMQX takes both). */
function parseTime(value: string, field: string): number {
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(time)) throw new AdminError(400, `querystring.${field}: expected an RFC 3339 date-time or milliseconds since the epoch, got "${value}"`, 'INVALID_PARAMETER');
  return time;
}

function orderOf(live: LiveState, orderBy: (typeof ORDER_BY)[number] | undefined, order: 'asc' | 'desc' | undefined): ClientOrder {
  const descending = order === 'desc';
  if (orderBy === undefined || (INDEXED_KEYS as readonly string[]).includes(orderBy)) return { by: (orderBy ?? 'clientid') as IndexedKey, descending };
  const registry = live.broker.registry;
  const read = liveMetric(orderBy);
  const metric: LiveMetric = (record) => read(registry.get(record.clientId));
  return { by: { name: orderBy, read: metric }, descending };
}

function liveMetric(name: string): (session: Session | undefined) => number {
  switch (name) {
    case 'inflight_cnt':
      return (session) => session?.inflightCount ?? 0;
    case 'mqueue_len':
      return (session) => session?.queuedCount ?? 0;
    case 'mqueue_dropped':
      return (session) => session?.droppedCount ?? 0;
    default:
      return (session) => session?.subscriptionCount ?? 0;
  }
}

function selectedFields(fields: string | undefined): ReadonlySet<string> | undefined {
  if (fields === undefined || fields === 'all') return undefined;
  const names = fields.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(CLIENT_FIELD_NAMES as string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new AdminError(400, `querystring.fields: unknown client field ${unknown.map((name) => `"${name}"`).join(', ')}; expected "all" or some of ${CLIENT_FIELD_NAMES.join(', ')}`, 'INVALID_PARAMETER');
  }
  return new Set(names);
}

function pick<T extends Record<string, unknown>>(object: T, fields: ReadonlySet<string> | undefined): Partial<T> {
  if (fields === undefined) return object;
  return Object.fromEntries(Object.entries(object).filter(([name]) => fields.has(name))) as Partial<T>;
}

function iso(time: number | undefined): string | null {
  return time === undefined ? null : new Date(time).toISOString();
}

/** EMQX's client object. */
export function clientShape(live: LiveState, { record, session, inflightMaximum }: ClientDetails) {
  const config = live.broker.config;
  const connected = record.connState === 'connected';
  const known = record.listener !== '';
  return {
    clientid: record.clientId,
    username: record.username ?? null,
    node: live.nodeName,
    ip_address: known ? record.ipAddress : null,
    port: known ? record.port : null,
    peerport: known ? record.port : null,
    listener: known ? record.listener : null,
    proto_name: 'MQTT',
    proto_ver: record.protocolVersion,
    clean_start: record.cleanStart,
    keepalive: record.keepAlive,
    expiry_interval: session.expiryInterval,
    connected,
    conn_state: record.connState,
    connected_at: iso(record.connectedAt),
    created_at: new Date(record.createdAt).toISOString(),
    ...(connected || record.disconnectedAt === undefined ? {} : { disconnected_at: new Date(record.disconnectedAt).toISOString() }),
    is_bridge: false,
    is_expired: false,
    is_persistent: session.expiryInterval > 0,
    durable: false,
    mountpoint: null,
    client_attrs: {},
    subscriptions_cnt: session.subscriptionCount,
    subscriptions_max: 'infinity',
    inflight_cnt: session.inflightCount,
    inflight_max: inflightMaximum,
    mqueue_len: session.queuedCount,
    mqueue_max: config.maxQueuedMessages,
    mqueue_dropped: session.droppedCount,
    awaiting_rel_cnt: session.awaitingReleaseCount,
    awaiting_rel_max: config.maxInflight,
  };
}

/** EMQX's subscription object (also for /api/v5/subscriptions). */
export function subscriptionShape(live: LiveState, subscription: Subscription<Session>) {
  return {
    topic: subscription.topicFilter,
    qos: subscription.qos,
    nl: subscription.noLocal ? 1 : 0,
    rap: subscription.retainAsPublished ? 1 : 0,
    rh: subscription.retainHandling,
    node: live.nodeName,
    clientid: subscription.subscriber.clientId,
    durable: false,
  };
}
