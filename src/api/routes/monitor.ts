// EMQX's chart routes: `GET /api/v5/monitor?latest=<seconds>` (the samples, oldest first),
// `GET /api/v5/monitor_current` (rates per second since the last sample, and gauges now), their
// `/nodes/{node}` forms, and `DELETE /api/v5/monitor`. Samples come from the monitor's ring buffers
// (src/api/live/monitor.ts): 10 s for the last hour, 1 min for the last day.

import { Type } from 'typebox';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import type { LiveState } from '../live/live-state.js';
import type { MonitorSample } from '../live/monitor.js';
import { NoContent, refusals } from '../schemas.js';
import { localNode } from './stats.js';

const Sample = Type.Object({
  time_stamp: Type.Integer({ description: 'End of the interval, milliseconds since the epoch' }),
  interval: Type.Integer({ description: 'Seconds the sample covers: 10, or 60 past the last hour (Starling addition)' }),
  connections: Type.Integer({ description: 'Sessions (connected, and persistent ones waiting)' }),
  live_connections: Type.Integer(),
  subscriptions: Type.Integer(),
  topics: Type.Integer(),
  received: Type.Integer({ description: 'Messages received in the interval' }),
  sent: Type.Integer(),
  dropped: Type.Integer(),
  validation_succeeded: Type.Integer(),
  validation_failed: Type.Integer(),
  transformation_succeeded: Type.Integer(),
  transformation_failed: Type.Integer(),
  disconnected_durable_sessions: Type.Integer(),
  subscriptions_durable: Type.Integer(),
  shared_subscriptions: Type.Integer(),
  retained_msg_count: Type.Integer(),
  dropped_by_reason: Type.Record(Type.String(), Type.Integer(), { description: 'Drops in the interval by reason (Starling addition)' }),
  bytes_received: Type.Integer({ description: 'Bytes in the interval (Starling addition)' }),
  bytes_sent: Type.Integer(),
  store_bytes: Type.Union([Type.Integer(), Type.Null()], { description: 'Store size on disk; null without a store (Starling addition)' }),
  store_commits: Type.Integer({ description: 'Store commits that ended in the interval (Starling addition)' }),
  commit_latency_p50: Type.Union([Type.Number(), Type.Null()], { description: 'Median store commit latency in the interval, ms, estimated from the store.commit.seconds histogram; null without commits (Starling addition)' }),
  commit_latency_p99: Type.Union([Type.Number(), Type.Null()], { description: '99th percentile store commit latency in the interval, ms; null without commits (Starling addition)' }),
});

const Current = Type.Object({
  received_msg_rate: Type.Integer(),
  sent_msg_rate: Type.Integer(),
  dropped_msg_rate: Type.Integer(),
  validation_succeeded_rate: Type.Integer(),
  validation_failed_rate: Type.Integer(),
  transformation_succeeded_rate: Type.Integer(),
  transformation_failed_rate: Type.Integer(),
  bytes_received_rate: Type.Integer(),
  bytes_sent_rate: Type.Integer(),
  connections: Type.Integer(),
  live_connections: Type.Integer(),
  subscriptions: Type.Integer(),
  subscriptions_ram: Type.Integer(),
  topics: Type.Integer(),
  disconnected_durable_sessions: Type.Integer(),
  subscriptions_durable: Type.Integer(),
  retained_msg_count: Type.Integer(),
  shared_subscriptions: Type.Integer(),
  store_bytes: Type.Union([Type.Integer(), Type.Null()]),
  commit_latency_p50: Type.Union([Type.Number(), Type.Null()], { description: 'Median store commit latency since the last sample, ms; null without commits (Starling addition)' }),
  commit_latency_p99: Type.Union([Type.Number(), Type.Null()]),
  node_uptime: Type.Optional(Type.Integer({ description: 'Seconds (node form only)' })),
});

const Latest = Type.Object({ latest: Type.Optional(Type.Integer({ minimum: 1, description: 'Seconds back from now; default: every sample kept (24 h)' })) });
const NodeParam = Type.Object({ node: Type.String() });

function sampleShape(sample: MonitorSample) {
  return {
    time_stamp: sample.time,
    interval: sample.interval,
    connections: sample.sessions,
    live_connections: sample.connections,
    subscriptions: sample.subscriptions,
    topics: sample.topics,
    received: sample.received,
    sent: sample.sent,
    dropped: sample.dropped,
    // Starling has no schema validation or message transformation, nor EMQX's durable (DS) sessions.
    validation_succeeded: 0,
    validation_failed: 0,
    transformation_succeeded: 0,
    transformation_failed: 0,
    disconnected_durable_sessions: 0,
    subscriptions_durable: 0,
    shared_subscriptions: sample.sharedSubscriptions,
    retained_msg_count: sample.retained,
    dropped_by_reason: sample.droppedByReason,
    bytes_received: sample.bytesReceived,
    bytes_sent: sample.bytesSent,
    store_bytes: sample.storeBytes ?? null,
    store_commits: sample.commits,
    commit_latency_p50: sample.commitLatencyP50 ?? null,
    commit_latency_p99: sample.commitLatencyP99 ?? null,
  };
}

function currentShape(live: LiveState, node: boolean) {
  const rates = live.monitor.current();
  const metrics = live.broker.metrics;
  const subscriptions = metrics.value('subscriptions.count');
  return {
    received_msg_rate: rates.received,
    sent_msg_rate: rates.sent,
    dropped_msg_rate: rates.dropped,
    validation_succeeded_rate: 0,
    validation_failed_rate: 0,
    transformation_succeeded_rate: 0,
    transformation_failed_rate: 0,
    bytes_received_rate: rates.bytesReceived,
    bytes_sent_rate: rates.bytesSent,
    connections: metrics.value('sessions.count'),
    live_connections: metrics.value('clients.connected'),
    subscriptions,
    subscriptions_ram: subscriptions,
    topics: metrics.value('topics.count'),
    disconnected_durable_sessions: 0,
    subscriptions_durable: 0,
    retained_msg_count: metrics.value('retained.count'),
    shared_subscriptions: metrics.value('subscriptions.shared.count'),
    store_bytes: live.broker.store === undefined ? null : metrics.value('store.size.bytes'),
    commit_latency_p50: rates.commitLatencyP50 ?? null,
    commit_latency_p99: rates.commitLatencyP99 ?? null,
    ...(node ? { node_uptime: Math.floor((Date.now() - live.startedAt) / 1000) } : {}),
  };
}

export function monitorRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Monitor'];
  const samples = (live: LiveState, latest: number | undefined) => live.monitor.samples(latest).map(sampleShape);
  app.get(
    '/api/v5/monitor',
    { schema: { tags, summary: 'Chart samples, oldest first: 10 s for the last hour, 1 min before', querystring: Latest, response: { 200: Type.Array(Sample), ...refusals(400, 503) } } },
    (request) => samples(liveState(context), request.query.latest),
  );
  app.get(
    '/api/v5/monitor/nodes/:node',
    { schema: { tags, summary: "One node's chart samples", params: NodeParam, querystring: Latest, response: { 200: Type.Array(Sample), ...refusals(400, 404, 503) } } },
    (request) => samples(localNode(liveState(context), request.params.node), request.query.latest),
  );
  app.delete('/api/v5/monitor', { schema: { tags, summary: 'Forget every sample', response: { 204: NoContent, ...refusals(503) } } }, async (_request, reply) => {
    liveState(context).monitor.clear();
    return reply.code(204).send(null);
  });
  app.get('/api/v5/monitor_current', { schema: { tags, summary: 'Rates per second since the last sample, and counts now', response: { 200: Current, ...refusals(503) } } }, () =>
    currentShape(liveState(context), false),
  );
  app.get(
    '/api/v5/monitor_current/nodes/:node',
    { schema: { tags, summary: "One node's rates and counts", params: NodeParam, response: { 200: Current, ...refusals(404, 503) } } },
    (request) => currentShape(localNode(liveState(context), request.params.node), true),
  );
}
