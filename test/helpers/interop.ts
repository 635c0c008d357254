// Child processes for interop tests (mosquitto clients, Python paho): each runs with a hard
// timeout, its output is collected, and every one still running is killed when the test file ends.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Broker } from '../../src/index.js';
import type { SubscribedEvent } from '../../src/internal.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class ChildRun {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(
    readonly child: ChildProcess,
    readonly command: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.stderr += String(error);
        resolve({ code: null, signal: null, stdout: this.stdout, stderr: this.stderr });
      });
      child.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves once the process exited with code 0; otherwise rejects with its output. */
  async succeeded(): Promise<Exit> {
    const exit = await this.exited;
    if (exit.code !== 0) {
      throw new Error(`${this.command} exited with ${exit.code ?? exit.signal}\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`);
    }
    return exit;
  }
}

/** Starts and remembers child processes; `killAll()` in the file's `after` ends the ones still running. */
export class Children {
  private readonly runs: ChildRun[] = [];

  /** Spawns `command args`, killed with SIGKILL after `timeoutMs` whatever happens. */
  start(command: string, args: string[], options: { timeoutMs?: number; stdin?: string } = {}): ChildRun {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 15_000,
      killSignal: 'SIGKILL',
    });
    child.stdin?.end(options.stdin ?? '');
    const run = new ChildRun(child, [command, ...args].join(' '));
    this.runs.push(run);
    return run;
  }

  async killAll(): Promise<void> {
    for (const run of this.runs) run.kill('SIGKILL');
    await Promise.all(this.runs.map((run) => run.exited));
  }
}

/** Resolves with the next subscription the broker stores for `clientId` (register before the client starts). */
export function subscriptionOf(broker: Broker, clientId: string, timeoutMs = 10_000): Promise<SubscribedEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      broker.off('session.subscribed', listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for a subscription of '${clientId}'`));
    }, timeoutMs).unref();
    const listener = (event: SubscribedEvent): void => {
      if (event.client.clientId !== clientId) return;
      clearTimeout(timer);
      broker.off('session.subscribed', listener);
      resolve(event);
    };
    broker.on('session.subscribed', listener);
  });
}

/** Resolves once `run` exits or the broker has the subscription, whichever is first; rejects if the process exited first. */
export async function subscribedOrExited(broker: Broker, clientId: string, run: ChildRun, timeoutMs = 10_000): Promise<SubscribedEvent> {
  const subscribed = subscriptionOf(broker, clientId, timeoutMs);
  const exited = run.exited.then((exit) => {
    throw new Error(`${run.command} exited before subscribing (${exit.code ?? exit.signal})\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`);
  });
  return Promise.race([subscribed, exited]);
}
