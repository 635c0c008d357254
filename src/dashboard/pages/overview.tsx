// The broker at a glance: node status, version, uptime, the cluster's nodes (GET /api/v5/nodes: a
// standalone broker is one), listeners, the figures of now (GET /api/v5/monitor_current) and charts of
// the last 15 minutes to 24 hours from the broker's own sample ring (GET /api/v5/monitor), so they are
// the same after a reload and for any range.

import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Chart } from '../components/chart.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { bytes, count, duration } from '../format.js';
import { useRequest } from '../hooks.js';
import { buildCharts, type ChartSpec, type Sample } from '../monitor.js';

interface NodeInfo {
  node: string;
  node_status: string;
  version: string;
  uptime: number;
  connections?: number;
  live_connections?: number;
  memory_used?: string | number;
  memory_total?: string | number;
  load1?: number;
  max_fds?: number;
  node_version?: string;
  process_rss?: number;
}

interface Listener {
  id: string;
  type: string;
  bind: string;
  running: boolean;
  current_connections?: number;
  max_connections?: number | string;
}

type Current = Record<string, number | null | undefined>;

const RANGES = [
  { label: '15 min', seconds: 900 },
  { label: '1 h', seconds: 3_600 },
  { label: '6 h', seconds: 6 * 3_600 },
  { label: '24 h', seconds: 86_400 },
] as const;
const REFRESH_MS = 5_000;

function formatterOf(unit: ChartSpec['unit']): (value: number) => string {
  switch (unit) {
    case 'bytes':
      return bytes;
    case 'bytes-rate':
      return (value) => `${bytes(value)}/s`;
    case 'rate':
      return (value) => `${count(value)}/s`;
    case 'ms':
      return (value) => `${count(value)} ms`;
    default:
      return count;
  }
}

export function OverviewPage() {
  const [range, setRange] = useState<number>(900);
  const nodes = useRequest(() => api.get<NodeInfo[]>('/nodes'), [], { every: REFRESH_MS * 2 });
  const listeners = useRequest(() => api.get<Listener[]>('/listeners'), [], { every: REFRESH_MS * 2 });
  const current = useRequest(() => api.get<Current>('/monitor_current'), [], { every: REFRESH_MS });
  const samples = useRequest((signal) => api.get<Sample[]>('/monitor', { latest: range }, signal), [range], { every: REFRESH_MS });
  const built = useMemo(() => buildCharts(samples.data ?? []), [samples.data]);
  const node = nodes.data?.[0];
  const now = current.data;
  return (
    <>
      <PageHeader title="Overview" />
      <ErrorNotice error={nodes.error} what="Node" />
      <section class="stat-grid" aria-label="Now">
        <Stat label="Status" value={node?.node_status ?? '–'} tone={node?.node_status === 'running' ? 'good' : undefined} />
        <Stat label="Version" value={node?.version ?? '–'} />
        <Stat label="Uptime" value={node === undefined ? '–' : duration(node.uptime / 1000)} />
        <Stat label="Connected clients" value={count(now?.['live_connections'] ?? node?.live_connections)} id="stat-connected" />
        <Stat label="Sessions" value={count(now?.['connections'] ?? node?.connections)} />
        <Stat label="Messages in/s" value={count(now?.['received_msg_rate'])} />
        <Stat label="Messages out/s" value={count(now?.['sent_msg_rate'])} />
        <Stat label="Dropped/s" value={count(now?.['dropped_msg_rate'])} />
        <Stat label="Bytes in/s" value={now?.['bytes_received_rate'] === undefined ? '–' : bytes(now['bytes_received_rate'])} />
        <Stat label="Bytes out/s" value={now?.['bytes_sent_rate'] === undefined ? '–' : bytes(now['bytes_sent_rate'])} />
        <Stat label="Subscriptions" value={count(now?.['subscriptions'])} />
        <Stat label="Topics" value={count(now?.['topics'])} />
        <Stat label="Retained" value={count(now?.['retained_msg_count'])} />
        {now?.['store_bytes'] !== undefined && now['store_bytes'] !== null ? <Stat label="Store size" value={bytes(now['store_bytes'])} /> : null}
        {typeof now?.['commit_latency_p99'] === 'number' ? <Stat label="Commit p99" value={`${count(now['commit_latency_p99'])} ms`} /> : null}
      </section>
      <ErrorNotice error={current.error} what="Current figures" />

      <section aria-labelledby="charts-title">
        <div class="section-head">
          <h2 id="charts-title">History</h2>
          <div role="group" aria-label="Time range" class="segmented">
            {RANGES.map((option) => (
              <button key={option.seconds} type="button" class="button plain small" aria-pressed={range === option.seconds} onClick={() => setRange(option.seconds)}>
                {option.label}
              </button>
            ))}
          </div>
        </div>
        <ErrorNotice error={samples.error} what="Charts" />
        {samples.data !== undefined && samples.data.length < 2 ? <Note>The broker samples every few seconds: the charts fill in as samples come.</Note> : null}
        <div class="chart-grid">
          {built.charts.map((chart) => (
            <Chart key={chart.spec.id} title={chart.spec.title} times={chart.times} series={chart.series} format={formatterOf(chart.spec.unit)} />
          ))}
        </div>
        {samples.data !== undefined && samples.data.length > 0 && built.missing.length > 0 ? <p class="hint">Not in this broker's samples: {built.missing.join(', ')}.</p> : null}
      </section>

      <section aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        <DataTable
          caption="Nodes"
          rows={nodes.data}
          loading={nodes.loading}
          rowKey={(entry) => entry.node}
          columns={[
            { key: 'node', label: 'Node', render: (entry) => (entry === node ? <>{entry.node} <span class="badge">this node</span></> : entry.node) },
            { key: 'node_status', label: 'Status', render: (entry) => <span class={`badge ${entry.node_status === 'running' ? 'good' : 'bad'}`}>{entry.node_status}</span> },
            { key: 'version', label: 'Version' },
            { key: 'uptime', label: 'Uptime', render: (entry) => (entry.node_status === 'running' ? duration(entry.uptime / 1000) : '–') },
            { key: 'live_connections', label: 'Connections', numeric: true, render: (entry) => count(entry.live_connections) },
            { key: 'connections', label: 'Sessions', numeric: true, render: (entry) => count(entry.connections) },
          ]}
        />
      </section>

      <section aria-labelledby="listeners-title">
        <h2 id="listeners-title">Listeners</h2>
        <ErrorNotice error={listeners.error} what="Listeners" />
        <DataTable
          caption="Listeners"
          rows={listeners.data}
          loading={listeners.loading}
          rowKey={(listener) => listener.id}
          columns={[
            { key: 'id', label: 'Listener' },
            { key: 'type', label: 'Type' },
            { key: 'bind', label: 'Address', render: (listener) => <code>{listener.bind}</code> },
            { key: 'running', label: 'Running', render: (listener) => (listener.running ? 'yes' : 'no') },
            { key: 'current_connections', label: 'Connections', numeric: true, render: (listener) => count(listener.current_connections) },
          ]}
        />
      </section>
      {node !== undefined ? (
        <section aria-labelledby="node-title">
          <h2 id="node-title">Node</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{node.node}</dd>
            {node.memory_used !== undefined ? (
              <>
                <dt>Memory</dt>
                <dd>
                  {typeof node.memory_used === 'number' ? bytes(node.memory_used) : node.memory_used}
                  {node.memory_total !== undefined ? ` of ${typeof node.memory_total === 'number' ? bytes(node.memory_total) : node.memory_total}` : ''}
                </dd>
              </>
            ) : null}
            {node.load1 !== undefined ? (
              <>
                <dt>Load (1 min)</dt>
                <dd>{node.load1}</dd>
              </>
            ) : null}
            {node.node_version !== undefined ? (
              <>
                <dt>Node.js</dt>
                <dd>{node.node_version}</dd>
              </>
            ) : null}
            {node.process_rss !== undefined ? (
              <>
                <dt>Broker process memory</dt>
                <dd>{bytes(node.process_rss)}</dd>
              </>
            ) : null}
            {node.max_fds !== undefined ? (
              <>
                <dt>File descriptors</dt>
                <dd>{count(node.max_fds)}</dd>
              </>
            ) : null}
          </dl>
        </section>
      ) : null}
    </>
  );
}

function Stat({ label, value, tone, id }: { label: string; value: string; tone?: 'good' | undefined; id?: string }) {
  return (
    <div class={`stat ${tone ?? ''}`} id={id}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
    </div>
  );
}
