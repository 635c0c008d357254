// EMQX's statistics, metrics and node description, read from Starling's metrics registry and the
// client index: `GET /api/v5/stats`, `/metrics` and `/nodes` answer with these. Names EMQX has and
// Starling does not count are left out rather than sent as a made-up 0.

import { freemem, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { MetricsReader } from '../../metrics/registry.js';
import { VERSION } from '../../version.js';
import type { LiveState } from './live-state.js';

/** EMQX's `/stats` object for this node (gauges, and the maxima Starling tracks). */
export function statsOf(live: LiveState): Record<string, number> {
  const metrics = live.broker.metrics;
  const sessions = metrics.value('sessions.count');
  const sessionsMaximum = Math.max(sessions, live.clients.maximum);
  const subscriptions = metrics.value('subscriptions.count');
  let subscribers = 0;
  for (const session of live.broker.registry.all()) if (session.subscriptionCount > 0) subscribers++;
  return {
    'connections.count': sessions,
    'connections.max': sessionsMaximum,
    'live_connections.count': metrics.value('clients.connected'),
    'live_connections.max': metrics.value('clients.maximum'),
    'channels.count': sessions,
    'channels.max': sessionsMaximum,
    'sessions.count': sessions,
    'sessions.max': sessionsMaximum,
    'cluster_sessions.count': sessions,
    'cluster_sessions.max': sessionsMaximum,
    'topics.count': metrics.value('topics.count'),
    'subscriptions.count': subscriptions,
    'suboptions.count': subscriptions,
    'subscribers.count': subscribers,
    'subscriptions.shared.count': metrics.value('subscriptions.shared.count'),
    'retained.count': metrics.value('retained.count'),
  };
}

/** EMQX metric names that Starling counts under another name or label, and how to read them. */
const EMQX_METRICS: ReadonlyArray<readonly [emqx: string, read: (metrics: MetricsReader) => number | undefined]> = [
  ['bytes.received', (m) => m.value('bytes.received')],
  ['bytes.sent', (m) => m.value('bytes.sent')],
  ['packets.received', (m) => m.value('packets.received')],
  ['packets.sent', (m) => m.value('packets.sent')],
  ['messages.received', (m) => m.value('messages.received')],
  ['messages.sent', (m) => m.value('messages.sent')],
  ...[0, 1, 2].flatMap((qos) => [
    [`messages.qos${qos}.received`, (m: MetricsReader) => m.value('messages.received', { qos: String(qos) })] as const,
    [`messages.qos${qos}.sent`, (m: MetricsReader) => m.value('messages.sent', { qos: String(qos) })] as const,
  ]),
  // EMQX splits drops: before routing (messages.dropped.*) and at delivery to one session (delivery.dropped.*).
  ['messages.dropped', (m) => dropped(m, ['no_subscribers', 'not_authorized', 'rate_limited', 'dropped_by_hook'])],
  ['messages.dropped.no_subscribers', (m) => dropped(m, ['no_subscribers'])],
  ['delivery.dropped', (m) => dropped(m, ['queue_full', 'expired', 'too_large', 'slow_consumer', 'store_full'])],
  ['delivery.dropped.queue_full', (m) => dropped(m, ['queue_full'])],
  ['delivery.dropped.expired', (m) => dropped(m, ['expired'])],
  ['delivery.dropped.too_large', (m) => dropped(m, ['too_large'])],
  // Starling's own delivery drops, under EMQX's prefix.
  ['delivery.dropped.slow_consumer', (m) => dropped(m, ['slow_consumer'])],
  ['delivery.dropped.store_full', (m) => dropped(m, ['store_full'])],
];

/** Further EMQX metric names, answered when the registry has a counter of that very name. */
const EMQX_SAME_NAMES = [
  'packets.connect.received', 'packets.connack.sent', 'packets.connack.error', 'packets.connack.auth_error',
  'packets.publish.received', 'packets.publish.sent', 'packets.publish.inuse', 'packets.publish.error',
  'packets.publish.auth_error', 'packets.publish.dropped', 'packets.puback.received', 'packets.puback.sent',
  'packets.puback.inuse', 'packets.puback.missed', 'packets.pubrec.received', 'packets.pubrec.sent',
  'packets.pubrec.inuse', 'packets.pubrec.missed', 'packets.pubrel.received', 'packets.pubrel.sent',
  'packets.pubrel.missed', 'packets.pubcomp.received', 'packets.pubcomp.sent', 'packets.pubcomp.inuse',
  'packets.pubcomp.missed', 'packets.subscribe.received', 'packets.subscribe.error', 'packets.subscribe.auth_error',
  'packets.suback.sent', 'packets.unsubscribe.received', 'packets.unsubscribe.error', 'packets.unsuback.sent',
  'packets.pingreq.received', 'packets.pingresp.sent', 'packets.disconnect.received', 'packets.disconnect.sent',
  'packets.auth.received', 'packets.auth.sent', 'messages.publish', 'messages.delivered', 'messages.acked',
  'messages.persisted', 'messages.dropped.await_pubrel_timeout', 'messages.forward', 'messages.delayed',
  'client.connect', 'client.connack', 'client.connected', 'client.authenticate', 'client.auth.anonymous',
  'client.authorize', 'client.subscribe', 'client.unsubscribe', 'client.disconnected', 'session.created',
  'session.resumed', 'session.takenover', 'session.discarded', 'session.terminated',
  'authorization.allow', 'authorization.deny', 'authorization.cache_hit', 'authorization.cache_miss',
  'authorization.superuser', 'authorization.matched.allow', 'authorization.matched.deny', 'authorization.nomatch',
  'authentication.success', 'authentication.success.anonymous', 'authentication.failure',
] as const;

/** EMQX's `packets.<type>.received|sent`, which the registry counts under a `type` label. */
const PACKETS_BY_TYPE = /^packets\.(\w+)\.(received|sent)$/;

/** EMQX's `/metrics` object for this node: every EMQX counter Starling has, by EMQX's name. */
export function metricsOf(metrics: MetricsReader): Record<string, number> {
  const answer: Record<string, number> = {};
  for (const [name, read] of EMQX_METRICS) {
    const value = read(metrics);
    if (value !== undefined) answer[name] = value;
  }
  const types = { received: typesOf(metrics, 'packets.received'), sent: typesOf(metrics, 'packets.sent') };
  for (const name of EMQX_SAME_NAMES) {
    const [, type, direction] = PACKETS_BY_TYPE.exec(name) ?? [];
    if (type !== undefined && types[direction as 'received' | 'sent'].has(type)) answer[name] = metrics.value(`packets.${direction}`, { type });
  }
  for (const name of EMQX_SAME_NAMES) {
    if (answer[name] !== undefined) continue;
    const family = metrics.family(name);
    if (family?.type === 'counter') answer[name] = family.samples.reduce((total, sample) => total + sample.value, 0);
  }
  return answer;
}

/** The packet types a `packets.received|sent` family has samples of. */
function typesOf(metrics: MetricsReader, name: string): Set<string> {
  return new Set(metrics.family(name)?.samples.map((sample) => sample.labels['type'] ?? '') ?? []);
}

function dropped(metrics: MetricsReader, reasons: readonly string[]): number {
  let total = 0;
  for (const reason of reasons) total += metrics.value('messages.dropped', { reason });
  return total;
}

export interface NodeInfo {
  node: string;
  node_status: 'running' | 'stopped';
  role: 'core' | 'replicant';
  version: string;
  edition: string;
  uptime: number;
  connections: number;
  live_connections: number;
  cluster_sessions: number;
  load1: number;
  load5: number;
  load15: number;
  max_fds?: number;
  memory_total: string;
  memory_used: string;
  node_version: string;
  process_rss: number;
  sys_path: string;
  log_path: string;
}

/** EMQX's node object for this broker. */
export function thisNode(live: LiveState, now = Date.now()): NodeInfo {
  const metrics = live.broker.metrics;
  const sessions = metrics.value('sessions.count');
  const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
  const fds = maxOpenFiles();
  return {
    node: live.broker.config.nodeName,
    node_status: live.broker.isRunning() ? 'running' : 'stopped',
    role: 'core',
    version: VERSION,
    edition: 'Opensource',
    uptime: now - live.startedAt,
    connections: sessions,
    live_connections: metrics.value('clients.connected'),
    cluster_sessions: sessions,
    load1: round2(load1),
    load5: round2(load5),
    load15: round2(load15),
    ...(fds === undefined ? {} : { max_fds: fds }),
    memory_total: humanBytes(totalmem()),
    memory_used: humanBytes(totalmem() - freemem()),
    node_version: process.version,
    process_rss: process.memoryUsage.rss(),
    sys_path: process.cwd(),
    log_path: 'standard output',
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** EMQX's memory figures: "512.00M", "1.50G". */
function humanBytes(bytes: number): string {
  const units = [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const;
  for (const [unit, size] of units) if (bytes >= size) return `${(bytes / size).toFixed(2)}${unit}`;
  return String(bytes);
}

/** The soft limit on open files (Linux /proc), or undefined where it cannot be read. */
function maxOpenFiles(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((candidate) => candidate.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || !/^\d+$/.test(soft) ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
