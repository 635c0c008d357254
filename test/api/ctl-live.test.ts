// `starling ctl status|broker|clients|subscriptions|topics|retained` as an operator runs them (a child
// process): through the running broker's admin socket, through the HTTP API with --url and an API
// key, and against a stopped broker's data directory (which has no live state: exit 1, said so).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type mqtt from 'mqtt';
import { ClientPool } from '../helpers/client-pool.js';
import { starling, type CliResult } from '../helpers/ctl.js';
import { startManagedBroker } from '../helpers/management.js';
import { nextEvent } from '../helpers/wait.js';

/** Runs the commands two at a time, answers in order. */
async function inPairs(commands: string[][], run: (...args: string[]) => Promise<CliResult>): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (let i = 0; i < commands.length; i += 2) results.push(...(await Promise.all(commands.slice(i, i + 2).map((args) => run(...args)))));
  return results;
}

test('ctl live - status, broker stats, clients, subscriptions, topics and retained through the admin socket and over --url', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-ctl-live-'));
  const socket = join(dataDir, 'starling.sock');
  const b = await startManagedBroker({ dataDir, durability: 'sync', adminSocket: socket });
  const pool = new ClientPool(b.url);
  try {
    const ctl = (...args: string[]) => starling(['ctl', ...args, '--socket', socket]);
    const node = b.broker.config.nodeName;
    const status = await ctl('status');
    assert.deepEqual([status.code, status.stdout], [0, `Node ${node} 0.1.0 is started\nstarling is running\n`]);

    const alice = await pool.connect({ clientId: 'alice', username: 'al', protocolVersion: 5, keepalive: 30 });
    await alice.subscribeAsync({ 'home/#': { qos: 1 }, '$share/g/jobs': { qos: 0 } });
    await pool.connect({ clientId: 'bob', protocolVersion: 4 });
    await alice.publishAsync('home/door', 'open', { qos: 1, retain: true });

    // Reads run two at a time (each is a process start; more at once only queue for the machine's two cores)
    const [stats, clients, first, asJson, shown, subscriptions, topics, retained] = await inPairs([
      ['broker', 'stats'],
      ['clients', 'list'],
      ['clients', 'list', '--limit', '1'],
      ['clients', 'list', '--json'],
      ['clients', 'show', 'alice'],
      ['subscriptions', 'list', '--clientid', 'alice'],
      ['topics', 'list'],
      ['retained', 'show', 'home/door'],
    ], ctl) as [CliResult, CliResult, CliResult, CliResult, CliResult, CliResult, CliResult, CliResult];
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^connections\.count\s+: 2$/m);
    assert.match(stats.stdout, /^retained\.count\s+: 1$/m);
    const lines = clients.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^Client\(alice, username=al, peername=127\.0\.0\.1:\d+, proto_ver=5, clean_start=true, keepalive=30, session_expiry_interval=0, subscriptions=2, inflight=0, awaiting_rel=0, enqueued_msgs=0, dropped_msgs=0, connected=true, created_at=\S+, connected_at=\S+\)$/);
    assert.match(lines[1]!, /^Client\(bob, username=undefined, /);
    assert.match(first.stdout, /^Client\(alice, [^\n]+\n\(page 1 of 2, 1 a page: --page 2 for the next\)\n$/);
    assert.deepEqual(JSON.parse(asJson.stdout).map((client: { clientid: string }) => client.clientid), ['alice', 'bob']);
    assert.equal(shown.stdout, `${lines[0]}\n`);
    assert.equal(subscriptions.stdout, 'alice -> topic:home/# qos:1 nl:0 rap:0 rh:0\nalice -> topic:$share/g/jobs qos:0 nl:0 rap:0 rh:0\n');
    assert.equal(topics.stdout, `$share/g/jobs -> ${node}\nhome/# -> ${node}\n`);
    assert.match(retained.stdout, /^topic: home\/door\nqos: 1\nfrom: alice\npublished: \S+\npayload: open\n$/);
    assert.equal((await ctl('retained', 'del', 'home/door')).stdout, 'ok\n');
    assert.equal(b.broker.core.retained.size, 0);

    // kick: MQTT 5 DISCONNECT 0x98 at the client
    const kicked = nextEvent<[mqtt.IDisconnectPacket]>(alice, 'disconnect');
    assert.deepEqual([(await ctl('clients', 'kick', 'alice')).stdout], ['ok\n']);
    assert.equal((await kicked)[0].reasonCode, 0x98);
    const again = await ctl('clients', 'kick', 'alice');
    assert.deepEqual([again.code, again.stderr], [1, 'starling ctl: Client ID not found\n']);

    // The same over HTTP with an API key
    const key = await starling(['ctl', 'api_keys', 'add', 'script', '--role', 'viewer', '--socket', socket]);
    const [, apiKey] = /api_key: (\S+)/.exec(key.stdout) ?? [];
    const [, apiSecret] = /api_secret: (\S+)/.exec(key.stdout) ?? [];
    const overHttp = await starling(['ctl', 'clients', 'list', '--url', b.api, '--api-key', `${apiKey}:${apiSecret}`]);
    assert.deepEqual([overHttp.code, overHttp.stdout.slice(0, 10)], [0, 'Client(bob']);

    // Usage errors exit 2 before anything is contacted
    const wrong = await inPairs([['clients', 'show'], ['clients', 'list', '--topic', 'x'], ['retained', 'purge']], ctl);
    assert.deepEqual(wrong.map((run) => run.code), [2, 2, 2]);
    assert.match(wrong[1]!.stderr, /--topic is not an option of ctl clients list/);
  } finally {
    await pool.closeAll();
    await b.close();
  }

  // The broker is stopped: its data directory has no clients to list
  try {
    const [stopped, status] = await Promise.all([starling(['ctl', 'clients', 'list', '--data-dir', dataDir]), starling(['ctl', 'status', '--data-dir', dataDir])]);
    assert.deepEqual([stopped.code, stopped.stderr], [1, 'starling ctl: no broker is running on this data directory: start it first\n']);
    assert.deepEqual([status.code, status.stdout], [1, 'no broker runs on this data directory\nstarling is not running\n']);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
