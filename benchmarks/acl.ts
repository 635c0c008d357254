// `npm run bench:acl`: what ACL rules cost on the publish path. The same `pub` load (QoS 1, 32 in
// flight per publisher, no subscribers: each PUBLISH is authorized, routed and acknowledged) against
// a `starling start` child process with no rules (default allow: no authorization hook at all) and with 1,000 rules that never match the bench topics plus
// one `allow all bench/#` at the end (default deny), so every decision walks the whole list once.
// Each client publishes to one topic, so after the first PUBLISH the per-client decision cache
// answers; the uncached cost of walking 1,000 rules is measured separately, in this process.
//
//   npm run bench:acl -- [--duration S] [--runs N] [--clients N] [--rules N]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { AclRuleSet } from '../src/internal.js';
import { defaultOptions, runScenario } from '../src/loadgen/cli.js';
import type { AclRuleConfig } from '../src/internal.js';
import { freePort } from './brokers.js';
import { median } from './statistics.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const BROKER_CPU = 0;
const READY_TIMEOUT_MS = 30_000;

interface Settings {
  duration: number;
  runs: number;
  clients: number;
  rules: number;
}

function parseSettings(argv: string[]): Settings {
  const settings: Settings = { duration: 5, runs: 1, clients: 10, rules: 1000 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = Number(argv[++index]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} expects a positive integer`);
    if (flag === '--duration') settings.duration = value;
    else if (flag === '--runs') settings.runs = value;
    else if (flag === '--clients') settings.clients = value;
    else if (flag === '--rules') settings.rules = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return settings;
}

/** `count` rules of every shape (allow/deny, publish/subscribe/all, wildcards, placeholders) that never match bench/<i>, then the allow. */
function benchRules(count: number): AclRuleConfig[] {
  const rules: AclRuleConfig[] = [];
  const actions = ['publish', 'subscribe', 'all'] as const;
  const topics = [(i: number) => `site/${i}/+/temperature`, (i: number) => `devices/%c/${i}/#`, (i: number) => `users/%u/${i}`, (i: number) => `bench/${i}/x/#`];
  for (let index = 0; index < count; index++) {
    rules.push({ permission: index % 2 === 0 ? 'deny' : 'allow', action: actions[index % 3]!, topic: topics[index % topics.length]!(index) });
  }
  rules.push({ permission: 'allow', action: 'all', topic: 'bench/#' });
  return rules;
}

interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startStarling(directory: string, acl: object | undefined): Promise<Running> {
  const port = await freePort();
  const logPath = path.join(directory, 'broker.log');
  const config = path.join(directory, 'starling.json');
  writeFileSync(config, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port }], ...(acl === undefined ? {} : { acl }) }));
  const command = [
    process.execPath, path.join(repositoryRoot, 'bin/starling.js'), 'start', '--config', config,
    '--port', String(port), '--host', '127.0.0.1', '--data-dir', path.join(directory, 'data'),
    '--durability', 'memory', '--log-level', 'warn', '--log-pretty', 'false', '--sys-interval', '0',
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STARLING_')));
  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn('taskset', ['-c', String(BROKER_CPU), ...command], { cwd: directory, stdio: ['ignore', log, log], env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`broker exited: ${readFileSync(logPath, 'utf8').slice(-500)}`);
    try {
      const probe = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000, clientId: 'probe' });
      await probe.endAsync();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`broker not ready after ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function measure(rules: number, settings: Settings): Promise<{ perSecond: number; lost: number }> {
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-bench-acl-'));
  const acl = rules === 0 ? undefined : { default: 'deny', rules: benchRules(rules) };
  const broker = await startStarling(directory, acl);
  try {
    await checkRulesApply(broker.port, rules > 0);
    const result = await runScenario({
      ...defaultOptions('pub'),
      port: broker.port,
      qos: 1,
      inflight: 32,
      clients: settings.clients,
      duration: settings.duration,
      warmup: 1,
      grace: 5,
      topic: 'bench/%i',
      clientIdPrefix: `bench-acl-${process.pid}`,
      brokerPid: broker.pid,
      quiet: true,
    });
    if (result.connect.failed > 0) throw new Error(`${result.connect.failed} connections failed: ${result.connect.firstError ?? ''}`);
    return { perSecond: result.sentPerSecond, lost: result.lost + result.rejected };
  } finally {
    await broker.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Guards the measurement: with rules, a topic outside bench/# must be denied (MQTT 5 PUBACK 0x87). */
async function checkRulesApply(port: number, expectDenied: boolean): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'acl-check' });
  try {
    const code = await client.publishAsync('elsewhere/x', 'x', { qos: 1 }).then(
      () => 0,
      (error: { code?: number }) => error.code ?? -1,
    );
    if ((code === 0x87) !== expectDenied) throw new Error(`PUBACK ${code} on elsewhere/x: the ACL is ${expectDenied ? 'not' : 'unexpectedly'} active`);
  } finally {
    await client.endAsync();
  }
}

/** Uncached decisions per second: mayPublish over the compiled rules of one client, new topic each time. */
function uncachedDecisions(rules: number): number {
  const acl = new AclRuleSet(benchRules(rules), false).forClient({ clientId: 'c1', username: 'u1', certCommonName: undefined });
  const topics = Array.from({ length: 1000 }, (_, index) => `bench/${index}`);
  let allowed = 0;
  const started = process.hrtime.bigint();
  const iterations = 20_000;
  for (let index = 0; index < iterations; index++) if (acl.mayPublish(topics[index % topics.length]!)) allowed++;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (allowed !== iterations) throw new Error('the final allow rule did not match');
  return iterations / seconds;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const without: number[] = [];
  const withRules: number[] = [];
  for (let run = 0; run < settings.runs; run++) {
    // Alternate the order so drift (thermal, other load) does not favour one side.
    const order = run % 2 === 0 ? [0, settings.rules] : [settings.rules, 0];
    for (const rules of order) {
      const { perSecond, lost } = await measure(rules, settings);
      (rules === 0 ? without : withRules).push(perSecond);
      process.stderr.write(`run ${run + 1}: ${rules} rules: ${integer.format(perSecond)} acknowledged publishes/s${lost > 0 ? ` (${lost} lost or rejected)` : ''}\n`);
    }
  }
  const base = median(without);
  const ruled = median(withRules);
  console.log(`pub, QoS 1 (32 in flight), ${settings.clients} publishers, ${settings.duration} s x ${settings.runs} run(s), median, broker on 1 CPU`);
  console.log(`  no ACL rules (default allow):         ${integer.format(base)} msg/s`);
  console.log(`  ${settings.rules} non-matching rules + 1 allow: ${integer.format(ruled)} msg/s`);
  console.log(`  ratio (with rules / without):         ${(ruled / base).toFixed(3)}`);
  console.log(`  uncached decision, ${settings.rules + 1} rules walked:  ${integer.format(uncachedDecisions(settings.rules))} decisions/s (one CPU, no cache)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
