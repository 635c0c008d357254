// The rule engine's cost, two rows of `npm run bench` (also `npm run bench:rules`):
//
//   rules-q0    QoS 0 throughput of 50 publisher/subscriber pairs sending JSON payloads, Starling with
//               no rules against Starling with 10 rules (each a WHERE on a payload field, and a republish
//               of the ~1% of messages that pass), run interleaved (none, ten, none, ten, ...) on the same
//               pinned CPUs so machine noise hits both alike; medians, ranges and the ratio of medians.
//   rules-eval  rules evaluated per second per core: the 10 rules in a rule engine on a broker core,
//               JSON messages run through the broker's publish hook as a publish runs it (rule index,
//               columns, payload fields, the WHEREs, the SELECT and republish of those that pass), in
//               this process, no sockets; per second of this process's CPU time. Once with the rules
//               of rules-q0 (which start with the same condition) and once with rules that share none.
//               `--distinct` runs rules-q0 too with rules that share no first condition.
//
// The load is a small raw-TCP QoS 0 client: every PUBLISH of a pair has the same size (payloads padded
// to a fixed width), so a subscriber counts deliveries by bytes; each publisher keeps at most WINDOW
// messages sent but not yet delivered, so the run measures the broker, not socket buffers.

import net from 'node:net';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BROKER_CPU, LOAD_CPU, freePort, pinThisProcess, startBroker } from './brokers.js';
import { pino } from 'pino';
import { BrokerCore } from '../src/broker/broker.js';
import { defaultConfig } from '../src/config/defaults.js';
import { RuleEngine } from '../src/rules/engine.js';
import type { RuleConfig } from '../src/rules/definitions.js';
import { createMessage } from '../src/core/message.js';
import { readCpuSeconds } from '../src/loadgen/broker-process.js';
import { median } from './statistics.js';

const PAIRS = 50;
const WINDOW = 200;
const RULES = 10;

/**
 * Rule i passes messages from sensor i hotter than 99 (1% of them), and republishes those. The rules
 * all start with the same condition (the engine then evaluates it once per message for all of them);
 * with `distinct`, each starts with its own (`payload.sensor = i AND ...`), so nothing is shared.
 */
export function benchRules(distinct = false): Record<string, RuleConfig> {
  const rules: Record<string, RuleConfig> = {};
  for (let index = 0; index < RULES; index++) {
    const where = distinct ? `payload.sensor = ${index} AND payload.temp > 99` : `payload.temp > 99 AND payload.sensor = ${index}`;
    rules[`bench_${index}`] = {
      sql: `SELECT payload.temp AS temp, payload.sensor AS sensor, clientid FROM "bench/#" WHERE ${where}`,
      actions: [{ function: 'republish', args: { topic: 'alerts/${sensor}', qos: 0, retain: false, payload: '{"temp": ${temp}, "from": "${clientid}"}' } }],
    };
  }
  return rules;
}

/** A JSON payload of fixed width (spaces pad it): sensor 0-9, temp 0-99.9 with 1% of them above 99. */
function payloadFor(sequence: number): Buffer {
  const sensor = sequence % RULES;
  const temp = ((sequence * 7919) % 1000) / 10;
  return Buffer.from(JSON.stringify({ sensor, temp, seq: sequence, unit: 'C' }).padEnd(72, ' '));
}

function encodeLength(length: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

function packet(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, ...encodeLength(body.length)]), body]);
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function connectPacket(clientId: string): Buffer {
  return packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 60]), utf8(clientId)]));
}

function publishPacket(topic: string, payload: Buffer): Buffer {
  return packet(0x30, Buffer.concat([utf8(topic), payload]));
}

async function open(port: number, clientId: string): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(connectPacket(clientId));
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return socket;
}

interface Pair {
  publisher: net.Socket;
  sent: number;
  delivered: number;
}

export interface Throughput {
  /** Deliveries per second. */
  rate: number;
  /** Deliveries per second of broker CPU time (user + system): steadier than the rate on a busy machine. */
  perCpuSecond: number | undefined;
}

/** QoS 0 deliveries through the broker on `port` over `seconds`, after `warmup` seconds. */
export async function measureThroughput(port: number, seconds: number, warmup: number, brokerPid?: number): Promise<Throughput> {
  const pairs: Pair[] = [];
  for (let index = 0; index < PAIRS; index++) {
    const topic = `bench/${String(index).padStart(2, '0')}`;
    const subscriber = await open(port, `rules-sub-${index}`);
    subscriber.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(topic), Buffer.from([0])])));
    await new Promise<void>((resolve) => subscriber.once('data', () => resolve()));
    const publisher = await open(port, `rules-pub-${index}`);
    const pair: Pair = { publisher, sent: 0, delivered: 0 };
    const size = publishPacket(topic, payloadFor(0)).length;
    let bytes = 0;
    subscriber.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const complete = Math.floor(bytes / size);
      bytes -= complete * size;
      pair.delivered += complete;
      pump(pair, topic);
    });
    pairs.push(pair);
    pump(pair, topic);
  }
  await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
  const start = pairs.reduce((sum, pair) => sum + pair.delivered, 0);
  const cpuBefore = brokerPid === undefined ? undefined : readCpuSeconds(brokerPid);
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const delivered = pairs.reduce((sum, pair) => sum + pair.delivered, 0) - start;
  const cpuAfter = brokerPid === undefined ? undefined : readCpuSeconds(brokerPid);
  const rate = delivered / ((performance.now() - startedAt) / 1000);
  for (const pair of pairs) pair.publisher.destroy();
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { rate, perCpuSecond: cpu === undefined || cpu <= 0 ? undefined : delivered / cpu };
}

function pump(pair: Pair, topic: string): void {
  if (pair.publisher.destroyed) return;
  const chunks: Buffer[] = [];
  while (pair.sent - pair.delivered < WINDOW) chunks.push(publishPacket(topic, payloadFor(pair.sent++)));
  if (chunks.length > 0) pair.publisher.write(Buffer.concat(chunks));
}

export interface Evaluation {
  /** Rules evaluated per CPU-second (10 per message). */
  evaluationsPerSecond: number;
  messagesPerSecond: number;
  passed: number;
}

/**
 * The rule path of the broker on this core, without sockets: the 10 rules loaded in a RuleEngine on a
 * BrokerCore, and messages such as the publishers send run through the broker's 'message.publish'
 * hook as a publish runs it (the rule index lookup, the message's columns and payload fields, the 10
 * rules, and for the ~1% that pass, their queued republish, which runs here too). Rates are per second
 * of this process's CPU time (it is pinned to one core), so time the machine gives to others does not count.
 */
export async function measureEvaluation(seconds: number, rules = benchRules()): Promise<Evaluation> {
  const core = new BrokerCore(defaultConfig());
  const engine = new RuleEngine({ core, logger: pino({ level: 'silent' }), nodeName: 'bench', connector: () => undefined, connectedClients: () => [] });
  for (const [id, rule] of Object.entries(rules)) engine.upsert({ id, ...rule }, 'config');
  const messages = Array.from({ length: 1000 }, (_, index) => {
    const pair = String(index % PAIRS).padStart(2, '0');
    return createMessage({ topic: `bench/${pair}`, payload: payloadFor(index) }, `rules-pub-${pair}`, 'bench');
  });
  let count = 0;
  const run = async (until: number): Promise<void> => {
    while (performance.now() < until) {
      for (const message of messages) core.hooks.foldPublish(message, undefined);
      count += messages.length;
      await engine.runner.idle();
    }
  };
  await run(performance.now() + Math.min(1, seconds / 4) * 1000);
  count = 0;
  const cpuBefore = process.cpuUsage();
  await run(performance.now() + seconds * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const passed = engine.list().reduce((sum, rule) => sum + rule.metrics.passed, 0);
  engine.close();
  return { evaluationsPerSecond: (count * RULES) / cpuSeconds, messagesPerSecond: count / cpuSeconds, passed };
}

export interface RulesBenchmarkResult {
  none: Throughput[];
  ten: Throughput[];
  evaluation: Evaluation;
  /** The same with rules that share no first condition. */
  evaluationDistinct: Evaluation;
  /** Whether rules-q0's 10 rules shared no first condition (`--distinct`). */
  distinct: boolean;
}

export async function runRulesBenchmark(options: { runs: number; duration: number; warmup: number; distinct?: boolean }): Promise<RulesBenchmarkResult> {
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-bench-rules-'));
  const config = path.join(directory, 'rules.json');
  writeFileSync(config, JSON.stringify({ rules: benchRules(options.distinct ?? false) }));
  const none: Throughput[] = [];
  const ten: Throughput[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      // Alternate which goes first, so a slow start of the machine does not always hit the same side.
      const order: Array<'none' | 'ten'> = run % 2 === 1 ? ['none', 'ten'] : ['ten', 'none'];
      for (const variant of order) {
        const port = await freePort();
        const broker = await startBroker('starling', { port, noDelay: true, cpu: BROKER_CPU, starlingArguments: variant === 'ten' ? ['--config', config] : [] });
        try {
          const result = await measureThroughput(port, options.duration, options.warmup, broker.pid);
          (variant === 'none' ? none : ten).push(result);
          const perCpu = result.perCpuSecond === undefined ? '—' : Math.round(result.perCpuSecond).toLocaleString('en-US');
          process.stderr.write(`rules-q0 ${variant === 'none' ? 'no rules' : '10 rules'} run ${run}/${options.runs} ... deliveries/s ${Math.round(result.rate).toLocaleString('en-US')}, per broker CPU-s ${perCpu}\n`);
        } finally {
          await broker.stop();
        }
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  const evaluation = await measureEvaluation(options.duration);
  process.stderr.write(`rules-eval ... ${Math.round(evaluation.evaluationsPerSecond).toLocaleString('en-US')} rule evaluations/s on one core\n`);
  const evaluationDistinct = await measureEvaluation(options.duration, benchRules(true));
  process.stderr.write(`rules-eval, distinct first conditions ... ${Math.round(evaluationDistinct.evaluationsPerSecond).toLocaleString('en-US')} rule evaluations/s on one core\n`);
  return { none, ten, evaluation, evaluationDistinct, distinct: options.distinct ?? false };
}

export function rulesTable(result: RulesBenchmarkResult): string {
  const format = (value: number | undefined): string => (value === undefined ? '—' : Math.round(value).toLocaleString('en-US'));
  const medianOf = (runs: Throughput[], read: (run: Throughput) => number | undefined): number | undefined => {
    const values = runs.map(read).filter((value): value is number => value !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  /** The median, and the lowest and highest run. */
  const spread = (runs: Throughput[], read: (run: Throughput) => number | undefined): string => {
    const values = runs.map(read).filter((value): value is number => value !== undefined);
    if (values.length === 0) return '—';
    return `${format(medianOf(runs, read))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
  };
  const row = (metric: string, read: (run: Throughput) => number | undefined): string => {
    const none = medianOf(result.none, read);
    const ten = medianOf(result.ten, read);
    const ratio = none === undefined || ten === undefined ? '—' : `${(ten / none).toFixed(2)}×`;
    const rules = result.distinct ? ', rules sharing no first condition' : '';
    return `| rules-q0: 50 pairs QoS 0, JSON payloads${rules} (${result.none.length} interleaved runs each) | ${metric} | ${spread(result.none, read)} | ${spread(result.ten, read)} | ${ratio} |`;
  };
  return [
    '| Scenario | Metric | no rules: median (range) | 10 rules: median (range) | 10 rules / no rules |',
    '|---|---|---|---|---|',
    row('deliveries/s ↑', (run) => run.rate),
    row('deliveries per broker CPU-s ↑', (run) => run.perCpuSecond),
    `| rules-eval: the 10 rules in the engine, one core | rule evaluations per CPU-s ↑ | — | ${format(result.evaluation.evaluationsPerSecond)} | — |`,
    `| rules-eval | messages per CPU-s through all 10 rules ↑ | — | ${format(result.evaluation.messagesPerSecond)} | — |`,
    `| rules-eval, rules sharing no first condition | rule evaluations per CPU-s ↑ | — | ${format(result.evaluationDistinct.evaluationsPerSecond)} | — |`,
    `| rules-eval, rules sharing no first condition | messages per CPU-s through all 10 rules ↑ | — | ${format(result.evaluationDistinct.messagesPerSecond)} | — |`,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const runsIndex = argv.indexOf('--runs');
  const durationIndex = argv.indexOf('--duration');
  const runs = runsIndex === -1 ? (quick ? 1 : 5) : Number(argv[runsIndex + 1]);
  const duration = durationIndex === -1 ? (quick ? 3 : 10) : Number(argv[durationIndex + 1]);
  pinThisProcess(LOAD_CPU);
  const result = await runRulesBenchmark({ runs, duration, warmup: quick ? 1 : 2, distinct: argv.includes('--distinct') });
  process.stdout.write(`\n${rulesTable(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
