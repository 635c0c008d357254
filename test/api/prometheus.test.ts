// The Prometheus endpoints against a real Prometheus (Debian's package, started here on a free port):
// /metrics and /api/v5/prometheus/stats, metrics_auth with an API key as Prometheus' basic_auth,
// promtool's lint of the exposition, and every expression of the Grafana dashboard answered with data
// while MQTT clients publish.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ClientPool, record } from '../helpers/client-pool.js';
import { Children } from '../helpers/interop.js';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';
import { PROMTOOL, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { waitFor } from '../helpers/wait.js';

/** contrib/grafana/starling.json, from dist/test/api/ (compiled) */
const DASHBOARD = fileURLToPath(new URL('../../../contrib/grafana/starling.json', import.meta.url));
/** EMQX's stats (GET /api/v5/stats) that are gauges named `*.count`: Starling keeps their names, which promtool's lint dislikes. */
const EMQX_COUNT_STATS = ['connections.count', 'live_connections.count', 'sessions.count', 'topics.count', 'subscriptions.count', 'subscriptions.shared.count', 'retained.count'];
/** What the test puts for Grafana's $__rate_interval: four scrape intervals, as Grafana's minimum is. */
const RATE_INTERVAL = '4s';

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function expressionsOf(panels: readonly Panel[]): Array<{ panel: string; expr: string }> {
  return panels.flatMap((panel) => [
    ...(panel.targets ?? []).filter((target) => target.expr !== undefined).map((target) => ({ panel: panel.title ?? '?', expr: target.expr! })),
    ...expressionsOf(panel.panels ?? []),
  ]);
}

describe('prometheus', () => {
  let open: ManagedBroker;
  let guarded: ManagedBroker;
  let apiKey: string;
  const children = new Children();

  before(async () => {
    open = await startManagedBroker({ durability: 'sync' });
    guarded = await startManagedBroker({ management: { listeners: [{ host: '127.0.0.1', port: 0 }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: true } });
    const made = await guarded.call('POST', '/api/v5/api_key', { token: await guarded.adminToken(), body: { name: 'prometheus', role: 'viewer' } });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    apiKey = `${made.body.api_key}:${made.body.api_secret}`;
  });
  after(async () => {
    await children.killAll();
    await open.close();
    await guarded.close();
  });

  test('prometheus - /metrics and /api/v5/prometheus/stats answer the text format; with metrics_auth only with credentials', async () => {
    for (const path of ['/metrics', '/api/v5/prometheus/stats', '/api/v5/prometheus/stats?mode=node']) {
      const answer = await open.call('GET', path);
      assert.equal(answer.status, 200, path);
      assert.equal(answer.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(answer.body, /^# TYPE starling_messages_received_total counter$/m);
      assert.match(answer.body, /^starling_messages_dropped_total\{reason="queue_full"\} 0$/m);
      assert.match(answer.body, /^process_cpu_seconds_total \d/m, 'prom-client\'s process metrics');
    }
    const badMode = await open.call('GET', '/api/v5/prometheus/stats?mode=cluster');
    assert.equal(badMode.status, 400);
    assert.match(badMode.body.message, /querystring\.mode: must be one of node, all_nodes_aggregated, all_nodes_unaggregated/);

    assert.equal((await guarded.call('GET', '/metrics')).body.code, 'AUTHORIZATION_HEADER_ERROR');
    assert.equal((await guarded.call('GET', '/metrics', { apiKey: `${apiKey.split(':')[0]}:wrong` })).status, 401);
    const scraped = await guarded.call('GET', '/metrics', { apiKey });
    assert.equal(scraped.status, 200);
    assert.match(scraped.body, /^starling_live_connections_count 0$/m);
    assert.equal((await guarded.call('GET', '/api/v5/prometheus/stats', { apiKey })).status, 200);
    assert.equal((await open.call('GET', '/api/v5/status')).status, 200, 'other public routes stay public');
  });

  test('prometheus - one registry: /metrics, /api/v5/metrics (EMQX names) and the library agree on packets by type and drops', async () => {
    const pool = new ClientPool(open.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'prometheus-agree' });
      await client.publishAsync('agree/nobody', 'x', { qos: 1 });
      await client.publishAsync('agree/nobody', 'y', { qos: 0 });
      await waitFor(() => open.broker.metrics.value('messages.dropped', { reason: 'no_subscribers' }) >= 2, 'both messages routed', 3000);
    } finally {
      await pool.closeAll();
    }
    const metrics = open.broker.metrics;
    const json = await open.call('GET', '/api/v5/metrics?aggregate=true', { token: await open.adminToken() });
    assert.equal(json.status, 200);
    const text = (await open.call('GET', '/metrics')).body as string;
    const exposed = (name: string, labels: string): number =>
      [...text.matchAll(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'gm'))].reduce((total, match) => total + Number(match[1]), 0);
    const publishes = metrics.value('packets.received', { type: 'publish' });
    assert.equal(json.body['packets.publish.received'], publishes);
    assert.equal(exposed('starling_packets_received_total', 'listener="[a-z]+",type="publish"'), publishes);
    const noSubscribers = metrics.value('messages.dropped', { reason: 'no_subscribers' });
    assert.ok(noSubscribers >= 2);
    assert.equal(json.body['messages.dropped.no_subscribers'], noSubscribers);
    assert.equal(exposed('starling_messages_dropped_total', 'reason="no_subscribers"'), noSubscribers);
  });

  test('prometheus - promtool check metrics: no finding but the _count suffix of the gauges named after EMQX\'s stats', async () => {
    const text = (await open.call('GET', '/metrics')).body as string;
    const exit = await children.start(PROMTOOL, ['check', 'metrics'], { stdin: text, timeoutMs: 15_000 }).exited;
    const findings = `${exit.stdout}${exit.stderr}`.split('\n').filter((line) => line.trim() !== '');
    const allowed = new Set(EMQX_COUNT_STATS.map((stat) => `starling_${stat.replaceAll('.', '_')} non-histogram and non-summary metrics should not have "_count" suffix`));
    assert.deepEqual(findings.filter((line) => !allowed.has(line)), [], `promtool exited ${exit.code}`);
    assert.ok(exit.code === 0 || (exit.code === 3 && findings.length > 0), `promtool exited ${exit.code ?? exit.signal}`);
  });

  test('prometheus - a real Prometheus scrapes all three endpoints; a message counter moves; every Grafana panel expression has data', async () => {
    const target = new URL(open.api).host;
    const prometheus: PrometheusServer = await startPrometheus([
      { job: 'starling', target },
      { job: 'starling_emqx_path', target, metricsPath: '/api/v5/prometheus/stats' },
      { job: 'starling_auth', target: new URL(guarded.api).host, basicAuth: { username: apiKey.split(':')[0]!, password: apiKey.split(':')[1]! } },
    ]);
    const pool = new ClientPool(open.url);
    let publishing: NodeJS.Timeout | undefined;
    try {
      const up = await prometheus.queryUntil('up == 1', (result) => result.length === 3, 'three targets up');
      assert.deepEqual(up.map((series) => series.metric['job']).sort(), ['starling', 'starling_auth', 'starling_emqx_path']);
      const before = Number((await prometheus.query('sum(starling_messages_received_total{job="starling"})'))[0]!.value[1]);

      // Traffic for every panel: QoS 0 and 1 to a persistent session (store commits), a retained
      // message, and a message nobody subscribed to (a drop by reason).
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'prometheus-sub', clean: false, properties: { sessionExpiryInterval: 300 } });
      const received = record(subscriber);
      await subscriber.subscribeAsync('load/#', { qos: 1 });
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'prometheus-pub' });
      await publisher.publishAsync('load/retained', 'kept', { qos: 1, retain: true });
      await publisher.publishAsync('nobody/listens', 'lost', { qos: 0 });
      let sent = 0;
      publishing = setInterval(() => {
        publisher.publish('load/1', String(sent++), { qos: 1 });
        publisher.publish('load/0', String(sent++), { qos: 0 });
      }, 20);
      await waitFor(() => received.length >= 10, 'ten messages delivered', 5000);

      const moved = await prometheus.queryUntil(`sum(starling_messages_received_total{job="starling"}) > ${before}`, (result) => result.length === 1, 'the message counter moved');
      assert.ok(Number(moved[0]!.value[1]) > before);

      const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; type: string }> } };
      assert.deepEqual(dashboard.templating.list.map((variable) => variable.name).sort(), ['datasource', 'instance', 'job']);
      const jobs = (await (await fetch(`${prometheus.url}/api/v1/label/job/values?match[]=starling_sessions_count`)).json()) as { data: string[] };
      assert.ok(jobs.data.includes('starling'), 'the job variable\'s query lists the job');

      const expressions = expressionsOf(dashboard.panels);
      assert.ok(expressions.length >= 20, `${expressions.length} expressions`);
      for (const { panel, expr } of expressions) {
        assert.ok(!expr.includes('[$__interval]') && (!expr.includes('rate(') || expr.includes('[$__rate_interval]')), `${panel}: rates over $__rate_interval`);
        const concrete = expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$job', 'starling').replaceAll('$instance', target);
        assert.doesNotMatch(concrete, /\$/, `${panel}: every variable replaced in ${concrete}`);
        await prometheus.queryUntil(concrete, (result) => result.length > 0, `data for panel "${panel}"`, 10_000);
      }
      // The figures behind the main panels are real, not just present.
      const inRate = await prometheus.query(`sum(rate(starling_messages_received_total{job="starling"}[${RATE_INTERVAL}]))`);
      assert.ok(Number(inRate[0]!.value[1]) > 0, 'messages in per second');
      await prometheus.queryUntil('sum(starling_store_commit_seconds_count{job="starling"}) > 0', (result) => result.length === 1, 'store commits counted');
      await prometheus.queryUntil('starling_messages_dropped_total{job="starling",reason="no_subscribers"} > 0', (result) => result.length === 1, 'the drop counted');
    } finally {
      if (publishing !== undefined) clearInterval(publishing);
      await pool.closeAll();
      await prometheus.stop();
    }
  });
});
