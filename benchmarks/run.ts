// `npm run bench`: Starling against Mosquitto and Aedes, side by side. Each broker runs pinned to CPU 0,
// this load generator to CPU 1; brokers alternate run by run (A B C A B C ...), and the table shows medians.
// The latency-*-q* rows run the native probe (src/loadgen/native-probe.ts) on CPU 1 and also against
// floor-server on CPU 0: the "floor" column, what the probe and the kernel add on their own. The
// scrape-overhead row runs Starling alone, management off against on with a scrape every second. The
// rules rows run benchmarks/rules.ts; the cluster rows run benchmarks/cluster.ts (its own process, on
// every CPU: cross-node traffic against one node) when nats-server is installed.
//
//   npm run bench -- [--quick] [--runs N] [--duration S] [--scenarios a,b] [--brokers mosquitto,aedes,starling]
//                    [--nodelay default,on] [--settle-max S] [--settle-min S] [--json out.json]

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultOptions, runScenario, type BenchOptions, type BenchResult } from '../src/loadgen/cli.js';
import { buildNativeTools, runLatencyProbe, startFloorServer, type NativeTools, type ProbeResult } from '../src/loadgen/native-probe.js';
import { BROKERS, BROKER_CPU, LOAD_CPU, freePort, pinThisProcess, startBroker, type BrokerName } from './brokers.js';
import { DEFAULT_SETTLE_MAX_SECONDS, benchRows, type AnyBenchRow, type BenchRow, type ProbeRow, type ScrapeRow } from './rows.js';
import { runRulesBenchmark, rulesTable } from './rules.js';
import { startScraper, type ScrapeCount } from './scraper.js';
import { median } from './statistics.js';

/** The table's columns: the brokers, for probe rows the trivial floor-server, for the scrape row Starling scraped. */
type Target = BrokerName | 'floor' | 'starling+scrape';

interface RunSettings {
  quick: boolean;
  runs: number;
  duration: number;
  warmup: number;
  rows: AnyBenchRow[];
  brokers: BrokerName[];
  /** 'default': each broker's own socket setting (Nagle on for Mosquitto/Aedes); 'on': TCP_NODELAY on the broker too. */
  noDelayModes: ('default' | 'on')[];
  jsonPath?: string | undefined;
  /** The rule engine rows (benchmarks/rules.ts): Starling with no rules against 10 rules, and rule evaluations per core. */
  rules: boolean;
  /** The cluster rows (benchmarks/cluster.ts): two nodes on three nats-servers against one node. */
  cluster: boolean;
}

interface Measurement {
  row: string;
  broker: Target;
  noDelay: 'default' | 'on';
  run: number;
  result?: BenchResult | ProbeResult;
  /** One per metric of the row, in its order. */
  values?: (number | undefined)[];
  error?: string;
}

const USAGE = `Usage: npm run bench -- [options]
  --quick                 1 run of 3 s per row and broker (smoke test)
  --runs <n>              runs per broker and row (3)
  --duration <s>          measured seconds per run (10; quick 3)
  --scenarios <a,b>       rows to run: ${benchRows(false).map((row) => row.id).join(', ')}, rules, cluster
  --brokers <a,b>         brokers: ${BROKERS.join(', ')} (all)
  --nodelay <default,on>  broker TCP_NODELAY modes to compare (default,on; quick: default)
  --settle-max <s>        idle-connections: wait at most this long for the broker's RSS to settle
                          (no drop over 1 % for 10 s) before the settled reading (${DEFAULT_SETTLE_MAX_SECONDS}; 0: off)
  --settle-min <s>        idle-connections: but wait at least this long (0)
  --json <file>           write every measurement and the medians as JSON
`;

function parseSettings(argv: string[]): RunSettings | undefined {
  const quick = argv.includes('--quick');
  const settings: RunSettings = {
    quick,
    runs: quick ? 1 : 3,
    duration: quick ? 3 : 10,
    warmup: quick ? 1 : 2,
    rows: benchRows(quick),
    brokers: [...BROKERS],
    noDelayModes: quick ? ['default'] : ['default', 'on'],
    rules: true,
    cluster: true,
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = (): string => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--quick': break;
      case '--help': return undefined;
      case '--runs': settings.runs = Number(value()); break;
      case '--duration': settings.duration = Number(value()); break;
      case '--json': settings.jsonPath = value(); break;
      case '--scenarios': {
        const wanted = value().split(',');
        settings.rules = wanted.includes('rules');
        settings.cluster = wanted.includes('cluster');
        const unknown = wanted.filter((id) => id !== 'rules' && id !== 'cluster' && !settings.rows.some((row) => row.id === id));
        if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}`);
        settings.rows = settings.rows.filter((row) => wanted.includes(row.id));
        break;
      }
      case '--brokers': {
        const wanted = value().split(',');
        const unknown = wanted.filter((name) => !(BROKERS as readonly string[]).includes(name));
        if (unknown.length > 0) throw new Error(`unknown broker(s) ${unknown.join(', ')}`);
        settings.brokers = wanted as BrokerName[];
        break;
      }
      case '--nodelay': settings.noDelayModes = value().split(',') as ('default' | 'on')[]; break;
      case '--settle-max': for (const row of connectionRows(settings)) row.options.settleMax = seconds(flag!, value()); break;
      case '--settle-min': for (const row of connectionRows(settings)) row.options.settleMin = seconds(flag!, value()); break;
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return settings;
}

function connectionRows(settings: RunSettings): BenchRow[] {
  return settings.rows.filter((row): row is BenchRow => row.kind === 'loadgen' && row.options.scenario === 'conn');
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!(value >= 0)) throw new Error(`${flag} needs a number of seconds >= 0`);
  return value;
}

/** The median, or undefined for no values. */
function medianOrNone(values: number[]): number | undefined {
  return values.length === 0 ? undefined : median(values);
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '—';
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 3);
}

interface RowMeasurement {
  result: BenchResult | ProbeResult;
  values: (number | undefined)[];
}

async function measureRow(row: AnyBenchRow, target: Target, noDelay: 'default' | 'on', settings: RunSettings, tools: NativeTools | undefined): Promise<RowMeasurement> {
  if (row.kind === 'loadgen') {
    if (target === 'floor' || target === 'starling+scrape') throw new Error(`${target} is measured by its own rows only`);
    const result = await measure(row, target, noDelay, settings);
    return { result, values: row.metrics.map((metric) => metric.read(result)) };
  }
  if (row.kind === 'scrape') {
    const result = await measureScraped(row, target === 'starling+scrape', noDelay, settings);
    return { result, values: row.metrics.map((metric) => metric.read(result)) };
  }
  if (tools === undefined) throw new Error('probe row without native tools');
  const result = await measureWithProbe(row, target, noDelay, settings, tools);
  return { result, values: row.metrics.map((metric) => metric.read(result)) };
}

/** A broker, or floor-server, on a free port pinned to the broker CPU. */
async function startTarget(target: Target, noDelay: 'default' | 'on', tools: NativeTools): Promise<{ port: number; stop(): Promise<void> }> {
  if (target === 'floor') return startFloorServer(tools, BROKER_CPU);
  if (target === 'starling+scrape') throw new Error('starling+scrape is measured by the scrape row only');
  const port = await freePort();
  const broker = await startBroker(target, { port, noDelay: noDelay === 'on', cpu: BROKER_CPU });
  return { port, stop: () => broker.stop() };
}

async function measureWithProbe(row: ProbeRow, target: Target, noDelay: 'default' | 'on', settings: RunSettings, tools: NativeTools): Promise<ProbeResult> {
  const running = await startTarget(target, noDelay, tools);
  try {
    const result = await runLatencyProbe(tools, {
      port: running.port,
      ...row.probe,
      duration: settings.duration,
      warmup: settings.warmup,
      clientPrefix: `bench-${row.id}-${target}`,
      cpu: LOAD_CPU,
    });
    if (result.errors.length > 0) throw new Error(`latency-probe: ${result.errors.join('; ')}`);
    return result;
  } finally {
    await running.stop();
  }
}

/** `alongside`: started once the broker listens; what it returns is awaited before the broker stops. */
interface Alongside {
  starlingArguments: string[];
  start?: () => () => Promise<void>;
}

async function measure(row: BenchRow | ScrapeRow, broker: BrokerName, noDelay: 'default' | 'on', settings: RunSettings, alongside?: Alongside): Promise<BenchResult> {
  const port = await freePort();
  const running = await startBroker(broker, { port, noDelay: noDelay === 'on', cpu: BROKER_CPU, ...(alongside === undefined ? {} : { starlingArguments: alongside.starlingArguments }) });
  const stopAlongside = alongside?.start?.();
  try {
    const options: BenchOptions = {
      ...defaultOptions(row.options.scenario),
      port,
      duration: settings.duration,
      warmup: settings.warmup,
      quiet: true,
      ...row.options,
      brokerPid: running.pid,
      clientIdPrefix: `bench-${row.id}-${broker}`,
    };
    return await runScenario(options);
  } finally {
    await stopAlongside?.();
    await running.stop();
  }
}

/**
 * Starling with its management listener off, or on (a free port) with GET /metrics every interval for as
 * long as the broker runs; a scrape that fails fails the run.
 */
async function measureScraped(row: ScrapeRow, scraped: boolean, noDelay: 'default' | 'on', settings: RunSettings): Promise<BenchResult> {
  if (!scraped) return measure(row, 'starling', noDelay, settings, { starlingArguments: ['--management', 'false'] });
  const managementPort = await freePort();
  const management = JSON.stringify({ listeners: [{ host: '127.0.0.1', port: managementPort }] });
  let count: ScrapeCount | undefined;
  const result = await measure(row, 'starling', noDelay, settings, {
    starlingArguments: ['--management', management],
    start: () => {
      const scraper = startScraper(`http://127.0.0.1:${managementPort}/metrics`, row.scrapeIntervalMs);
      return async () => {
        count = await scraper.stop();
      };
    },
  });
  if (count === undefined || count.failures.length > 0 || count.scrapes === 0) {
    throw new Error(`scrapes: ${count?.scrapes ?? 0} answered, failed: ${count?.failures.slice(0, 3).join('; ') ?? 'none counted'}`);
  }
  return result;
}

/** Who a row is measured on: the brokers, plus floor-server for probe rows; Starling twice for the scrape row. */
function targetsOf(row: AnyBenchRow, settings: RunSettings): Target[] {
  if (row.kind === 'scrape') return settings.brokers.includes('starling') ? ['starling', 'starling+scrape'] : [];
  return row.kind === 'probe' ? [...settings.brokers, 'floor'] : settings.brokers;
}

function printTable(settings: RunSettings, measurements: Measurement[]): Record<string, unknown>[] {
  const medians: Record<string, unknown>[] = [];
  const scrapeRows = settings.brokers.includes('starling') && settings.rows.some((row) => row.kind === 'scrape');
  const targets: Target[] = [...settings.brokers, ...(settings.rows.some((row) => row.kind === 'probe') ? ['floor' as const] : []), ...(scrapeRows ? ['starling+scrape' as const] : [])];
  const versusMosquitto = settings.brokers.includes('starling') && settings.brokers.includes('mosquitto');
  const header = ['Scenario', 'Metric', ...targets, ...(versusMosquitto ? ['Starling/Mosquitto'] : []), ...(scrapeRows ? ['scraped/off'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const noDelay of settings.noDelayModes) {
    for (const row of settings.rows) {
      for (const [metricIndex, metric] of row.metrics.entries()) {
        const cells: string[] = [];
        const values = new Map<Target, number | undefined>();
        for (const broker of targets) {
          if (!targetsOf(row, settings).includes(broker)) {
            cells.push('—');
            continue;
          }
          const mine = measurements.filter((entry) => entry.row === row.id && entry.broker === broker && entry.noDelay === noDelay);
          const numbers = mine.flatMap((entry) => {
            const value = entry.values?.[metricIndex];
            return value === undefined ? [] : [value];
          });
          const value = medianOrNone(numbers);
          values.set(broker, value);
          const failures = mine.filter((entry) => entry.error !== undefined).length;
          cells.push(value === undefined && failures > 0 ? 'failed' : formatNumber(value) + (failures > 0 ? ` (${failures} failed)` : ''));
          medians.push({ row: row.id, noDelay, metric: metric.name, broker, median: value, runs: numbers.length, failures });
        }
        const ratio = (over: Target, under: Target, digits: number): string => {
          const top = values.get(over);
          const bottom = values.get(under);
          return metric.diagnostic !== true && top !== undefined && bottom !== undefined && bottom !== 0 ? `${(top / bottom).toFixed(digits)}×` : '—';
        };
        if (versusMosquitto) cells.push(row.kind === 'scrape' ? '—' : ratio('starling', 'mosquitto', 2));
        if (scrapeRows) cells.push(row.kind === 'scrape' ? ratio('starling+scrape', 'starling', 3) : '—');
        const title = settings.noDelayModes.length > 1 ? `${row.title} (broker nodelay ${noDelay})` : row.title;
        lines.push(`| ${title} | ${metric.name}${metric.higherIsBetter ? ' ↑' : ' ↓'} | ${cells.join(' | ')} |`);
      }
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return medians;
}

/** Builds the native probe when a probe row is selected; without a C compiler those rows run their Node fallback. */
function nativeToolsFor(settings: RunSettings): NativeTools | undefined {
  if (!settings.rows.some((row) => row.kind === 'probe')) return undefined;
  const built = buildNativeTools();
  if (built.tools !== undefined) return built.tools;
  process.stderr.write(`note: ${built.reason}; the latency-*-q* rows use the Node load path instead (no floor column)\n`);
  settings.rows = settings.rows.map((row) => (row.kind === 'probe' ? row.fallback : row));
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const settings = parseSettings(argv);
  if (settings === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  pinThisProcess(LOAD_CPU);
  const tools = nativeToolsFor(settings);
  const measurements: Measurement[] = [];
  for (const noDelay of settings.noDelayModes) {
    for (const row of settings.rows) {
      for (let run = 1; run <= settings.runs; run++) {
        for (const broker of targetsOf(row, settings)) {
          const label = `${row.id} ${broker} nodelay=${noDelay} run ${run}/${settings.runs}`;
          process.stderr.write(`${label} ... `);
          try {
            const { result, values } = await measureRow(row, broker, noDelay, settings, tools);
            measurements.push({ row: row.id, broker, noDelay, run, result, values });
            const summary = row.metrics.map((metric, index) => `${metric.name} ${formatNumber(values[index])}`).join(', ');
            process.stderr.write(`${summary}\n`);
          } catch (error) {
            const message = (error as Error).message;
            measurements.push({ row: row.id, broker, noDelay, run, error: message });
            process.stderr.write(`failed: ${message}\n`);
          }
        }
      }
    }
  }
  const medians = settings.rows.length > 0 ? printTable(settings, measurements) : [];
  if (settings.rules && settings.brokers.includes('starling')) {
    const rules = await runRulesBenchmark({ runs: Math.max(settings.runs, settings.quick ? 1 : 5), duration: settings.duration, warmup: settings.warmup });
    process.stdout.write(`\n${rulesTable(rules)}\n`);
    medians.push({ row: 'rules-q0', noRules: rules.none, tenRules: rules.ten, evaluation: rules.evaluation, evaluationDistinct: rules.evaluationDistinct });
  }
  if (settings.cluster && settings.brokers.includes('starling')) runClusterRows(settings);
  if (settings.jsonPath !== undefined) {
    writeFileSync(settings.jsonPath, `${JSON.stringify({ settings: { ...settings, rows: settings.rows.map((row) => row.id) }, medians, measurements }, null, 2)}\n`);
  }
  return 0;
}

/**
 * The cluster rows, printed by benchmarks/cluster.ts itself. Unpinned (this process is pinned to the load
 * CPU, and its children would inherit that): the five serving processes share every CPU, as that script says.
 */
function runClusterRows(settings: RunSettings): void {
  if (spawnSync('nats-server', ['--version']).status !== 0) {
    process.stdout.write('\nCluster rows not run: nats-server is not installed (apt-get install nats-server).\n');
    return;
  }
  const script = fileURLToPath(new URL('./cluster.js', import.meta.url));
  const everyCpu = `0-${cpus().length - 1}`;
  process.stdout.write('\n');
  const result = spawnSync('taskset', ['-c', everyCpu, process.execPath, script, '--runs', String(settings.runs), '--duration', String(settings.duration)], { stdio: 'inherit' });
  if (result.status !== 0) process.stdout.write(`Cluster rows failed (exit ${result.status ?? result.signal}).\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run bench: ${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  },
);
