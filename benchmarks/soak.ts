// `npm run soak`: is Starling's memory flat under a steady load? Starts Starling pinned to CPU 0 (as
// `npm run bench` does), runs a fixed mixed load from CPU 1 for --duration seconds, samples the broker's memory
// every few seconds, and fails (exit 1) when it grew past the limits between the end of the warm-up and the end.
//
//   npm run soak -- [--duration 600] [--warmup-fraction 0.2] [--interval 5] [--max-growth 10]
//                   [--max-slope 0.5] [--rate 1000] [--snapshots DIR] [--json out.json]
//
// The load: 50 QoS 0 pairs and 50 QoS 1 pairs at --rate msg/s each, a QoS 1 fan-out (1 -> 50 subscribers at
// --rate / 50 msg/s), and the churn of benchmarks/soak-churn.ts (persistent sessions going offline and back, retained
// messages set and cleared, fresh clean clients with wills) four times a second.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultOptions, runScenario, type BenchOptions, type BenchResult } from '../src/loadgen/cli.js';
import { BROKER_CPU, LOAD_CPU, freePort, pinThisProcess, startBroker, type RunningBroker } from './brokers.js';
import { ChurnLoad, type ChurnTotals } from './soak-churn.js';
import { SysTopicReader, growthAfterWarmup, sampleBroker, type Growth, type MemorySample } from './soak-memory.js';

interface SoakSettings {
  durationSeconds: number;
  warmupFraction: number;
  intervalSeconds: number;
  /** Fail when resident memory grew more than this many MB after the warm-up... */
  maxGrowthMegabytes: number;
  /** ...or its regression slope after the warm-up is steeper than this many MB per minute. */
  maxSlopeMegabytesPerMinute: number;
  rate: number;
  snapshotDirectory?: string | undefined;
  jsonPath?: string | undefined;
  /** Starling's durability mode (memory, as in `npm run bench`, unless asked). */
  durability: 'memory' | 'batched' | 'sync';
}

const USAGE = `Usage: npm run soak -- [options]
  --duration <s>          seconds of steady load (600)
  --warmup-fraction <f>   share of the run before the baseline is taken (0.2)
  --interval <s>          seconds between memory samples (5)
  --max-growth <MB>       fail when RSS grew more than this after the warm-up (10)
  --max-slope <MB/min>    fail when the RSS slope after the warm-up is steeper (0.5)
  --rate <msg/s>          rate of each of the QoS 0 and QoS 1 pair loads (1000)
  --snapshots <dir>       write broker heap snapshots at the warm-up end and at the end into <dir>
                          (for finding what grows; writing one raises the broker's RSS, so the RSS
                          verdict of such a run means little)
  --json <file>           write the settings, samples and verdict as JSON
  --durability <mode>     Starling's durability: memory (default), batched or sync (its store in a
                          temporary data directory, under the persistent-session churn)
`;

function parseSettings(argv: string[]): SoakSettings | undefined {
  const settings: SoakSettings = {
    durationSeconds: 600,
    warmupFraction: 0.2,
    intervalSeconds: 5,
    maxGrowthMegabytes: 10,
    maxSlopeMegabytesPerMinute: 0.5,
    rate: 1000,
    durability: 'memory',
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const text = (): string => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const number = (minimum: number): number => {
      const value = Number(text());
      if (!Number.isFinite(value) || value < minimum) throw new Error(`${flag} must be a number of at least ${minimum}`);
      return value;
    };
    switch (flag) {
      case '--help': return undefined;
      case '--duration': settings.durationSeconds = number(10); break;
      case '--warmup-fraction': settings.warmupFraction = Math.min(0.9, number(0)); break;
      case '--interval': settings.intervalSeconds = number(1); break;
      case '--max-growth': settings.maxGrowthMegabytes = number(0); break;
      case '--max-slope': settings.maxSlopeMegabytesPerMinute = number(0); break;
      case '--rate': settings.rate = number(1); break;
      case '--snapshots': settings.snapshotDirectory = path.resolve(text()); break;
      case '--json': settings.jsonPath = text(); break;
      case '--durability': {
        const mode = text();
        if (mode !== 'memory' && mode !== 'batched' && mode !== 'sync') throw new Error('--durability must be memory, batched or sync');
        settings.durability = mode;
        break;
      }
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return settings;
}

/** A fixed-rate `starling bench` scenario lasting the whole soak. */
function steadyLoad(port: number, brokerPid: number, settings: SoakSettings, load: Partial<BenchOptions> & Pick<BenchOptions, 'scenario'>): Promise<BenchResult> {
  return runScenario({
    ...defaultOptions(load.scenario),
    port,
    brokerPid,
    duration: settings.durationSeconds,
    warmup: 0,
    grace: 5,
    quiet: true,
    ...load,
  });
}

const delay = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

function formatMegabytes(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(1);
}

function printSamples(samples: readonly MemorySample[], warmupSeconds: number): void {
  const lines = ['   time   RSS MB  of it file-backed MB  heap after full GC MB  heap after any GC MB  connected  sessions  subscriptions  retained'];
  // About twenty rows whatever the duration, always including the first and the last sample.
  const every = Math.max(1, Math.round(samples.length / 20));
  samples.forEach((sample, index) => {
    if (index % every !== 0 && index !== samples.length - 1) return;
    const marker = sample.seconds >= warmupSeconds && (samples[index - 1]?.seconds ?? -1) < warmupSeconds ? ' <- warm-up end' : '';
    lines.push(
      `${sample.seconds.toFixed(0).padStart(6)} s ${formatMegabytes(sample.residentMegabytes).padStart(8)} ${formatMegabytes(sample.fileBackedMegabytes).padStart(21)} ` +
        `${formatMegabytes(sample.heapAfterFullGcMegabytes).padStart(22)} ${formatMegabytes(sample.heapAfterAnyGcMegabytes).padStart(21)} ` +
        `${String(sample.connected ?? '—').padStart(10)} ` +
        `${String(sample.sessions ?? '—').padStart(9)} ${String(sample.subscriptions ?? '—').padStart(14)} ` +
        `${String(sample.retained ?? '—').padStart(9)}${marker}`,
    );
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describeGrowth(name: string, growth: Growth | undefined): string {
  if (growth === undefined) return `${name}: too few samples after the warm-up`;
  return (
    `${name}: ${growth.atWarmupEnd.toFixed(1)} MB at the warm-up end -> ${growth.atEnd.toFixed(1)} MB at the end, ` +
    `growth ${growth.megabytes.toFixed(1)} MB, slope ${growth.megabytesPerMinute.toFixed(3)} MB/min`
  );
}

function describeLoad(name: string, result: PromiseSettledResult<BenchResult>): string {
  if (result.status === 'rejected') return `${name}: failed: ${(result.reason as Error).message}`;
  const value = result.value;
  return (
    `${name}: ${value.publishers} publishers, ${value.subscribers} subscribers, sent ${Math.round(value.sentPerSecond)}/s, ` +
    `received ${Math.round(value.receivedPerSecond)}/s, lost ${value.lost}, lost connections ${value.lostConnections}, ` +
    `p99 ${value.latencyMilliseconds.p99.toFixed(2)} ms`
  );
}

function describeChurn(totals: ChurnTotals): string {
  return (
    `churn: ${totals.steps} steps, ${totals.reconnects} session reconnects, ${totals.cleanClients} clean clients, ` +
    `${totals.published} published, ${totals.received} received, ${totals.errors} errors` +
    (totals.firstError === undefined ? '' : ` (first: ${totals.firstError})`)
  );
}

async function takeHeapSnapshot(broker: RunningBroker, label: string): Promise<void> {
  process.stderr.write(`heap snapshot (${label}) ...\n`);
  process.kill(broker.pid, 'SIGUSR2');
  // The broker writes it synchronously on its main thread; the next $SYS tick or sample will wait for it anyway.
  await delay(5_000);
}

async function soak(settings: SoakSettings): Promise<number> {
  pinThisProcess(LOAD_CPU);
  const port = await freePort();
  const nodeArguments = ['--trace-gc'];
  if (settings.snapshotDirectory !== undefined) {
    mkdirSync(settings.snapshotDirectory, { recursive: true });
    nodeArguments.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${settings.snapshotDirectory}`);
  }
  const broker = await startBroker('starling', {
    port,
    noDelay: false,
    cpu: BROKER_CPU,
    nodeArguments,
    // Later flags win: this overrides the broker's default --durability memory.
    starlingArguments: ['--sys-interval', String(Math.max(1, Math.floor(settings.intervalSeconds))), '--durability', settings.durability],
  });
  const samples: MemorySample[] = [];
  const warmupSeconds = settings.durationSeconds * settings.warmupFraction;
  try {
    const sys = await SysTopicReader.open(port);
    const startedAt = Date.now();
    const elapsedSeconds = (): number => (Date.now() - startedAt) / 1000;
    const rate = settings.rate;
    const churn = new ChurnLoad({ port, sessions: 40, retainedTopics: 200, stepMilliseconds: 250 });
    const loads = Promise.allSettled([
      steadyLoad(port, broker.pid, settings, { scenario: 'pairs', clients: 50, qos: 0, rate, topic: 'soak/q0/%i', clientIdPrefix: 'soak-q0' }),
      steadyLoad(port, broker.pid, settings, { scenario: 'pairs', clients: 50, qos: 1, rate, topic: 'soak/q1/%i', clientIdPrefix: 'soak-q1' }),
      steadyLoad(port, broker.pid, settings, {
        scenario: 'fanout', clients: 50, qos: 1, rate: rate / 50, topic: 'soak/fanout', clientIdPrefix: 'soak-fanout',
      }),
    ]);
    const churnDone = churn.run(settings.durationSeconds * 1000).catch((error: unknown) => {
      churn.totals.errors++;
      churn.totals.firstError ??= (error as Error).message;
    });
    let snapshotAtWarmupTaken = false;
    while (elapsedSeconds() < settings.durationSeconds) {
      await delay(settings.intervalSeconds * 1000);
      const sample = sampleBroker(broker.pid, broker.logPath, sys, elapsedSeconds());
      samples.push(sample);
      process.stderr.write(
        `[soak ${sample.seconds.toFixed(0)}s] RSS ${formatMegabytes(sample.residentMegabytes)} MB, heap after full GC ` +
          `${formatMegabytes(sample.heapAfterFullGcMegabytes)} MB (any GC ${formatMegabytes(sample.heapAfterAnyGcMegabytes)} MB), ` +
          `connected ${sample.connected ?? '—'}\n`,
      );
      if (settings.snapshotDirectory !== undefined && !snapshotAtWarmupTaken && sample.seconds >= warmupSeconds) {
        snapshotAtWarmupTaken = true;
        await takeHeapSnapshot(broker, 'warm-up end');
      }
    }
    const [loadResults] = await Promise.all([loads, churnDone]);
    if (settings.snapshotDirectory !== undefined) await takeHeapSnapshot(broker, 'end');
    await sys.close();

    process.stdout.write(`\nSoak: ${settings.durationSeconds} s, samples every ${settings.intervalSeconds} s, warm-up ${warmupSeconds.toFixed(0)} s\n`);
    printSamples(samples, warmupSeconds);
    const names = ['QoS 0 pairs', 'QoS 1 pairs', 'QoS 1 fan-out'];
    for (const [index, result] of loadResults.entries()) process.stdout.write(`${describeLoad(names[index]!, result)}\n`);
    process.stdout.write(`${describeChurn(churn.totals)}\n`);
    const resident = growthAfterWarmup(samples, warmupSeconds, (sample) => sample.residentMegabytes);
    const fileBacked = growthAfterWarmup(samples, warmupSeconds, (sample) => sample.fileBackedMegabytes);
    const heap = growthAfterWarmup(samples, warmupSeconds, (sample) => sample.heapAfterFullGcMegabytes);
    const heapAny = growthAfterWarmup(samples, warmupSeconds, (sample) => sample.heapAfterAnyGcMegabytes);
    process.stdout.write(
      `${describeGrowth('RSS', resident)}\n${describeGrowth('of it file-backed (mapped files, LMDB included)', fileBacked)}\n` +
        `${describeGrowth('heap after full GC', heap)}\n${describeGrowth('heap after any GC', heapAny)}\n`,
    );
    const failures: string[] = [];
    if (resident === undefined) failures.push('not enough RSS samples after the warm-up');
    else {
      if (resident.megabytes > settings.maxGrowthMegabytes) failures.push(`RSS grew ${resident.megabytes.toFixed(1)} MB > ${settings.maxGrowthMegabytes} MB`);
      if (resident.megabytesPerMinute > settings.maxSlopeMegabytesPerMinute) {
        failures.push(`RSS slope ${resident.megabytesPerMinute.toFixed(3)} MB/min > ${settings.maxSlopeMegabytesPerMinute} MB/min`);
      }
    }
    if (loadResults.some((result) => result.status === 'rejected')) failures.push('a load failed');
    process.stdout.write(
      failures.length === 0
        ? `verdict: PASS (limits: growth ${settings.maxGrowthMegabytes} MB, slope ${settings.maxSlopeMegabytesPerMinute} MB/min)\n`
        : `verdict: FAIL: ${failures.join('; ')}\n`,
    );
    if (settings.jsonPath !== undefined) {
      const verdict = { pass: failures.length === 0, failures, resident, heap, heapAny, churn: churn.totals };
      writeFileSync(settings.jsonPath, `${JSON.stringify({ settings, samples, verdict }, null, 2)}\n`);
    }
    return failures.length === 0 ? 0 : 1;
  } finally {
    await broker.stop();
  }
}

const settings = (() => {
  try {
    return parseSettings(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`npm run soak: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
if (settings === undefined) process.stdout.write(USAGE);
else {
  soak(settings).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm run soak: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
