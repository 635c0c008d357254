// EMQX's `GET /api/v5/stats`, `/metrics`, `/nodes`, `/nodes/{node}`, `/nodes/{node}/stats|metrics`:
// a standalone broker is one node (a cluster lists its other members through LiveState.cluster).
// Without `aggregate=true`, stats and metrics are an array with one object per node, as in EMQX.

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import type { LiveState } from '../live/live-state.js';
import { metricsOf, statsOf, thisNode } from '../live/stats.js';
import { refusals } from '../schemas.js';

const Numbers = Type.Record(Type.String(), Type.Number());
const PerNode = Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]));
const NodeShape = Type.Object({
  node: Type.String(),
  node_status: Type.String(),
  role: Type.String(),
  version: Type.String(),
  edition: Type.String(),
  uptime: Type.Integer({ description: 'Milliseconds' }),
  connections: Type.Integer(),
  live_connections: Type.Integer(),
  cluster_sessions: Type.Integer(),
  load1: Type.Number(),
  load5: Type.Number(),
  load15: Type.Number(),
  max_fds: Type.Optional(Type.Integer()),
  memory_total: Type.String(),
  memory_used: Type.String(),
  node_version: Type.String({ description: 'Starling addition: the Node.js version' }),
  process_rss: Type.Integer({ description: 'Starling addition: resident memory of the broker process, bytes' }),
  sys_path: Type.String(),
  log_path: Type.String(),
});
const NodeParam = Type.Object({ node: Type.String() });
const Aggregate = Type.Object({ aggregate: Type.Optional(Type.Boolean({ description: 'true: one object summed over the nodes; default: an array, one per node' })) });

export function statsRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Stats and nodes'];
  app.get(
    '/api/v5/stats',
    { schema: { tags, summary: 'Counts: connections, sessions, topics, subscriptions, retained', querystring: Aggregate, response: { 200: Type.Union([Numbers, Type.Array(PerNode)]), ...refusals(503) } } },
    (request) => {
      const live = liveState(context);
      const stats = statsOf(live);
      return request.query.aggregate === true ? stats : [{ node: live.nodeName, ...stats }];
    },
  );

  app.get(
    '/api/v5/metrics',
    {
      schema: {
        tags,
        summary: "Counters under EMQX's metric names (those Starling counts)",
        querystring: Type.Object({ ...Aggregate.properties, node: Type.Optional(Type.String()) }),
        response: { 200: Type.Union([Numbers, Type.Array(PerNode)]), ...refusals(503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const metrics = metricsOf(live.broker.metrics);
      if (request.query.aggregate === true) return metrics;
      const node = request.query.node;
      return node !== undefined && node !== live.nodeName ? [] : [{ node: live.nodeName, ...metrics }];
    },
  );

  app.get('/api/v5/nodes', { schema: { tags, summary: 'The nodes (a standalone broker is one)', response: { 200: Type.Array(NodeShape), ...refusals(503) } } }, async () => {
    const live = liveState(context);
    return [thisNode(live), ...((await live.cluster?.otherNodes()) ?? [])];
  });

  app.get('/api/v5/nodes/:node', { schema: { tags, summary: 'One node', params: NodeParam, response: { 200: NodeShape, ...refusals(404, 503) } } }, async (request) =>
    findNode(liveState(context), request.params.node),
  );

  app.get('/api/v5/nodes/:node/stats', { schema: { tags, summary: "A node's stats", params: NodeParam, response: { 200: Numbers, ...refusals(404, 503) } } }, (request) =>
    statsOf(localNode(liveState(context), request.params.node)),
  );

  app.get('/api/v5/nodes/:node/metrics', { schema: { tags, summary: "A node's metrics", params: NodeParam, response: { 200: Numbers, ...refusals(404, 503) } } }, (request) =>
    metricsOf(localNode(liveState(context), request.params.node).broker.metrics),
  );
}

async function findNode(live: LiveState, node: string) {
  if (node === live.nodeName) return thisNode(live);
  const other = (await live.cluster?.otherNodes())?.find((candidate) => candidate.node === node);
  if (other === undefined) throw new AdminError(404, `Node not found: ${node}`, 'NOT_FOUND');
  return other;
}

/** This node's live state when `node` names it; other nodes' counts are not served here (yet). */
export function localNode(live: LiveState, node: string): LiveState {
  if (node !== live.nodeName) throw new AdminError(404, `Node not found: ${node}`, 'NOT_FOUND');
  return live;
}
