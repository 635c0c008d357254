// Starts a JetStream cluster of nats-server processes on loopback for the cluster tests: ports are
// picked before start (a JetStream cluster needs its routes configured up front), each server gets a
// temporary store directory, readiness is /healthz plus an elected meta leader, and servers are
// stopped (or killed, or restarted on the same ports and store) by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';
const READY_TIMEOUT_MS = 20_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});


export interface NatsServer {
  readonly name: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly monitorPort: number;
  /** nats://127.0.0.1:<clientPort> */
  readonly url: string;
  readonly storeDir: string;
  pid(): number | undefined;
  running(): boolean;
}

export interface NatsCluster {
  readonly servers: readonly NatsServer[];
  /** Every client URL, in server order. */
  readonly urls: string[];
  /** SIGKILL one server; resolves once it has exited. */
  kill(index: number): Promise<void>;
  /**
   * Starts a stopped server again on the same ports and store directory; resolves once it serves its
   * monitoring port (healthy needs a meta leader, hence a quorum: see waitForMetaLeader).
   */
  restart(index: number): Promise<void>;
  /** Waits until the JetStream meta group has a leader (after a restart or a quorum loss). */
  waitForMetaLeader(timeoutMs?: number): Promise<void>;
  /**
   * Waits until every stream (KV buckets included) has a leader and all its replicas are current: a
   * restarted server has caught up, so losing another one keeps a quorum of up-to-date replicas.
   */
  waitForReplicasCurrent(timeoutMs?: number): Promise<void>;
  /** JSON from a server's monitoring endpoint (`/jsz`, `/subsz?subs=1`, ...). */
  monitor(index: number, path: string): Promise<unknown>;
  stop(): Promise<void>;
}

class ServerProcess implements NatsServer {
  child: ChildProcess | undefined;
  exited: Promise<void> = Promise.resolve();
  output = '';
  constructor(
    readonly name: string,
    readonly clientPort: number,
    readonly clusterPort: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    readonly configFile: string,
  ) {}
  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }
  pid(): number | undefined {
    return this.child?.pid;
  }
  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  start(): void {
    const child = spawn(NATS_SERVER, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    this.output = '';
    const collect = (chunk: Buffer): void => {
      if (this.output.length < 64 * 1024) this.output += chunk.toString('utf8');
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
  }
}

async function fetchJson(port: number, path: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  return response.json();
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function serverConfig(server: { name: string; clientPort: number; clusterPort: number; monitorPort: number; storeDir: string }, routes: string[]): string {
  return [
    `server_name: ${server.name}`,
    `listen: 127.0.0.1:${server.clientPort}`,
    `http: 127.0.0.1:${server.monitorPort}`,
    `jetstream { store_dir: "${server.storeDir}", max_memory_store: 256MB, max_file_store: 2GB }`,
    `cluster { name: starling-test, listen: 127.0.0.1:${server.clusterPort}, routes: [${routes.join(', ')}] }`,
    '',
  ].join('\n');
}

/** Starts `size` servers (3 by default) and resolves once every one is healthy and a meta leader is elected. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'starling-nats-'));
  const ports: number[] = [];
  while (ports.length < size * 3) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const layout = Array.from({ length: size }, (_, index) => ({
    name: `n${index + 1}`,
    clientPort: ports[index * 3]!,
    clusterPort: ports[index * 3 + 1]!,
    monitorPort: ports[index * 3 + 2]!,
    storeDir: join(root, `n${index + 1}`),
  }));
  const routes = layout.map((server) => `nats-route://127.0.0.1:${server.clusterPort}`);
  const servers = layout.map((server) => {
    const configFile = join(root, `${server.name}.conf`);
    writeFileSync(configFile, serverConfig(server, routes));
    return new ServerProcess(server.name, server.clientPort, server.clusterPort, server.monitorPort, server.storeDir, configFile);
  });

  const healthy = (server: ServerProcess): Promise<void> =>
    until(
      async () => {
        if (!server.running()) throw new Error(`nats-server ${server.name} exited: ${server.output}`);
        const health = (await fetchJson(server.monitorPort, '/healthz')) as { status?: string };
        return health.status === 'ok';
      },
      `nats-server ${server.name} healthy`,
      READY_TIMEOUT_MS,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${server.output.slice(-2000)}`);
    });

  const waitForMetaLeader = async (timeoutMs = READY_TIMEOUT_MS): Promise<void> => {
    await until(
      async () => {
        for (const server of servers) {
          if (!server.running()) continue;
          const jsz = (await fetchJson(server.monitorPort, '/jsz')) as { meta_cluster?: { leader?: string } };
          if (jsz.meta_cluster?.leader) return true;
        }
        return false;
      },
      'a JetStream meta leader',
      timeoutMs,
    );
  };

  interface StreamDetail {
    name: string;
    cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean; offline?: boolean }> };
  }
  const waitForReplicasCurrent = async (timeoutMs = READY_TIMEOUT_MS * 3): Promise<void> => {
    await until(
      async () => {
        // Each running server's view of every stream; only the leader's list of replicas says who is current
        // (a server just restarted may still believe it leads).
        const views = new Map<string, StreamDetail[]>();
        const byServer = new Map<string, Map<string, StreamDetail>>();
        for (const server of servers) {
          if (!server.running()) continue;
          const jsz = (await fetchJson(server.monitorPort, '/jsz?accounts=true&streams=true')) as { account_details?: Array<{ stream_detail?: StreamDetail[] }> };
          const own = new Map<string, StreamDetail>();
          for (const stream of (jsz.account_details ?? []).flatMap((account) => account.stream_detail ?? [])) {
            own.set(stream.name, stream);
            views.set(stream.name, [...(views.get(stream.name) ?? []), stream]);
          }
          byServer.set(server.name, own);
        }
        const running = servers.filter((server) => server.running()).length;
        for (const [name, streamViews] of views) {
          const votes = new Map<string, number>();
          for (const view of streamViews) if (view.cluster?.leader) votes.set(view.cluster.leader, (votes.get(view.cluster.leader) ?? 0) + 1);
          const leader = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
          if (leader === undefined) return false;
          const replicas = byServer.get(leader)?.get(name)?.cluster?.replicas ?? [];
          if (replicas.length < running - 1 || !replicas.every((replica) => replica.current && replica.offline !== true)) return false;
        }
        return true;
      },
      'every stream replica current',
      timeoutMs,
    );
  };

  const stop = async (): Promise<void> => {
    for (const server of servers) server.child?.kill('SIGTERM');
    const forced = setTimeout(() => servers.forEach((server) => server.child?.kill('SIGKILL')), 5000);
    await Promise.all(servers.map((server) => server.exited));
    clearTimeout(forced);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    for (const server of servers) server.start();
    await Promise.all(servers.map(healthy));
    await waitForMetaLeader();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    servers,
    urls: servers.map((server) => server.url),
    async kill(index) {
      const server = servers[index]!;
      server.child?.kill('SIGKILL');
      await server.exited;
    },
    async restart(index) {
      const server = servers[index]!;
      if (server.running()) throw new Error(`nats-server ${server.name} is running`);
      server.start();
      await until(
        async () => {
          if (!server.running()) throw new Error(`nats-server ${server.name} exited: ${server.output}`);
          await fetchJson(server.monitorPort, '/varz');
          return true;
        },
        `nats-server ${server.name} serving`,
        READY_TIMEOUT_MS,
      );
    },
    waitForMetaLeader,
    waitForReplicasCurrent,
    monitor: (index, path) => fetchJson(servers[index]!.monitorPort, path),
    stop,
  };
}
