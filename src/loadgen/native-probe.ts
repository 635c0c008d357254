// The native latency path: compiles native/latency-probe.c and native/floor-server.c with the system C
// compiler (once per source version, into a cache directory), runs the probe pinned with taskset and
// parses its JSON line, and starts/stops the floor server. Without a compiler, buildNativeTools() says why
// and callers fall back to the Node load generator.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** native/ of the package: this file runs as dist/src/loadgen/native-probe.js. */
const nativeDirectory = fileURLToPath(new URL('../../../native/', import.meta.url));
const SOURCES = ['latency-probe', 'floor-server'] as const;
const COMPILER_FLAGS = ['-std=c11', '-O2', '-Wall', '-Wextra'];
const FLOOR_READY_TIMEOUT_MILLISECONDS = 5_000;

export interface NativeTools {
  probePath: string;
  floorServerPath: string;
}

export type NativeToolsResult = { tools: NativeTools } | { tools?: undefined; reason: string };

export interface ProbeOptions {
  port: number;
  host?: string;
  pairs: number;
  /** Total messages per second over all publishers. */
  rate: number;
  qos: 0 | 1;
  payload?: number;
  duration: number;
  warmup: number;
  protocol?: 4 | 5;
  clientPrefix?: string;
  connectConcurrency?: number;
  /** CPU to pin the probe to with taskset; unpinned when undefined. */
  cpu?: number;
}

export interface LatencyPercentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** The probe's JSON line. Every figure is in microseconds. */
export interface ProbeResult {
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  /** Messages due but not sent (a full output buffer, a closed connection). */
  skipped: number;
  /** From the scheduled send time: what a client sending on that schedule sees. */
  latencyMicroseconds: LatencyPercentiles;
  latencyFromActualSendMicroseconds: LatencyPercentiles;
  /** QoS 1: publisher-side PUBLISH → PUBACK; null for QoS 0. */
  pubackMicroseconds: LatencyPercentiles | null;
  /** How late the probe itself sent against its schedule: its own jitter. */
  scheduleLagMicroseconds: { p50: number; p99: number; max: number };
  /** While sending: how often the probe was busy or not running for over 100 µs (over 1 ms), and the longest. */
  probeStalls: { over100Microseconds: number; over1Millisecond: number; maxMicroseconds: number };
  errors: string[];
}

export interface FloorServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function findCompiler(): string | undefined {
  for (const candidate of [process.env.CC, 'cc', 'gcc']) {
    if (candidate === undefined || candidate === '') continue;
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

/** Compiles both programs unless this source version is already built; undefined tools with a reason otherwise. */
export function buildNativeTools(): NativeToolsResult {
  const compiler = findCompiler();
  if (compiler === undefined) return { reason: 'no C compiler found (tried $CC, cc, gcc)' };
  const hash = createHash('sha256').update(compiler).update(COMPILER_FLAGS.join(' '));
  for (const name of SOURCES) {
    const source = path.join(nativeDirectory, `${name}.c`);
    if (!existsSync(source)) return { reason: `${source} is missing` };
    hash.update(readFileSync(source));
  }
  const directory = path.join(tmpdir(), `starling-native-${hash.digest('hex').slice(0, 16)}`);
  mkdirSync(directory, { recursive: true });
  for (const name of SOURCES) {
    const output = path.join(directory, name);
    if (existsSync(output)) continue;
    // Build beside the target and rename: a concurrent build never sees half a binary.
    const partial = `${output}.${process.pid}.partial`;
    const compiled = spawnSync(compiler, [...COMPILER_FLAGS, '-o', partial, path.join(nativeDirectory, `${name}.c`)], { encoding: 'utf8' });
    if (compiled.status !== 0) return { reason: `${compiler} failed on native/${name}.c: ${(compiled.stderr || compiled.error?.message || '').trim()}` };
    renameSync(partial, output);
  }
  return { tools: { probePath: path.join(directory, 'latency-probe'), floorServerPath: path.join(directory, 'floor-server') } };
}

function pinned(cpu: number | undefined, command: string[]): [string, string[]] {
  return cpu === undefined ? [command[0]!, command.slice(1)] : ['taskset', ['-c', String(cpu), ...command]];
}

function probeArguments(options: ProbeOptions): string[] {
  const flags: Record<string, string | number | undefined> = {
    '--host': options.host ?? '127.0.0.1',
    '--port': options.port,
    '--pairs': options.pairs,
    '--rate': options.rate,
    '--qos': options.qos,
    '--payload': options.payload,
    '--duration': options.duration,
    '--warmup': options.warmup,
    '--protocol': options.protocol,
    '--client-prefix': options.clientPrefix,
    '--connect-concurrency': options.connectConcurrency,
  };
  return Object.entries(flags).flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)]));
}

/** Runs one probe to the end and returns its report; rejects when it exits without one (e.g. connection refused). */
export function runLatencyProbe(tools: NativeTools, options: ProbeOptions): Promise<ProbeResult> {
  const [command, args] = pinned(options.cpu, [tools.probePath, ...probeArguments(options)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) {
        resolve(JSON.parse(line) as ProbeResult);
        return;
      }
      reject(new Error(`latency-probe exited (${code ?? signal}): ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/** Starts floor-server on a free port (pinned to `cpu` when given) and resolves once it listens. */
export function startFloorServer(tools: NativeTools, cpu?: number): Promise<FloorServer> {
  const [command, args] = pinned(cpu, [tools.floorServerPath, '--port', '0']);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`floor-server did not listen within ${FLOOR_READY_TIMEOUT_MILLISECONDS} ms`));
    }, FLOOR_READY_TIMEOUT_MILLISECONDS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`floor-server exited (${code ?? signal}) before listening`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      clearTimeout(timer);
      if (match === null) {
        child.kill('SIGKILL');
        reject(new Error(`floor-server printed "${line}"`));
        return;
      }
      resolve({
        port: Number(match[1]),
        pid: child.pid!,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            process.kill(child.pid!, 'SIGTERM');
            await exited;
          }
        },
      });
    });
  });
}
