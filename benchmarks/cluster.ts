// `npm run bench:cluster`: cross-node traffic on a cluster (3 nats-servers with JetStream, 2 Starling nodes:
// publishers on node A, subscribers on node B) against one Starling node on the same machine. Reports
// deliveries/s, latency and messages per CPU-second of every process serving the load (Starling nodes and
// nats-servers together; the load generator excluded). Nothing is pinned: on 2 cores the cluster's five
// processes share them, so these figures measure overhead, not scale-out. Medians of --runs.
//
//   npm run bench:cluster -- [--runs N] [--duration S] [--rows a,b] [--json out.json] [--breakdown] [--cpu-prof DIR]
//                          [--targets single,cluster] [--logs DIR]
//
// --breakdown: per cluster row, where the CPU goes (each node and nats-server, user and system time) and how
// many NATS messages and bytes each MQTT message costs, read from /proc and the servers' /connz and /varz over
// the middle of the measured window. --cpu-prof DIR: the Starling nodes write V8 CPU profiles there.
// --logs DIR: each Starling process's log lines go to DIR/<target>-<pid>.log when it stops.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOptions, runScenario, type BenchOptions, type BenchResult } from '../src/loadgen/cli.js';
import { startNatsCluster, type NatsCluster } from '../test/helpers/nats-cluster.js';
import { startBrokerProcess, temporaryDataDir, type BrokerProcess } from '../test/helpers/broker-process.js';
import { median } from './statistics.js';

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
  /** Names for pids (breakdown). */
  labels: string[];
  /** The NATS cluster (cluster target). */
  nats?: NatsCluster;
  /** The Starling processes (their logs). */
  brokers: BrokerProcess[];
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
    labels: ['starling'],
    brokers: [node],
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
    labels: ['node A', 'node B', ...nats.servers.map((server) => `nats ${server.name}`)],
    nats,
    brokers: nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await nats.stop();
      for (const remove of removers) await remove();
    },
  };
}

interface Settings {
  runs: number;
  duration: number;
  rows: Row[];
  json: string | undefined;
  breakdown: boolean;
  cpuProf: string | undefined;
  targets: Array<'single' | 'cluster'>;
  logs: string | undefined;
}

function parseArguments(argv: string[]): Settings {
  const settings: Settings = { runs: 3, duration: 10, rows: ROWS, json: undefined, breakdown: false, cpuProf: undefined, targets: ['single', 'cluster'], logs: undefined };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[++index] ?? '';
    if (flag === '--breakdown') {
      settings.breakdown = true;
      index--;
    } else if (flag === '--cpu-prof') settings.cpuProf = value;
    else if (flag === '--logs') settings.logs = value;
    else if (flag === '--targets') settings.targets = value.split(',').filter((name): name is 'single' | 'cluster' => name === 'single' || name === 'cluster');
    else if (flag === '--runs') settings.runs = Number(value);
    else if (flag === '--duration') settings.duration = Number(value);
    else if (flag === '--json') settings.json = value;
    else if (flag === '--rows') {
      const wanted = value.split(',');
      const unknown = wanted.filter((id) => !ROWS.some((row) => row.id === id));
      if (unknown.length > 0) throw new Error(`unknown row(s) ${unknown.join(', ')}; rows: ${ROWS.map((row) => row.id).join(', ')}`);
      settings.rows = ROWS.filter((row) => wanted.includes(row.id));
    } else throw new Error(`unknown option ${flag}; usage: npm run bench:cluster -- [--runs N] [--duration S] [--rows a,b] [--json file] [--breakdown] [--cpu-prof DIR] [--targets single,cluster] [--logs DIR]`);
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

// --- breakdown: CPU per process and NATS traffic over a window inside the measured one -----------------

const CLOCK_TICKS_PER_SECOND = 100;

interface Counters {
  msgsIn: number;
  msgsOut: number;
  bytesIn: number;
  bytesOut: number;
}

interface Snapshot {
  at: number;
  /** [user, system] CPU seconds per pid, in target.pids order. */
  cpu: Array<[number, number]>;
  /** Per node connection name (starling-bench-a, ...), as the servers count them (in: from the node). */
  connections: Map<string, Counters>;
  /** Sum of every server's /varz (clients, routes and JetStream's own traffic). */
  servers: Counters;
}

function cpuOf(pid: number): [number, number] {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(fields[11]) / CLOCK_TICKS_PER_SECOND, Number(fields[12]) / CLOCK_TICKS_PER_SECOND];
  } catch {
    return [0, 0];
  }
}

async function snapshot(target: Target): Promise<Snapshot> {
  const cpu = target.pids.map(cpuOf);
  const connections = new Map<string, Counters>();
  const servers: Counters = { msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };
  const nats = target.nats;
  if (nats !== undefined) {
    for (let index = 0; index < nats.servers.length; index++) {
      const connz = (await nats.monitor(index, '/connz?limit=1024')) as { connections?: Array<{ name?: string; in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number }> };
      for (const connection of connz.connections ?? []) {
        if (connection.name === undefined) continue;
        const counters = connections.get(connection.name) ?? { msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0 };
        counters.msgsIn += connection.in_msgs;
        counters.msgsOut += connection.out_msgs;
        counters.bytesIn += connection.in_bytes;
        counters.bytesOut += connection.out_bytes;
        connections.set(connection.name, counters);
      }
      const varz = (await nats.monitor(index, '/varz')) as { in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number };
      servers.msgsIn += varz.in_msgs;
      servers.msgsOut += varz.out_msgs;
      servers.bytesIn += varz.in_bytes;
      servers.bytesOut += varz.out_bytes;
    }
  }
  return { at: performance.now(), cpu, connections, servers };
}

function difference(after: Counters, before: Counters | undefined): Counters {
  return {
    msgsIn: after.msgsIn - (before?.msgsIn ?? 0),
    msgsOut: after.msgsOut - (before?.msgsOut ?? 0),
    bytesIn: after.bytesIn - (before?.bytesIn ?? 0),
    bytesOut: after.bytesOut - (before?.bytesOut ?? 0),
  };
}

/** Runs the scenario, snapshotting from 4 s after its start to 1 s before its measured window ends. */
async function runWithBreakdown(options: BenchOptions, target: Target): Promise<{ result: BenchResult; lines: string[] }> {
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const windows = (async () => {
    await sleep(4000);
    const first = await snapshot(target);
    await sleep(Math.max(1000, (options.duration - 3) * 1000));
    return [first, await snapshot(target)] as const;
  })();
  const result = await runScenario(options);
  const [first, last] = await windows;
  const seconds = (last.at - first.at) / 1000;
  const published = result.sentPerSecond * seconds;
  const delivered = result.receivedPerSecond * seconds;
  const lines = [`  window ${seconds.toFixed(1)} s, ~${Math.round(published)} MQTT messages published, ~${Math.round(delivered)} delivered`];
  let total = 0;
  const perProcess = target.pids.map((_, index) => {
    const user = last.cpu[index]![0] - first.cpu[index]![0];
    const system = last.cpu[index]![1] - first.cpu[index]![1];
    total += user + system;
    return { user, system };
  });
  for (const [index, { user, system }] of perProcess.entries()) {
    lines.push(`  ${target.labels[index]!.padEnd(10)} ${(user + system).toFixed(2)} CPU-s (${Math.round((100 * (user + system)) / total)} %, system ${Math.round((100 * system) / Math.max(1e-9, user + system))} %), ${((1e6 * (user + system)) / delivered).toFixed(2)} µs per delivery`);
  }
  lines.push(`  total      ${total.toFixed(2)} CPU-s, ${((1e6 * total) / delivered).toFixed(2)} µs per delivery`);
  for (const [name, counters] of last.connections) {
    if (!name.startsWith('starling-')) continue;
    const delta = difference(counters, first.connections.get(name));
    lines.push(`  ${name}: to NATS ${(delta.msgsIn / published).toFixed(3)} msgs / ${(delta.bytesIn / published).toFixed(1)} B per published message, from NATS ${(delta.msgsOut / published).toFixed(3)} msgs / ${(delta.bytesOut / published).toFixed(1)} B`);
  }
  const servers = difference(last.servers, first.servers);
  lines.push(`  all servers: in ${(servers.msgsIn / published).toFixed(3)} msgs / ${(servers.bytesIn / published).toFixed(1)} B, out ${(servers.msgsOut / published).toFixed(3)} msgs / ${(servers.bytesOut / published).toFixed(1)} B per published message`);
  return { result, lines };
}

async function main(): Promise<void> {
  const settings = parseArguments(process.argv.slice(2));
  const readings = new Map<string, Reading[]>();
  const breakdowns: string[] = [];
  for (const start of settings.targets.map((name) => (name === 'single' ? startSingle : startCluster))) {
    // V8 profiles of the Starling processes started now (the environment reaches the children only).
    if (settings.cpuProf !== undefined) {
      const directory = join(settings.cpuProf, start === startSingle ? 'single' : 'cluster');
      mkdirSync(directory, { recursive: true });
      process.env['NODE_OPTIONS'] = `--import ${fileURLToPath(new URL('./cpu-profile.js', import.meta.url))}`;
      process.env['BENCH_CPU_PROF_DIR'] = directory;
    }
    const target = await start();
    delete process.env['NODE_OPTIONS'];
    delete process.env['BENCH_CPU_PROF_DIR'];
    if (settings.cpuProf !== undefined) process.stderr.write(`${target.name}: ${target.pids.map((pid, index) => `${target.labels[index]} pid ${pid}`).join(', ')}\n`);
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
          const key = `${row.id}/${target.name}`;
          let result: BenchResult;
          if (settings.breakdown) {
            const measured = await runWithBreakdown(options, target);
            result = measured.result;
            breakdowns.push(`${key} run ${run + 1}:`, ...measured.lines);
          } else {
            result = await runScenario(options);
          }
          readings.set(key, [...(readings.get(key) ?? []), read(result)]);
          process.stderr.write(`${key} run ${run + 1}: ${Math.round(result.receivedPerSecond)} deliveries/s, ${Math.round(result.broker?.messagesPerCpuSecond ?? 0)} per CPU-s, p50 ${result.latencyMilliseconds.p50.toFixed(2)} ms\n`);
        }
      }
    } finally {
      await target.stop();
      if (settings.logs !== undefined) {
        mkdirSync(settings.logs, { recursive: true });
        for (const broker of target.brokers) writeFileSync(join(settings.logs, `${target.name}-${broker.pid}.log`), broker.logs.map((line) => JSON.stringify(line)).join('\n'));
      }
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
  if (breakdowns.length > 0) process.stdout.write(`\n${breakdowns.join('\n')}\n`);
  if (settings.json !== undefined) writeFileSync(settings.json, JSON.stringify({ readings: Object.fromEntries(readings), medians }, null, 2));
}

await main();
