// Starts and stops the brokers `npm run bench` compares, each pinned to CPU 0 with taskset:
// Mosquitto (Debian package), Aedes (npm dev dependency) and Starling (this repository).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/free-port.js';

export const BROKERS = ['mosquitto', 'aedes', 'starling'] as const;
export type BrokerName = (typeof BROKERS)[number];

/** The broker gets CPU 0 to itself (as far as the machine allows), the load generator CPU 1. */
export const BROKER_CPU = 0;
export const LOAD_CPU = 1;

export interface BrokerSettings {
  port: number;
  /** Turn Nagle's algorithm off on the broker's client sockets (Mosquitto and Node leave it on by default). */
  noDelay: boolean;
  cpu: number;
  /** Starling only: extra `starling start` flags (e.g. --sys-interval 5) and Node.js flags (e.g. --trace-gc). */
  starlingArguments?: string[];
  nodeArguments?: string[];
  /** Starling only: another built checkout to run (its bin/starling.js), for A/B runs against an earlier commit. */
  starlingRoot?: string;
}

export interface RunningBroker {
  name: BrokerName;
  pid: number;
  /** The broker's stdout and stderr; removed by stop(). */
  logPath: string;
  stop(): Promise<void>;
}

/** Pins every thread of this process (and the workers it starts later) to `cpu`; warns when taskset fails. */
export function pinThisProcess(cpu: number): void {
  const pinned = spawnSync('taskset', ['-a', '-c', '-p', String(cpu), String(process.pid)]);
  if (pinned.status !== 0) process.stderr.write(`warning: could not pin the load generator to CPU ${cpu}\n`);
}

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MILLISECONDS = 15_000;
const STOP_TIMEOUT_MILLISECONDS = 5_000;


function mosquittoConfiguration(settings: BrokerSettings): string {
  return [
    `listener ${settings.port} 127.0.0.1`,
    'allow_anonymous true',
    // 2.0.11 drops QoS 1/2 messages under fan-in whenever this is finite (fixed in 2.0.13).
    'max_inflight_messages 0',
    'max_queued_messages 10000000',
    'persistence false',
    'log_type error',
    `set_tcp_nodelay ${settings.noDelay ? 'true' : 'false'}`,
    '',
  ].join('\n');
}

function commandFor(name: BrokerName, settings: BrokerSettings, directory: string): string[] {
  switch (name) {
    case 'mosquitto': {
      const configuration = path.join(directory, 'mosquitto.conf');
      writeFileSync(configuration, mosquittoConfiguration(settings));
      return ['mosquitto', '-c', configuration];
    }
    case 'aedes':
      return [process.execPath, path.join(repositoryRoot, 'dist/benchmarks/aedes-server.js'), String(settings.port), settings.noDelay ? 'nodelay' : ''];
    case 'starling':
      return [
        process.execPath, ...(settings.nodeArguments ?? []), path.join(settings.starlingRoot ?? repositoryRoot, 'bin/starling.js'), 'start',
        '--port', String(settings.port), '--host', '127.0.0.1',
        '--durability', 'memory', '--log-level', 'warn', '--log-pretty', 'false',
        // No management listener: 18083 may be taken (another broker on the machine), and the bench does not use it.
        '--management', 'false',
        // The same limits Mosquitto gets above: an unbounded window and a deep queue.
        '--max-inflight', '65535', '--max-queued-messages', '10000000',
        // Neither the management API nor the admin socket: the measured broker serves MQTT only, and two can run at once.
        '--management', 'false', '--admin-socket', 'false',
        ...(settings.starlingArguments ?? []),
      ];
  }
}

function waitForPort(port: number, child: ChildProcess, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MILLISECONDS;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`exited (${child.exitCode ?? child.signalCode}): ${readFileSync(logPath, 'utf8').trim().slice(-500)}`));
        return;
      }
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`not listening on ${port} after ${READY_TIMEOUT_MILLISECONDS} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startBroker(name: BrokerName, settings: BrokerSettings): Promise<RunningBroker> {
  const directory = mkdtempSync(path.join(tmpdir(), `starling-bench-${name}-`));
  const logPath = path.join(directory, 'broker.log');
  const log = openSync(logPath, 'a');
  const command = commandFor(name, settings, directory);
  // taskset execs the broker, so the child's pid is the broker's own (what /proc readings need).
  const child = spawn('taskset', ['-c', String(settings.cpu), ...command], {
    cwd: directory,
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = (): void => rmSync(directory, { recursive: true, force: true });
  try {
    await waitForPort(settings.port, child, logPath);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    cleanUp();
    throw new Error(`${name} did not start: ${(error as Error).message}`);
  }
  return {
    name,
    pid: child.pid!,
    logPath,
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MILLISECONDS);
        await exited;
        clearTimeout(timer);
      }
      cleanUp();
    },
  };
}
export { freePort };
