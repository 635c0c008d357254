// `npm run bench:cluster`: cross-node traffic on a cluster (3 nats-servers with JetStream, 2 Starling nodes:
// publishers on node A, subscribers on node B) against one Starling node on the same machine. Reports
// deliveries/s, latency and messages per CPU-second of every process serving the load (Starling nodes and
// nats-servers together; the load generator excluded). Nothing is pinned: on 2 cores the cluster's five
// processes share them, so these figures measure overhead, not scale-out. Medians of --runs.
//
//   npm run bench:cluster -- [--runs N] [--duration S] [--rows a,b] [--json out.json]

import { writeFileSync } from 'node:fs';
import { defaultOptions, runScenario, type BenchOptions, type BenchResult } from '../src/loadgen/cli.js';
import { startNatsCluster, type NatsCluster } from '../test/helpers/nats-cluster.js';
import { startBrokerProcess, temporaryDataDir, type BrokerProcess } from '../test/helpers/broker-process.js';

interface Row {
  id: string;
  title: string;
  options: Partial<BenchOptions> & Pick<BenchOptions, 'scenario'>;
}

const ROWS: Row[] = [
  { id: 'pairs-q0', title: '100 pairs QoS 0', options: { scenario: 'pairs', clients: 100, qos: 0 } },
  { id: 'pairs-q1', title: '100 pairs QoS 1', options: { scenario: 'pairs', clients: 100, qos: 1 } },
  { id: 'fanout-q0', title: 'fan-out 1 -> 100 QoS 0', options: { scenario: 'fanout', clients: 100, qos: 0 } },
  { id: 'latency-5k-q0', title: 'latency at 5k msg/s, 100 pairs QoS 0', options: { scenario: 'pairs', clients: 100, qos: 0, rate: 5000 } },
  { id: 'latency-5k-q1', title: 'latency at 5k msg/s, 100 pairs QoS 1', options: { scenario: 'pairs', clients: 100, qos: 1, rate: 5000 } },
];

interface Target {
  name: 'single' | 'cluster';
  publishPort: number;
  subscribePort: number;
  /** Every process serving the load; the first is the one the load generator reads too. */
  pids: number[];
  stop(): Promise<void>;
}

async function startSingle(): Promise<Target> {
  const { dataDir, remove } = await temporaryDataDir();
  const node = await startBrokerProcess(dataDir, ['--durability', 'memory']);
  return {
    name: 'single',
    publishPort: node.port,
    subscribePort: node.port,
    pids: [node.pid],
    async stop() {
      await node.stop();
      await remove();
    },
  };
}

async function startCluster(): Promise<Target> {
  const nats: NatsCluster = await startNatsCluster();
  const nodes: BrokerProcess[] = [];
  const removers: Array<() => Promise<void>> = [];
  for (const [index, name] of ['bench-a', 'bench-b'].entries()) {
    const { dataDir, remove } = await temporaryDataDir();
    removers.push(remove);
    const urls = [...nats.urls.slice(index), ...nats.urls.slice(0, index)];
    nodes.push(await startBrokerProcess(dataDir, [], { cluster: { nats: urls, node: name } }, 60_000));
  }
  const natsPids = nats.servers.map((server) => server.pid()!);
  return {
    name: 'cluster',
    publishPort: nodes[0]!.port,
    subscribePort: nodes[1]!.port,
    pids: [...nodes.map((node) => node.pid), ...natsPids],
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await nats.stop();
      for (const remove of removers) await remove();
    },
  };
}

function parseArguments(argv: string[]): { runs: number; duration: number; rows: Row[]; json: string | undefined } {
  const settings = { runs: 3, duration: 10, rows: ROWS, json: undefined as string | undefined };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[++index] ?? '';
    if (flag === '--runs') settings.runs = Number(value);
    else if (flag === '--duration') settings.duration = Number(value);
    else if (flag === '--json') settings.json = value;
    else if (flag === '--rows') {
      const wanted = value.split(',');
      const unknown = wanted.filter((id) => !ROWS.some((row) => row.id === id));
      if (unknown.length > 0) throw new Error(`unknown row(s) ${unknown.join(', ')}; rows: ${ROWS.map((row) => row.id).join(', ')}`);
      settings.rows = ROWS.filter((row) => wanted.includes(row.id));
    } else throw new Error(`unknown option ${flag}; usage: npm run bench:cluster -- [--runs N] [--duration S] [--rows a,b] [--json file]`);
  }
  return settings;
}

interface Reading {
  deliveries: number;
  perCpuSecond: number | undefined;
  p50: number;
  p99: number;
  lost: number;
}

function read(result: BenchResult): Reading {
  return {
    deliveries: result.receivedPerSecond,
    perCpuSecond: result.broker?.messagesPerCpuSecond,
    p50: result.latencyMilliseconds.p50,
    p99: result.latencyMilliseconds.p99,
    lost: result.lost,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const settings = parseArguments(process.argv.slice(2));
  const readings = new Map<string, Reading[]>();
  for (const start of [startSingle, startCluster]) {
    const target = await start();
    try {
      for (const row of settings.rows) {
        for (let run = 0; run < settings.runs; run++) {
          const options: BenchOptions = {
            ...defaultOptions(row.options.scenario),
            ...row.options,
            port: target.publishPort,
            subscriberPort: target.subscribePort,
            duration: settings.duration,
            warmup: 2,
            grace: 5,
            brokerPid: target.pids[0],
            alsoPids: target.pids.slice(1),
            clientIdPrefix: `${row.id}-${run}`,
            quiet: true,
          };
          const result = await runScenario(options);
          const key = `${row.id}/${target.name}`;
          readings.set(key, [...(readings.get(key) ?? []), read(result)]);
          process.stderr.write(`${key} run ${run + 1}: ${Math.round(result.receivedPerSecond)} deliveries/s, ${Math.round(result.broker?.messagesPerCpuSecond ?? 0)} per CPU-s, p50 ${result.latencyMilliseconds.p50.toFixed(2)} ms\n`);
        }
      }
    } finally {
      await target.stop();
    }
  }
  const lines = ['| row | target | deliveries/s | msg per CPU-s (all processes) | cluster/single per CPU-s | p50 ms | p99 ms | lost |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  const medians: Record<string, Record<string, number>> = {};
  for (const row of settings.rows) {
    for (const name of ['single', 'cluster']) {
      const runs = readings.get(`${row.id}/${name}`) ?? [];
      if (runs.length === 0) continue;
      const value = {
        deliveries: median(runs.map((reading) => reading.deliveries)),
        perCpuSecond: median(runs.map((reading) => reading.perCpuSecond ?? 0)),
        p50: median(runs.map((reading) => reading.p50)),
        p99: median(runs.map((reading) => reading.p99)),
        lost: median(runs.map((reading) => reading.lost)),
      };
      medians[`${row.id}/${name}`] = value;
      const single = medians[`${row.id}/single`];
      const ratio = name === 'cluster' && single !== undefined && single['perCpuSecond']! > 0 ? (value.perCpuSecond / single['perCpuSecond']!).toFixed(2) : '';
      lines.push(`| ${row.title} | ${name} | ${Math.round(value.deliveries).toLocaleString('en-US')} | ${Math.round(value.perCpuSecond).toLocaleString('en-US')} | ${ratio} | ${value.p50.toFixed(2)} | ${value.p99.toFixed(2)} | ${value.lost} |`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (settings.json !== undefined) writeFileSync(settings.json, JSON.stringify({ readings: Object.fromEntries(readings), medians }, null, 2));
}

await main();
