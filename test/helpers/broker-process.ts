// Runs `starling start` as a child process, for tests that must kill the broker (SIGKILL) or see
// how the CLI starts and stops. Every child started here is killed when the test process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/starling.js, from dist/test/helpers/ (compiled) */
const STARLING_BIN = fileURLToPath(new URL('../../../bin/starling.js', import.meta.url));
const READY_TIMEOUT_MS = 15_000;

const children = new Set<ChildProcess>();
let configDir: string | undefined;
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

let configFiles = 0;

/**
 * A config file with one TCP listener only, whatever the defaults list (--port/--host set its address), the
 * management listener on a free port, plus `extra` keys.
 */
function configFile(extra: Record<string, unknown> = {}): string {
  configDir ??= mkdtempSync(join(tmpdir(), 'starling-durability-config-'));
  const file = join(configDir, `starling-${configFiles++}.json`);
  writeFileSync(file, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }], management: { listeners: [{ host: '127.0.0.1', port: 0 }] }, ...extra }));
  return file;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly dataDir: string;
  /** Every JSON log line printed so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  readonly exited: Promise<ExitStatus>;
  /** SIGKILL: no shutdown, no flush; resolves once the process is gone. */
  kill(): Promise<ExitStatus>;
  /** SIGTERM (graceful shutdown); resolves with the exit status, SIGKILL after timeoutMs. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

function spawnStarling(dataDir: string, extraArgs: readonly string[], config?: Record<string, unknown>): ChildProcess {
  const args = [
    STARLING_BIN, 'start', '--config', configFile(config), '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir,
    '--durability', 'sync', '--log-pretty', 'false', '--log-level', 'info', '--sys-interval', '0', ...extraArgs,
  ];
  // STARLING_* variables are configuration to the broker (and unknown ones are refused): pass none of the test's.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STARLING_')));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Starts a broker on `dataDir` (flags after `--durability sync` may override it; `config` adds keys to its config
 * file) and resolves once it listens.
 */
export async function startBrokerProcess(dataDir: string, extraArgs: readonly string[] = [], config?: Record<string, unknown>, readyTimeoutMs = READY_TIMEOUT_MS): Promise<BrokerProcess> {
  const child = spawnStarling(dataDir, extraArgs, config);
  const exited = exitOf(child);
  const logs: Array<Record<string, unknown>> = [];
  latestLogs = logs;
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let buffered = '';
  let onListening: ((port: number) => void) | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(entry);
      if (entry['msg'] === 'listening' && typeof entry['port'] === 'number') onListening?.(entry['port']);
    }
  });

  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    onListening = resolve;
    timer = setTimeout(() => reject(new Error(`broker not listening after ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
    void exited.then((status) =>
      reject(new Error(`broker exited before listening (${status.code ?? status.signal}): ${stderr.trim()}`)),
    );
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  }).finally(() => clearTimeout(timer));

  return {
    child,
    pid: child.pid!,
    port,
    dataDir,
    logs,
    stderr: () => stderr,
    exited,
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
    async stop(timeoutMs = 10_000) {
      child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timeout);
      }
    },
  };
}

let latestLogs: Array<Record<string, unknown>> = [];

/** The log lines of the broker started last, also before it listens (what a start that waits is logging). */
export function lastSpawnedLogs(): Array<Record<string, unknown>> {
  return latestLogs;
}

/** Runs `starling start` expecting it to exit by itself (a refusal); killed after timeoutMs. */
export async function runStarling(dataDir: string, extraArgs: readonly string[] = [], timeoutMs = 10_000, config?: Record<string, unknown>): Promise<RunResult> {
  const child = spawnStarling(dataDir, extraArgs, config);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeout = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    // 'close' (unlike 'exit') comes after the output pipes are drained
    const status = await new Promise<ExitStatus>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    return { ...status, stdout, stderr };
  } finally {
    clearTimeout(timeout);
  }
}

/** A temporary data directory, removed by the returned function. */
export async function temporaryDataDir(): Promise<{ dataDir: string; remove: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-durability-'));
  return { dataDir, remove: () => rm(dataDir, { recursive: true, force: true }) };
}
