// `npm run bench:trace`: what packet tracing costs the publish path. The same `pairs` load (QoS 1,
// publisher i -> subscriber i on bench/i) against a `starling start` child process:
//   - baseline: another built checkout given with --baseline DIR (the commit before tracing existed),
//   - no trace: this build, no trace running (the case that must cost nothing),
//   - topic trace: this build with a topic trace on a topic nobody uses, which follows every client,
//     so every packet in and out passes its tracer and is filtered out (the cost while one runs).
// Runs are interleaved (the order rotates), so drift on a shared machine does not favour one. Two
// figures per run: deliveries per second, and deliveries per broker CPU-second (from /proc), which
// moves less when other processes take the CPU away.
//
//   npm run bench:trace -- [--baseline DIR] [--runs N] [--duration S] [--clients N]

import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sendAdminRequest } from '../src/admin/client.js';
import { defaultOptions, runScenario } from '../src/loadgen/cli.js';
import { BROKER_CPU, LOAD_CPU, freePort, pinThisProcess, startBroker } from './brokers.js';
import { median } from './statistics.js';

type Variant = 'baseline' | 'no trace' | 'topic trace';

interface Settings {
  baseline: string | undefined;
  runs: number;
  duration: number;
  clients: number;
}

function parseSettings(argv: string[]): Settings {
  const settings: Settings = { baseline: undefined, runs: 3, duration: 5, clients: 20 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = argv[++index];
    if (value === undefined) throw new Error(`${flag} expects a value`);
    if (flag === '--baseline') {
      settings.baseline = path.resolve(value);
      continue;
    }
    const number = Number(value);
    if (!Number.isInteger(number) || number <= 0) throw new Error(`${flag} expects a positive integer`);
    if (flag === '--runs') settings.runs = number;
    else if (flag === '--duration') settings.duration = number;
    else if (flag === '--clients') settings.clients = number;
    else throw new Error(`unknown option ${flag}`);
  }
  return settings;
}

interface Reading {
  perSecond: number;
  perCpuSecond: number;
}

async function measure(variant: Variant, settings: Settings): Promise<Reading> {
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-bench-trace-'));
  const socket = path.join(directory, 'admin.sock');
  const port = await freePort();
  const broker = await startBroker('starling', {
    port,
    noDelay: true,
    cpu: BROKER_CPU,
    starlingArguments: variant === 'topic trace' ? ['--admin-socket', socket, '--data-dir', directory] : ['--data-dir', directory],
    ...(variant === 'baseline' ? { starlingRoot: settings.baseline! } : {}),
  });
  try {
    if (variant === 'topic trace') {
      const answer = await sendAdminRequest(socket, { method: 'POST', path: '/api/v5/trace', body: { name: 'bench', type: 'topic', topic: 'nobody/uses/this', end_at: Math.floor(Date.now() / 1000) + 3600 } });
      if (answer.status !== 200) throw new Error(`trace not started: ${JSON.stringify(answer.body)}`);
    }
    const result = await runScenario({
      ...defaultOptions('pairs'),
      port,
      qos: 1,
      inflight: 32,
      clients: settings.clients,
      duration: settings.duration,
      warmup: 1,
      grace: 5,
      clientIdPrefix: `bench-trace-${process.pid}`,
      brokerPid: broker.pid,
      quiet: true,
    });
    if (result.connect.failed > 0) throw new Error(`${result.connect.failed} connections failed: ${result.connect.firstError ?? ''}`);
    if (result.lost > 0) throw new Error(`${result.lost} messages lost`);
    const perCpuSecond = result.broker?.messagesPerCpuSecond;
    if (perCpuSecond === undefined) throw new Error('no broker CPU reading (is /proc readable?)');
    return { perSecond: result.receivedPerSecond, perCpuSecond };
  } finally {
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  pinThisProcess(LOAD_CPU);
  const variants: Variant[] = settings.baseline === undefined ? ['no trace', 'topic trace'] : ['baseline', 'no trace', 'topic trace'];
  const results = new Map<Variant, Reading[]>(variants.map((variant) => [variant, []]));
  for (let run = 0; run < settings.runs; run++) {
    // Rotate the order each run, so drift (other load, thermal) does not favour one variant.
    const order = variants.map((_, index) => variants[(index + run) % variants.length]!);
    for (const variant of order) {
      const reading = await measure(variant, settings);
      results.get(variant)!.push(reading);
      process.stderr.write(`run ${run + 1}: ${variant}: ${integer.format(reading.perSecond)} msg/s delivered, ${integer.format(reading.perCpuSecond)} per broker CPU-second\n`);
    }
  }
  const medianOf = (variant: Variant, field: keyof Reading): number => median(results.get(variant)!.map((reading) => reading[field]));
  console.log(`pairs, QoS 1 (32 in flight), ${settings.clients} pairs, ${settings.duration} s x ${settings.runs} run(s) interleaved, medians, broker on CPU ${BROKER_CPU}`);
  console.log(`  ${'variant'.padEnd(12)} ${'msg/s'.padStart(10)} ${'ratio'.padStart(6)} ${'msg/CPU-s'.padStart(10)} ${'ratio'.padStart(6)}`);
  for (const variant of variants) {
    const perSecond = medianOf(variant, 'perSecond');
    const perCpuSecond = medianOf(variant, 'perCpuSecond');
    console.log(
      `  ${variant.padEnd(12)} ${integer.format(perSecond).padStart(10)} ${(perSecond / medianOf('no trace', 'perSecond')).toFixed(3).padStart(6)} ` +
        `${integer.format(perCpuSecond).padStart(10)} ${(perCpuSecond / medianOf('no trace', 'perCpuSecond')).toFixed(3).padStart(6)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
