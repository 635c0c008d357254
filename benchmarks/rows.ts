// The rows of `npm run bench`: which load each row runs and which numbers it reports. Most rows run the Node
// load generator (src/loadgen); the latency-*-q* rows run the native probe (native/latency-probe.c).

import type { BenchOptions, BenchResult } from '../src/loadgen/cli.js';
import type { ProbeResult } from '../src/loadgen/native-probe.js';

export interface Metric<Result = BenchResult> {
  name: string;
  /** Whether a bigger number is better, for reading the ratio column. */
  higherIsBetter: boolean;
  /** About the measurement rather than the broker: no Starling/Mosquitto ratio. */
  diagnostic?: boolean;
  read(result: Result): number | undefined;
}

/** A row measured with the Node load generator. */
export interface BenchRow {
  kind: 'loadgen';
  id: string;
  title: string;
  options: Partial<BenchOptions> & Pick<BenchOptions, 'scenario'>;
  metrics: Metric[];
}

/** A row measured with the native latency probe, also run against floor-server (the "floor" column). */
export interface ProbeRow {
  kind: 'probe';
  id: string;
  title: string;
  probe: { pairs: number; rate: number; qos: 0 | 1 };
  metrics: Metric<ProbeResult>[];
  /** What runs instead when there is no C compiler: the same load through the Node load generator. */
  fallback: BenchRow;
}

/**
 * A row measuring Starling against itself: the management listener off (the `starling` column), and on
 * with a Prometheus-style GET /metrics every second during the whole run (`starling+scrape`).
 */
export interface ScrapeRow extends Omit<BenchRow, 'kind'> {
  kind: 'scrape';
  /** Milliseconds between scrapes. */
  scrapeIntervalMs: number;
}

export type AnyBenchRow = BenchRow | ProbeRow | ScrapeRow;

const deliveries: Metric = { name: 'deliveries/s', higherIsBetter: true, read: (result) => result.receivedPerSecond };
const cpuEfficiency: Metric = {
  name: 'msg per broker CPU-s',
  higherIsBetter: true,
  read: (result) => result.broker?.messagesPerCpuSecond,
};
const lost: Metric = { name: 'lost (QoS>=1) / dropped', higherIsBetter: false, read: (result) => result.lost };
const throughput = [deliveries, cpuEfficiency, lost];

/** Seconds the idle-connections row waits at most for the broker's RSS to settle (`--settle-max`). */
export const DEFAULT_SETTLE_MAX_SECONDS = 60;

const PROBE_PAIRS = 100;

function probeRow(rate: number, qos: 0 | 1): ProbeRow {
  const id = `latency-${rate / 1000}k-q${qos}`;
  const title = `latency at ${rate / 1000}k msg/s (${PROBE_PAIRS} pairs QoS ${qos})`;
  const fallbackMetric = (name: string, read: (result: BenchResult) => number): Metric => ({ name, higherIsBetter: false, read: (result) => read(result) * 1000 });
  return {
    kind: 'probe',
    id,
    title: `${title}, native probe`,
    probe: { pairs: PROBE_PAIRS, rate, qos },
    metrics: [
      { name: 'p50 µs', higherIsBetter: false, read: (result) => result.latencyMicroseconds.p50 },
      { name: 'p99 µs', higherIsBetter: false, read: (result) => result.latencyMicroseconds.p99 },
      { name: 'p99.9 µs', higherIsBetter: false, read: (result) => result.latencyMicroseconds.p999 },
      { name: 'lost (QoS 1) / dropped', higherIsBetter: false, read: (result) => result.lost },
      // How far the figures above can be trusted: the probe's own lateness and the times it did not run.
      { name: 'probe schedule lag p99 µs', higherIsBetter: false, diagnostic: true, read: (result) => result.scheduleLagMicroseconds.p99 },
      { name: 'probe stalls > 1 ms', higherIsBetter: false, diagnostic: true, read: (result) => result.probeStalls.over1Millisecond },
    ],
    fallback: {
      kind: 'loadgen',
      id,
      title: `${title}, Node load path (no C compiler)`,
      options: { scenario: 'pairs', clients: PROBE_PAIRS, qos, rate },
      metrics: [
        fallbackMetric('p50 µs', (result) => result.latencyMilliseconds.p50),
        fallbackMetric('p99 µs', (result) => result.latencyMilliseconds.p99),
        fallbackMetric('p99.9 µs', (result) => result.latencyMilliseconds.p999),
        lost,
      ],
    },
  };
}

export function benchRows(quick: boolean): AnyBenchRow[] {
  return [
    { kind: 'loadgen', id: 'pairs-q0', title: '100 pairs QoS 0', options: { scenario: 'pairs', clients: 100, qos: 0 }, metrics: throughput },
    { kind: 'loadgen', id: 'pairs-q1', title: '100 pairs QoS 1', options: { scenario: 'pairs', clients: 100, qos: 1 }, metrics: throughput },
    { kind: 'loadgen', id: 'pairs-q2', title: '100 pairs QoS 2', options: { scenario: 'pairs', clients: 100, qos: 2 }, metrics: throughput },
    {
      kind: 'loadgen',
      id: 'pairs-q1-v5',
      title: '100 pairs QoS 1 MQTT 5',
      options: { scenario: 'pairs', clients: 100, qos: 1, protocolVersion: 5 },
      metrics: throughput,
    },
    { kind: 'loadgen', id: 'fanin-q0', title: '50→1 fan-in QoS 0', options: { scenario: 'fanin', clients: 50, qos: 0 }, metrics: throughput },
    { kind: 'loadgen', id: 'fanin-q1', title: '50→1 fan-in QoS 1', options: { scenario: 'fanin', clients: 50, qos: 1 }, metrics: throughput },
    { kind: 'loadgen', id: 'fanout-q0', title: '1→100 fan-out QoS 0', options: { scenario: 'fanout', clients: 100, qos: 0 }, metrics: throughput },
    { kind: 'loadgen', id: 'fanout-q1', title: '1→1000 fan-out QoS 1', options: { scenario: 'fanout', clients: 1000, qos: 1 }, metrics: throughput },
    {
      kind: 'loadgen',
      id: 'latency-20k',
      title: 'latency at 20k msg/s (100 pairs QoS 1), Node load path',
      options: { scenario: 'pairs', clients: 100, qos: 1, rate: 20_000 },
      metrics: [
        { name: 'p50 ms', higherIsBetter: false, read: (result) => result.latencyMilliseconds.p50 },
        { name: 'p99 ms', higherIsBetter: false, read: (result) => result.latencyMilliseconds.p99 },
        { name: 'p99.9 ms', higherIsBetter: false, read: (result) => result.latencyMilliseconds.p999 },
      ],
    },
    {
      kind: 'scrape',
      id: 'scrape-overhead',
      title: '100 pairs QoS 1, management off vs on with a scrape every second',
      options: { scenario: 'pairs', clients: 100, qos: 1 },
      metrics: [deliveries, cpuEfficiency, lost],
      scrapeIntervalMs: 1000,
    },
    probeRow(20_000, 0),
    probeRow(20_000, 1),
    probeRow(50_000, 0),
    probeRow(50_000, 1),
    {
      kind: 'loadgen',
      id: 'idle-connections',
      title: `${quick ? '5k' : '19k'} idle connections`,
      // 32 in flight stays inside Mosquitto's listen backlog of 100: past it, dropped SYNs come back after 1 s.
      options: { scenario: 'conn', clients: quick ? 5_000 : 19_000, hold: 2, connectConcurrency: 32, settleMax: DEFAULT_SETTLE_MAX_SECONDS },
      metrics: [
        { name: 'connections/s', higherIsBetter: true, read: (result) => result.connect.perSecond },
        {
          name: 'broker CPU µs/connection',
          higherIsBetter: false,
          read: (result) => result.broker?.cpuMicrosecondsPerConnection,
        },
        {
          name: 'load generator CPU µs/connection',
          higherIsBetter: false,
          read: (result) => (result.connect.opened === 0 ? undefined : (result.connect.loadGeneratorCpuSeconds * 1e6) / result.connect.opened),
        },
        { name: 'RSS bytes/connection right after connecting', higherIsBetter: false, read: (result) => result.broker?.residentBytesPerConnection },
        {
          name: 'RSS bytes/connection settled',
          higherIsBetter: false,
          read: (result) => result.broker?.residentBytesSettledPerConnection,
        },
        { name: 'failed connections', higherIsBetter: false, read: (result) => result.connect.failed },
      ],
    },
  ];
}
