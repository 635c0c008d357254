// `npm run bench:api`: the management API's client list with many connected clients. A `starling
// start` child process (pinned to CPU 0, durability memory) holds 19,000 idle connections opened by
// the load generator in this process (CPU 1; ten usernames, MQTT 3.1.1 and 5, eight source
// addresses); then each query below is timed over HTTP (keep-alive, API key) repeatedly: median and
// p99 of the request's wall time as the caller sees it.
//
// It also measures what the client index costs at CONNECT and DISCONNECT: the broker's CPU time per
// connection opened and closed, with the management plane (and so the index) and without it
// (management: false), and the index's own insert/remove time in this process.
//
//   npm run bench:api -- [--clients N] [--requests N] [--runs N]

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sendAdminRequest } from '../src/admin/client.js';
import { ClientIndex, type ClientInfo, type ClientSource, type Session } from '../src/internal.js';
import { IdleConnections, defaultSourceAddresses } from '../src/loadgen/idle-connections.js';
import { readCpuSeconds, readResidentBytes } from '../src/loadgen/broker-process.js';
import { freePort, pinThisProcess, startBroker, BROKER_CPU, LOAD_CPU } from './brokers.js';

const USERNAMES = 10;

interface Settings {
  clients: number;
  requests: number;
  runs: number;
}

function parseSettings(argv: string[]): Settings {
  const settings: Settings = { clients: 19_000, requests: 200, runs: 3 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = Number(argv[++index]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} expects a positive integer`);
    if (flag === '--clients') settings.clients = value;
    else if (flag === '--requests') settings.requests = value;
    else if (flag === '--runs') settings.runs = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return settings;
}

interface Running {
  pid: number;
  port: number;
  api: number;
  socket: string;
  stop(): Promise<void>;
}

/** `starling start` (benchmarks/brokers.ts, CPU 0) with the management plane on a free port and an admin socket, or with neither. */
async function startStarling(directory: string, management: boolean): Promise<Running> {
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  const api = await freePort();
  const socket = path.join(directory, 'starling.sock');
  const config = path.join(directory, 'starling.json');
  writeFileSync(
    config,
    JSON.stringify(management ? { management: { listeners: [{ host: '127.0.0.1', port: api }] }, admin_socket: socket } : { management: false, admin_socket: false }),
  );
  const broker = await startBroker('starling', { port, noDelay: true, cpu: BROKER_CPU, starlingArguments: ['--config', config, '--sys-interval', '0'] });
  return { pid: broker.pid, port, api, socket, stop: () => broker.stop() };
}

function connections(port: number, prefix: string, group: number, count: number, firstIndex: number): IdleConnections {
  return new IdleConnections({
    host: '127.0.0.1',
    port,
    connect: { protocolVersion: group % 2 === 0 ? 4 : 5, keepAlive: 300, cleanStart: true, username: `fleet-${group}` },
    clientIdPrefix: prefix,
    firstIndex,
    count,
    concurrency: 64,
    sourceAddresses: defaultSourceAddresses('127.0.0.1'),
    connectTimeoutMilliseconds: 30_000,
  });
}

/** Opens `clients` connections in USERNAMES groups (client ids fleet-<g>-c<index>); returns them and the broker CPU seconds it took. */
async function connectAll(broker: Running, clients: number): Promise<{ groups: IdleConnections[]; cpuPerConnection: number; rssPerConnection: number }> {
  const cpuBefore = readCpuSeconds(broker.pid)!;
  const rssBefore = readResidentBytes(broker.pid)!;
  const groups: IdleConnections[] = [];
  const perGroup = Math.ceil(clients / USERNAMES);
  for (let group = 0; group < USERNAMES; group++) {
    const idle = connections(broker.port, `fleet-${group}`, group, Math.min(perGroup, clients - group * perGroup), group * perGroup);
    const report = await idle.openAll();
    if (report.failed > 0) throw new Error(`${report.failed} connections failed: ${report.firstError ?? ''}`);
    groups.push(idle);
  }
  return {
    groups,
    cpuPerConnection: (readCpuSeconds(broker.pid)! - cpuBefore) / clients,
    rssPerConnection: (readResidentBytes(broker.pid)! - rssBefore) / clients,
  };
}

async function disconnectAll(broker: Running, groups: IdleConnections[], clients: number): Promise<number> {
  const cpuBefore = readCpuSeconds(broker.pid)!;
  await Promise.all(groups.map((idle) => idle.closeAll()));
  // The broker handles the last DISCONNECTs after our sockets report closed: give it a moment to go idle.
  let previous = -1;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = readCpuSeconds(broker.pid)!;
    if (now === previous) break;
    previous = now;
  }
  return (previous - cpuBefore) / clients;
}

interface Timing {
  name: string;
  path: string;
  medianMs: number;
  p99Ms: number;
  bytes: number;
  count: number | undefined;
}

async function time(api: string, authorization: string, name: string, pathAndQuery: string, requests: number): Promise<Timing> {
  const durations: number[] = [];
  let bytes = 0;
  let count: number | undefined;
  for (let i = 0; i < requests + 20; i++) {
    const started = performance.now();
    const response = await fetch(`${api}${pathAndQuery}`, { headers: { authorization } });
    const text = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${pathAndQuery}: ${response.status} ${text.slice(0, 200)}`);
    if (i < 20) continue; // warm-up
    durations.push(elapsed);
    bytes = text.length;
    count = (JSON.parse(text) as { meta: { count?: number } }).meta.count;
  }
  durations.sort((a, b) => a - b);
  return { name, path: pathAndQuery, medianMs: durations[Math.floor(durations.length / 2)]!, p99Ms: durations[Math.min(durations.length - 1, Math.ceil(durations.length * 0.99) - 1)]!, bytes, count };
}

/** The index's own cost: connected() and disconnected() for `count` clients, in this process; the best of `rounds` (the machine's noise only adds). */
function indexCost(count: number, rounds = 5): { insertMicroseconds: number; removeMicroseconds: number } {
  let best = { insertMicroseconds: Infinity, removeMicroseconds: Infinity };
  for (let round = 0; round < rounds; round++) {
    const cost = indexRound(count);
    best = { insertMicroseconds: Math.min(best.insertMicroseconds, cost.insertMicroseconds), removeMicroseconds: Math.min(best.removeMicroseconds, cost.removeMicroseconds) };
  }
  return best;
}

function indexRound(count: number): { insertMicroseconds: number; removeMicroseconds: number } {
  const sessions = new Map<string, Session>();
  const source: ClientSource = { sessions: () => [], connectedClients: () => [], session: (clientId) => sessions.get(clientId), on: () => {}, off: () => {} };
  const index = new ClientIndex(source);
  const clients: ClientInfo[] = [];
  for (let i = 0; i < count; i++) {
    const group = i % USERNAMES;
    clients.push({ clientId: `fleet-${group}-c${String(i).padStart(5, '0')}`, username: `fleet-${group}`, protocolVersion: group % 2 === 0 ? 4 : 5, peer: { address: `127.0.0.${2 + (i % 8)}`, port: 10_000 + (i % 50_000), listener: 'tcp' }, keepAlive: 300, clean: true });
  }
  // CPU time, not wall time: on a shared machine the wall clock also counts other processes' turns.
  const cpu = (): number => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  };
  let now = Date.now();
  let started = cpu();
  for (const client of clients) index.connected(client, now++);
  const insert = (cpu() - started) / count;
  started = cpu();
  for (const client of clients) index.disconnected(client, now);
  const remove = (cpu() - started) / count;
  if (index.size !== 0) throw new Error('index not empty after every disconnection');
  return { insertMicroseconds: insert, removeMicroseconds: remove };
}

interface ConnectionCost {
  connect: number;
  disconnect: number;
  rss: number;
}

/** One broker run: connect every client, optionally time the queries, disconnect; the broker's cost per connection. */
async function brokerRun(directory: string, management: boolean, settings: Settings, timings?: Timing[]): Promise<ConnectionCost> {
  const broker = await startStarling(directory, management);
  try {
    let authorization = '';
    if (timings !== undefined) {
      const key = await sendAdminRequest(broker.socket, { method: 'POST', path: '/api/v5/api_key', body: { name: 'bench', desc: '', enable: true, role: 'viewer' } });
      if (key.status !== 200) throw new Error(`api key: ${JSON.stringify(key.body)}`);
      const { api_key: apiKey, api_secret: apiSecret } = key.body as { api_key: string; api_secret: string };
      authorization = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
    }
    const connected = await connectAll(broker, settings.clients);
    if (timings !== undefined) {
      for (const [name, query] of queries(settings.clients)) timings.push(await time(`http://127.0.0.1:${broker.api}`, authorization, name, query, settings.requests));
    }
    const disconnect = await disconnectAll(broker, connected.groups, settings.clients);
    return { connect: connected.cpuPerConnection, disconnect, rss: connected.rssPerConnection };
  } finally {
    await broker.stop();
  }
}

function queries(clients: number): Array<[string, string]> {
  const lastPage = Math.ceil(clients / 100);
  // Client ids are <prefix>-c<index>, the index padded to the width of the group's last one.
  const perGroup = Math.ceil(clients / USERNAMES);
  const middle = `fleet-3-c${String(3 * perGroup + 7).padStart(String(4 * perGroup).length, '0')}`;
  return [
    ['first page', '/api/v5/clients?page=1&limit=100'],
    ['deep page (the last)', `/api/v5/clients?page=${lastPage}&limit=100`],
    ['middle page', `/api/v5/clients?page=${Math.floor(lastPage / 2)}&limit=100`],
    ['exact clientid', `/api/v5/clients?clientid=${middle}`],
    ['exact username, a middle page', `/api/v5/clients?username=fleet-7&page=${Math.max(1, Math.floor(perGroup / 200))}&limit=100`],
    ['like_clientid (substring)', '/api/v5/clients?like_clientid=c0123&limit=100'],
    ['like_username + proto_ver', '/api/v5/clients?like_username=fleet-1&proto_ver=5&limit=100'],
    ['order_by=connected_at desc', '/api/v5/clients?order_by=connected_at&order=desc&limit=100'],
    ['order_by=inflight_cnt desc (live count)', '/api/v5/clients?order_by=inflight_cnt&order=desc&limit=100'],
    ['subscriptions, first page', '/api/v5/subscriptions?page=1&limit=100'],
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  pinThisProcess(LOAD_CPU);
  const directory = mkdtempSync(path.join(tmpdir(), 'starling-bench-api-'));
  const { clients, requests, runs } = settings;
  process.stdout.write(`clients: ${clients} idle connections, ${USERNAMES} usernames; ${requests} timed requests per query (after 20 warm-up); ${runs} runs with and without the index, alternating\n\n`);
  try {
    const timings: Timing[] = [];
    const withIndex: ConnectionCost[] = [];
    const without: ConnectionCost[] = [];
    for (let run = 0; run < runs; run++) {
      without.push(await brokerRun(path.join(directory, `without-${run}`), false, settings));
      withIndex.push(await brokerRun(path.join(directory, `with-${run}`), true, settings, run === 0 ? timings : undefined));
    }

    process.stdout.write('| Query | median ms | p99 ms | count | bytes |\n| --- | --- | --- | --- | --- |\n');
    for (const timing of timings) {
      process.stdout.write(`| ${timing.name}: \`${timing.path}\` | ${timing.medianMs.toFixed(2)} | ${timing.p99Ms.toFixed(2)} | ${timing.count ?? '-'} | ${timing.bytes} |\n`);
    }
    const us = (costs: ConnectionCost[], field: 'connect' | 'disconnect'): string => `${(median(costs.map((cost) => cost[field])) * 1e6).toFixed(0)} µs`;
    const kib = (costs: ConnectionCost[]): string => `${(median(costs.map((cost) => cost.rss)) / 1024).toFixed(2)} KiB`;
    process.stdout.write(`\n| Broker, per connection (median of ${runs}) | with the client index (management on) | without (management: false) |\n| --- | --- | --- |\n`);
    process.stdout.write(`| CPU at CONNECT | ${us(withIndex, 'connect')} | ${us(without, 'connect')} |\n`);
    process.stdout.write(`| CPU at DISCONNECT | ${us(withIndex, 'disconnect')} | ${us(without, 'disconnect')} |\n`);
    process.stdout.write(`| RSS | ${kib(withIndex)} | ${kib(without)} |\n`);
    const own = indexCost(clients);
    process.stdout.write(`\nThe index alone (9 sorted lists), in this process, ${clients} clients, best of 5 rounds, CPU time: insert ${own.insertMicroseconds.toFixed(2)} µs, remove ${own.removeMicroseconds.toFixed(2)} µs per client.\n`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
