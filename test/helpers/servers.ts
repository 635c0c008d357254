// Real servers for the connector tests, started by the test from Debian's packages (postgresql,
// mariadb-server, redis-server, influxdb, nats-server): each in a temporary directory, on a free
// loopback port, stopped by pid. PostgreSQL and MariaDB refuse to run as root, so when the tests
// run as root (CI does) those two are started as the `postgres` and `mysql` users the packages
// create. A missing binary is an error naming the package, never a skip.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const STARTUP_TIMEOUT_MS = 30_000;
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});


function binary(name: string, candidates: string[], debianPackage: string): string {
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  throw new Error(`${name} not found: install Debian's ${debianPackage} package (.ci/run installs it)`);
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) if (existsSync(join(root, version, 'bin', 'postgres'))) return join(root, version, 'bin');
  throw new Error('postgres not found under /usr/lib/postgresql: install Debian\'s postgresql package (.ci/run installs it)');
}

/** The uid/gid of a system user, when the tests run as root (PostgreSQL and MariaDB will not). */
function runAs(user: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`user ${user} not found: install the Debian package that creates it`);
  return { uid, gid };
}

async function ownedDirectory(prefix: string, owner: { uid: number; gid: number } | undefined): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  if (owner !== undefined) await chown(directory, owner.uid, owner.gid);
  return directory;
}

async function waitUntil(what: string, child: ChildProcess, log: () => string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) while starting:\n${log()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not become ready within ${STARTUP_TIMEOUT_MS} ms:\n${log()}`);
}

function tcpAnswers(port: number, probe?: { send: string; expect: RegExp }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let seen = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      if (probe === undefined) {
        socket.destroy();
        resolve(true);
      } else socket.write(probe.send);
    });
    socket.on('data', (chunk) => {
      seen += chunk.toString();
      if (probe !== undefined && probe.expect.test(seen)) {
        socket.destroy();
        resolve(true);
      }
    });
    socket.once('close', () => resolve(false));
    socket.once('error', () => resolve(false));
  });
}

/** A server process the test owns: start() (again after stop()), stop() by pid, close() removes its directory. */
export class TestServer {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly name: string,
    readonly port: number,
    readonly directory: string,
    private readonly command: () => { file: string; args: string[]; owner?: { uid: number; gid: number } | undefined; env?: NodeJS.ProcessEnv },
    private readonly ready: () => Promise<boolean>,
    private readonly stopSignal: NodeJS.Signals = 'SIGTERM',
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const { file, args, owner, env } = this.command();
    const child = spawn(file, args, { cwd: this.directory, stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}), env: { ...process.env, ...env } });
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await waitUntil(this.name, child, () => this.output, this.ready);
  }

  /** Stops the process by pid and waits for it to exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(this.stopSignal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  get log(): string {
    return this.output;
  }
}

export async function startPostgres(): Promise<TestServer> {
  const bin = postgresBin();
  const owner = runAs('postgres');
  const directory = await ownedDirectory('starling-pg-', owner);
  const data = join(directory, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { encoding: 'utf8', ...(owner ?? {}) });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const server = new TestServer(
    'postgresql',
    port,
    directory,
    () => ({ file: join(bin, 'postgres'), args: ['-D', data, '-p', String(port), '-k', directory, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=40'], owner }),
    async () => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    // SIGINT: PostgreSQL's fast shutdown (disconnects clients, no waiting for them).
    'SIGINT',
  );
  await server.start();
  return server;
}

export async function startMariadb(): Promise<TestServer> {
  const owner = runAs('mysql');
  const directory = await ownedDirectory('starling-mariadb-', owner);
  const data = join(directory, 'data');
  const install = binary('mariadb-install-db', ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'], 'mariadb-server');
  const user = owner === undefined ? userInfo().username : 'mysql';
  const init = spawnSync(install, ['--no-defaults', `--datadir=${data}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}${init.stdout}`);
  const daemon = binary('mariadbd', ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'], 'mariadb-server');
  const port = await freePort();
  const server = new TestServer(
    'mariadb',
    port,
    directory,
    () => ({
      file: daemon,
      args: [
        '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(directory, 'mysqld.sock')}`,
        `--pid-file=${join(directory, 'mysqld.pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=32M', '--skip-log-bin', '--innodb-flush-log-at-trx-commit=2',
      ],
      owner,
    }),
    async () => {
      const { createConnection } = await import('mysql2/promise');
      const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await connection.end();
      return true;
    },
  );
  await server.start();
  return server;
}

export async function startRedis(): Promise<TestServer> {
  const file = binary('redis-server', ['/usr/bin/redis-server'], 'redis-server');
  const directory = await ownedDirectory('starling-redis-', undefined);
  const port = await freePort();
  const server = new TestServer(
    'redis',
    port,
    directory,
    () => ({ file, args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, '--daemonize', 'no'] }),
    () => tcpAnswers(port, { send: 'PING\r\n', expect: /\+PONG/ }),
  );
  await server.start();
  return server;
}

export async function startInfluxdb(): Promise<TestServer> {
  const file = binary('influxd', ['/usr/bin/influxd'], 'influxdb');
  const directory = await ownedDirectory('starling-influxdb-', undefined);
  const [port, rpcPort] = [await freePort(), await freePort()];
  const config = join(directory, 'influxdb.conf');
  await mkdir(join(directory, 'meta'));
  await writeFile(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(directory, 'meta')}"`,
      '[data]',
      `  dir = "${join(directory, 'data')}"`,
      `  wal-dir = "${join(directory, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      '  enabled = true',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const server = new TestServer(
    'influxdb',
    port,
    directory,
    () => ({ file, args: ['-config', config] }),
    async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 204,
  );
  await server.start();
  return server;
}

/** One nats-server; with `jetstream`, JetStream on (its store in the server's directory), as a one-server cluster back-end. */
export async function startNats(options: { jetstream?: boolean } = {}): Promise<TestServer> {
  const file = binary('nats-server', ['/usr/sbin/nats-server', '/usr/bin/nats-server'], 'nats-server');
  const directory = await ownedDirectory('starling-nats-', undefined);
  const port = await freePort();
  const jetstream = options.jetstream === true ? ['-js', '-sd', join(directory, 'jetstream')] : [];
  const server = new TestServer('nats', port, directory, () => ({ file, args: ['-a', '127.0.0.1', '-p', String(port), ...jetstream] }), () => tcpAnswers(port, { send: '', expect: /^INFO / }));
  await server.start();
  return server;
}
