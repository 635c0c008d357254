// `npm run bench:durability`: what durability costs. QoS 1 publishes into N offline persistent sessions
// (every message queued N times and stored, as one record with its N deliveries, before its PUBACK), against Starling with `--durability sync`,
// `batched` and `memory`, and Mosquitto with `persistence true`, side by side; then 1M retained messages
// loaded at start and a wildcard subscribe over them.
//
// Mosquitto writes its persistence file only every `autosave_interval` seconds (default 1800) and at
// shutdown: its PUBACK promises nothing about disk, so it is closer to Starling's `memory` / `batched`
// than to `sync`.
//
// 100 publishers with 32 in flight each by default: enough offered load to keep the broker's CPU busy
// in `sync` mode, where each PUBACK waits for an fsync. With `--publishers 10` the 320 messages in flight
// all wait for the same commit, and `sync` measures the fsync round trip rather than throughput.
//
//   npm run bench:durability -- [--duration S] [--runs N] [--sessions N] [--publishers N] [--retained N] [--skip-retained]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { defaultOptions, runScenario } from '../src/loadgen/cli.js';
import { LmdbStore } from '../src/internal.js';
import { BROKER_CPU, LOAD_CPU, freePort, pinThisProcess } from './brokers.js';
import { median } from './statistics.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

type Target = 'starling-sync' | 'starling-batched' | 'starling-memory' | 'mosquitto-persistence';
const TARGETS: Target[] = ['starling-sync', 'starling-batched', 'starling-memory', 'mosquitto-persistence'];

interface Settings {
  duration: number;
  runs: number;
  sessions: number;
  publishers: number;
  retained: number;
  skipRetained: boolean;
}

function parseSettings(argv: string[]): Settings {
  const settings: Settings = { duration: 5, runs: 1, sessions: 10, publishers: 100, retained: 1_000_000, skipRetained: false };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const number = (): number => {
      const value = Number(argv[++index]);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} expects a positive number`);
      return value;
    };
    if (flag === '--duration') settings.duration = number();
    else if (flag === '--runs') settings.runs = number();
    else if (flag === '--sessions') settings.sessions = number();
    else if (flag === '--publishers') settings.publishers = number();
    else if (flag === '--retained') settings.retained = number();
    else if (flag === '--skip-retained') settings.skipRetained = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return settings;
}

interface Running {
  port: number;
  pid: number;
  logPath: string;
  stop(): Promise<void>;
}

/** Starts a broker pinned to one CPU (the load generator runs in this process) and waits until it accepts connections. */
async function startTarget(target: Target, directory: string): Promise<Running> {
  const port = await freePort();
  const logPath = path.join(directory, 'broker.log');
  const log = openSync(logPath, 'a');
  let command: string[];
  if (target === 'mosquitto-persistence') {
    const configuration = path.join(directory, 'mosquitto.conf');
    writeFileSync(
      configuration,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${directory}/`,
        'max_inflight_messages 0',
        'max_queued_messages 0', // 0: no limit on offline queues
        'log_type error',
        'set_tcp_nodelay true',
        '',
      ].join('\n'),
    );
    command = ['/usr/sbin/mosquitto', '-c', configuration];
  } else {
    const config = path.join(directory, 'starling.json');
    writeFileSync(config, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port }] }));
    command = [
      process.execPath, path.join(repositoryRoot, 'bin/starling.js'), 'start', '--config', config,
      '--port', String(port), '--host', '127.0.0.1', '--data-dir', path.join(directory, 'data'),
      '--durability', target.slice('starling-'.length), '--max-queued-messages', '100000000',
      '--log-level', 'info', '--log-pretty', 'false', '--sys-interval', '0',
    ];
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STARLING_')));
  const child: ChildProcess = spawn('taskset', ['-c', String(BROKER_CPU), ...command], { cwd: directory, stdio: ['ignore', log, log], env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${target} exited: ${readFileSync(logPath, 'utf8').slice(-500)}`);
    try {
      const probe = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
      await probe.endAsync();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${target} not ready after ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    pid: child.pid!,
    logPath,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** N MQTT 3.1.1 clean-session=false subscribers on bench/#, then offline: every publish is queued (and stored) N times. */
async function createOfflineSessions(port: number, sessions: number): Promise<void> {
  for (let index = 0; index < sessions; index++) {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4, clean: false, clientId: `durable-${index}`, reconnectPeriod: 0,
    });
    await client.subscribeAsync('bench/#', { qos: 1 });
    await client.endAsync();
  }
}

interface Measurement {
  target: Target;
  run: number;
  publishesPerSecond: number;
  storedPerSecond: number;
  /** PUBACKed publishes per second of broker CPU (all its threads): steadier than the rate on a shared machine; undefined when unreadable. */
  publishesPerCpuSecond: number | undefined;
  p99Milliseconds: number;
}

async function measure(target: Target, run: number, settings: Settings): Promise<Measurement> {
  const directory = mkdtempSync(path.join(tmpdir(), `starling-bench-durability-${target}-`));
  const broker = await startTarget(target, directory);
  try {
    await createOfflineSessions(broker.port, settings.sessions);
    const result = await runScenario({
      ...defaultOptions('pub'),
      port: broker.port,
      qos: 1,
      clients: settings.publishers,
      duration: settings.duration,
      warmup: 1,
      grace: 1,
      inflight: 32,
      topic: 'bench/%i',
      clientIdPrefix: `bench-durability-${process.pid}`,
      brokerPid: broker.pid,
      quiet: true,
    });
    return {
      target,
      run,
      publishesPerSecond: result.sentPerSecond,
      storedPerSecond: result.sentPerSecond * settings.sessions,
      publishesPerCpuSecond: result.broker?.messagesPerCpuSecond,
      p99Milliseconds: result.latencyMilliseconds.p99,
    };
  } finally {
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The median of the values that were measured; undefined when none was. */
function medianOf(values: Array<number | undefined>): number | undefined {
  const measured = values.filter((value): value is number => value !== undefined);
  return measured.length === 0 ? undefined : median(measured);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Fills a Starling store with `count` retained messages, starts `starling start` on it, times the load and a wildcard subscribe. */
async function retainedAtScale(count: number): Promise<void> {
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-bench-durability-retained-'));
  try {
    const writeStarted = Date.now();
    const store = new LmdbStore({ path: path.join(directory, 'data'), durability: 'batched', batchIntervalMs: 10 });
    await store.open('starling@bench');
    // Topics site/<0..999>/device/<0..count/1000>/temp: a filter on one device id matches 1000 of them.
    const devices = Math.ceil(count / 1000);
    for (let index = 0; index < count; index++) {
      const site = index % 1000;
      const device = Math.floor(index / 1000);
      store.retained.save({
        topic: `site/${site}/device/${device}/temp`, payload: Buffer.from(`${index}`), qos: 1, retain: true,
        properties: {}, from: 'bench', receivedAt: Date.now(), expiresAt: undefined,
      });
      if (index % 50_000 === 49_999) await new Promise((resolve) => setImmediate(resolve));
    }
    await store.close();
    const writeSeconds = (Date.now() - writeStarted) / 1000;

    const started = Date.now();
    const broker = await startTarget('starling-sync', directory);
    const readyMilliseconds = Date.now() - started;
    try {
      const loaded = readFileSync(broker.logPath, 'utf8').split('\n').filter((line) => line.includes('"store loaded"')).map((line) => JSON.parse(line) as { ms: number; retained: number }).at(-1);
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
      const device = Math.floor(devices / 2);
      let received = 0;
      let done: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (done = resolve));
      client.on('message', () => {
        if (++received === 1000) done();
      });
      const subscribeStarted = process.hrtime.bigint();
      await client.subscribeAsync(`site/+/device/${device}/temp`, { qos: 0 });
      const subackMilliseconds = Number(process.hrtime.bigint() - subscribeStarted) / 1e6;
      await all;
      const allMilliseconds = Number(process.hrtime.bigint() - subscribeStarted) / 1e6;
      await client.endAsync();
      console.log(`\nretained at scale (${integer.format(count)} messages, Starling sync):`);
      console.log(`  written with the store API in ${writeSeconds.toFixed(1)} s`);
      console.log(`  store loaded in ${loaded?.ms ?? '?'} ms (${integer.format(loaded?.retained ?? 0)} retained); process start to accepting connections ${readyMilliseconds} ms`);
      console.log(`  subscribe site/+/device/${device}/temp: SUBACK after ${subackMilliseconds.toFixed(1)} ms, all 1000 matches after ${allMilliseconds.toFixed(1)} ms`);
    } finally {
      await broker.stop();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  // Otherwise the load generator can run on the broker's CPU and take time from it.
  pinThisProcess(LOAD_CPU);
  console.log(
    `QoS 1 publishes into ${settings.sessions} offline persistent sessions (MQTT 3.1.1 clean=false on bench/#), ` +
      `${settings.publishers} publishers, 32 in flight each, ${settings.duration} s measured, ${settings.runs} run(s); broker on CPU ${BROKER_CPU}, load generator on CPU ${LOAD_CPU}`,
  );
  const measurements: Measurement[] = [];
  for (let run = 1; run <= settings.runs; run++) {
    for (const target of TARGETS) {
      try {
        const measurement = await measure(target, run, settings);
        measurements.push(measurement);
        console.log(`  run ${run} ${target}: ${integer.format(measurement.publishesPerSecond)} publishes/s`);
      } catch (error) {
        console.log(`  run ${run} ${target}: failed: ${(error as Error).message}`);
      }
    }
  }
  const medians = new Map<Target, Measurement>();
  for (const target of TARGETS) {
    const runs = measurements.filter((measurement) => measurement.target === target);
    if (runs.length === 0) continue;
    medians.set(target, {
      target,
      run: 0,
      publishesPerSecond: median(runs.map((m) => m.publishesPerSecond)),
      storedPerSecond: median(runs.map((m) => m.storedPerSecond)),
      publishesPerCpuSecond: medianOf(runs.map((m) => m.publishesPerCpuSecond)),
      p99Milliseconds: median(runs.map((m) => m.p99Milliseconds)),
    });
  }
  const memory = medians.get('starling-memory');
  const ratio = (value: number | undefined, base: number | undefined): string =>
    value === undefined || base === undefined || base === 0 ? '-' : (value / base).toFixed(2);
  console.log('\n| broker | PUBACKed publishes/s | deliveries queued/s | vs starling memory | publishes per broker CPU-second | vs starling memory |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [target, m] of medians) {
    console.log(
      `| ${target} | ${integer.format(m.publishesPerSecond)} | ${integer.format(m.storedPerSecond)} | ${ratio(m.publishesPerSecond, memory?.publishesPerSecond)} ` +
        `| ${m.publishesPerCpuSecond === undefined ? '-' : integer.format(m.publishesPerCpuSecond)} | ${ratio(m.publishesPerCpuSecond, memory?.publishesPerCpuSecond)} |`,
    );
  }
  const sync = medians.get('starling-sync')?.publishesPerSecond;
  const mosquitto = medians.get('mosquitto-persistence')?.publishesPerSecond;
  if (sync !== undefined && memory !== undefined) {
    console.log(`\nsync / memory = ${ratio(sync, memory.publishesPerSecond)} (target >= 0.70)`);
    console.log(`per broker CPU-second: sync / memory = ${ratio(medians.get('starling-sync')?.publishesPerCpuSecond, memory.publishesPerCpuSecond)}`);
  }
  if (sync !== undefined && mosquitto !== undefined) {
    console.log(`sync / mosquitto (persistence true, written every autosave_interval, not per message) = ${(sync / mosquitto).toFixed(2)}`);
  }
  if (!settings.skipRetained) await retainedAtScale(settings.retained);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
