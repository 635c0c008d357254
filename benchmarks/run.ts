// `npm run bench`: Starling against Mosquitto and Aedes, side by side. Each broker runs pinned to CPU 0,
// this load generator to CPU 1; brokers alternate run by run (A B C A B C ...), and the table shows medians.
//
//   npm run bench -- [--quick] [--runs N] [--duration S] [--scenarios a,b] [--brokers mosquitto,aedes,starling]
//                    [--nodelay default,on] [--settle-max S] [--settle-min S] [--json out.json]

import { writeFileSync } from 'node:fs';
import { defaultOptions, runScenario, type BenchOptions, type BenchResult } from '../src/loadgen/cli.js';
import { BROKERS, BROKER_CPU, LOAD_CPU, freePort, pinThisProcess, startBroker, type BrokerName } from './brokers.js';
import { DEFAULT_SETTLE_MAX_SECONDS, benchRows, type BenchRow } from './rows.js';

interface RunSettings {
  quick: boolean;
  runs: number;
  duration: number;
  warmup: number;
  rows: BenchRow[];
  brokers: BrokerName[];
  /** 'default': each broker's own socket setting (Nagle on for Mosquitto/Aedes); 'on': TCP_NODELAY on the broker too. */
  noDelayModes: ('default' | 'on')[];
  jsonPath?: string | undefined;
}

interface Measurement {
  row: string;
  broker: BrokerName;
  noDelay: 'default' | 'on';
  run: number;
  result?: BenchResult;
  error?: string;
}

const USAGE = `Usage: npm run bench -- [options]
  --quick                 1 run of 3 s per row and broker (smoke test)
  --runs <n>              runs per broker and row (3)
  --duration <s>          measured seconds per run (10; quick 3)
  --scenarios <a,b>       rows to run: ${benchRows(false).map((row) => row.id).join(', ')}
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
        const unknown = wanted.filter((id) => !settings.rows.some((row) => row.id === id));
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
  return settings.rows.filter((row) => row.options.scenario === 'conn');
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!(value >= 0)) throw new Error(`${flag} needs a number of seconds >= 0`);
  return value;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '—';
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 3);
}

async function measure(row: BenchRow, broker: BrokerName, noDelay: 'default' | 'on', settings: RunSettings): Promise<BenchResult> {
  const port = await freePort();
  const running = await startBroker(broker, { port, noDelay: noDelay === 'on', cpu: BROKER_CPU });
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
    await running.stop();
  }
}

function printTable(settings: RunSettings, measurements: Measurement[]): Record<string, unknown>[] {
  const medians: Record<string, unknown>[] = [];
  const header = ['Scenario', 'Metric', ...settings.brokers, ...(settings.brokers.includes('starling') && settings.brokers.includes('mosquitto') ? ['Starling/Mosquitto'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const noDelay of settings.noDelayModes) {
    for (const row of settings.rows) {
      for (const metric of row.metrics) {
        const cells: string[] = [];
        const values = new Map<BrokerName, number | undefined>();
        for (const broker of settings.brokers) {
          const mine = measurements.filter((entry) => entry.row === row.id && entry.broker === broker && entry.noDelay === noDelay);
          const numbers = mine.flatMap((entry) => {
            const value = entry.result === undefined ? undefined : metric.read(entry.result);
            return value === undefined ? [] : [value];
          });
          const value = median(numbers);
          values.set(broker, value);
          const failures = mine.filter((entry) => entry.error !== undefined).length;
          cells.push(value === undefined && failures > 0 ? 'failed' : formatNumber(value) + (failures > 0 ? ` (${failures} failed)` : ''));
          medians.push({ row: row.id, noDelay, metric: metric.name, broker, median: value, runs: numbers.length, failures });
        }
        if (header.length > settings.brokers.length + 2) {
          const starling = values.get('starling');
          const mosquitto = values.get('mosquitto');
          cells.push(starling === undefined || mosquitto === undefined || mosquitto === 0 ? '—' : `${(starling / mosquitto).toFixed(2)}×`);
        }
        const title = settings.noDelayModes.length > 1 ? `${row.title} (broker nodelay ${noDelay})` : row.title;
        lines.push(`| ${title} | ${metric.name}${metric.higherIsBetter ? ' ↑' : ' ↓'} | ${cells.join(' | ')} |`);
      }
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return medians;
}

async function main(argv: string[]): Promise<number> {
  const settings = parseSettings(argv);
  if (settings === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  pinThisProcess(LOAD_CPU);
  const measurements: Measurement[] = [];
  for (const noDelay of settings.noDelayModes) {
    for (const row of settings.rows) {
      for (let run = 1; run <= settings.runs; run++) {
        for (const broker of settings.brokers) {
          const label = `${row.id} ${broker} nodelay=${noDelay} run ${run}/${settings.runs}`;
          process.stderr.write(`${label} ... `);
          try {
            const result = await measure(row, broker, noDelay, settings);
            measurements.push({ row: row.id, broker, noDelay, run, result });
            const summary = row.metrics.map((metric) => `${metric.name} ${formatNumber(metric.read(result))}`).join(', ');
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
  const medians = printTable(settings, measurements);
  if (settings.jsonPath !== undefined) {
    writeFileSync(settings.jsonPath, `${JSON.stringify({ settings: { ...settings, rows: settings.rows.map((row) => row.id) }, medians, measurements }, null, 2)}\n`);
  }
  return 0;
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
