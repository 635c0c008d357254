// `starling ctl` through a running broker's admin socket: changes apply at once (a ban disconnects
// the client, an ACL rule decides the very next PUBLISH); the fallback to the data directory when
// no broker listens (stopped, or killed and its socket left behind); `--socket`; and the socket's
// start-up checks (another live broker, a path too long).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { mock } from 'node:test';
import type mqtt from 'mqtt';
import { createBroker } from '../../src/index.js';
import { createLogger } from '../../src/internal.js';
import { startBrokerProcess, runStarling, temporaryDataDir } from '../helpers/broker-process.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn } from '../helpers/client-pool.js';
import { starling } from '../helpers/ctl.js';
import { nextEvent } from '../helpers/wait.js';
import { connackCode } from './clients.js';

/** A durable in-process broker with its admin socket at <data-dir>/starling.sock (the library opens none unless asked). */
async function brokerWithSocket(options: Parameters<typeof startBroker>[0] = {}): Promise<TestBroker & { socket: string }> {
  const { dataDir } = await temporaryDataDir();
  const socket = join(dataDir, 'starling.sock');
  const started = await startBroker({ durability: 'sync', adminSocket: socket, ...options }, dataDir);
  return { ...started, socket };
}

async function publishCode(client: mqtt.MqttClient, topic: string): Promise<number> {
  const result = await client.publishAsync(topic, 'x', { qos: 1 }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
  return result;
}

test('ctl socket - users add through the socket, then CONNECT with that password succeeds; the socket file is 0600', async () => {
  const b = await brokerWithSocket({ authentication: [{ type: 'builtin' }] });
  const pool = new ClientPool(b.url);
  try {
    assert.equal(statSync(b.socket).mode & 0o777, 0o600);
    const ctl = (...args: string[]) => starling(['ctl', 'users', ...args, '--socket', b.socket]);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'a1', username: 'alice', password: 'alice password' })).code, 0x86);
    const added = await ctl('add', 'alice', '--password', 'alice password');
    assert.deepEqual([added.code, added.stdout, added.stderr], [0, 'user alice added\n', '']);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'a2', username: 'alice', password: 'alice password' })).code, 0);
    assert.equal((await ctl('list')).stdout, 'alice\n');
    // The broker's own user database saw it (not only the file): the library view agrees
    assert.deepEqual(await b.broker.users.list(), [{ username: 'alice', superuser: false }]);

    // Errors come back from the broker as one line each
    const weak = await ctl('add', 'bob', '--password', 'short');
    assert.deepEqual([weak.code, weak.stderr], [1, 'starling ctl: the password is shorter than 8 characters (use --force to accept it anyway)\n']);
    const empty = await starling(['ctl', 'users', 'passwd', 'alice', '--password-stdin', '--socket', b.socket], { stdin: '\n' });
    assert.deepEqual([empty.code, empty.stderr], [1, 'starling ctl: the password is empty\n']);
    const unknown = await ctl('del', 'carol');
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'starling ctl: unknown user carol\n']);

    // Deleting a user refuses the next CONNECT; the connection already authenticated stays up
    const connected = await pool.connect({ protocolVersion: 5, clientId: 'a4', username: 'alice', password: 'alice password' });
    assert.equal((await ctl('del', 'alice')).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'a3', username: 'alice', password: 'alice password' })).code, 0x86);
    assert.equal(await publishCode(connected, 'still/here'), 0);
    assert.equal(connected.connected, true);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('ctl socket - a ban disconnects the matching connected client at once (MQTT 5: DISCONNECT 0x98), others stay', async () => {
  const b = await brokerWithSocket();
  const pool = new ClientPool(b.url);
  try {
    const will = { topic: 'wills/sensor-7', payload: Buffer.from('gone'), qos: 0 as const, retain: false };
    const target = await pool.connect({ protocolVersion: 5, clientId: 'sensor-7', will });
    const bystander = await pool.connect({ protocolVersion: 5, clientId: 'sensor-8' });
    const { client: watcher, received } = await pool.connectRecording({ protocolVersion: 5, clientId: 'watcher' });
    await watcher.subscribeAsync('wills/#');
    const disconnected = nextEvent<[mqtt.IDisconnectPacket]>(target, 'disconnect', 10_000);
    const closed = nextEvent(target, 'close', 10_000);
    // Found through --data-dir: ctl asks <data-dir>/starling.sock, which this broker answers
    const banned = await starling(['ctl', 'banned', 'add', 'clientid', 'sensor-7', '--data-dir', b.dataDir]);
    assert.deepEqual([banned.code, banned.stdout, banned.stderr], [0, 'banned clientid sensor-7\n', '']);
    const [packet] = await disconnected;
    assert.equal(packet.reasonCode, 0x98);
    await closed;
    assert.equal(bystander.connected, true);
    assert.equal((await pool.attempt({ protocolVersion: 5, clientId: 'sensor-7' })).error?.code, 0x8a);
    // The will would have been published during the kick, before this marker: it was not
    b.broker.publish({ topic: 'wills/marker', payload: Buffer.from('after the kick') });
    await messageOn(received, 'wills/marker');
    assert.deepEqual(received.map((message) => message.topic), ['wills/marker']);

    // MQTT 3.1.1 has no DISCONNECT from the server: the connection is closed
    const v4 = await pool.connect({ protocolVersion: 4, clientId: 'legacy-1', username: 'legacy' });
    const v4Closed = nextEvent(v4, 'close', 10_000);
    assert.equal((await starling(['ctl', 'banned', 'add', 'username', 'legacy', '--data-dir', b.dataDir])).code, 0);
    await v4Closed;

    // An address ban covers every client from 127.0.0.1
    const bystanderClosed = nextEvent(bystander, 'close', 10_000);
    assert.equal((await starling(['ctl', 'banned', 'add', 'address', '127.0.0.0/8', '--data-dir', b.dataDir])).code, 0);
    await bystanderClosed;
    const list = await starling(['ctl', 'banned', 'list', '--data-dir', b.dataDir]);
    assert.equal(list.stdout, 'address 127.0.0.0/8  (permanent)\nclientid sensor-7  (permanent)\nusername legacy  (permanent)\n');
    assert.equal((await starling(['ctl', 'banned', 'del', 'address', '127.0.0.0/8', '--data-dir', b.dataDir])).code, 0);
    await pool.connect({ protocolVersion: 5, clientId: 'sensor-9' });
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

// With durability batched a write becomes readable only when its batch commits (here 300 ms later).
for (const durability of ['sync', 'batched'] as const) {
  test(`ctl socket - an ACL rule decides the very next PUBLISH and SUBSCRIBE, without the once-a-second store poll (durability ${durability})`, async () => {
    // The poll is a setInterval created at start: started under mock timers, it never runs, so only
    // the endpoint's own refresh can make the rule apply.
    mock.timers.enable({ apis: ['setInterval'] });
    const b = await brokerWithSocket({ durability, batchIntervalMs: 300 }).finally(() => mock.timers.reset());
    const pool = new ClientPool(b.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'writer' });
      const ctl = (...args: string[]) => starling(['ctl', 'acl', ...args, '--socket', b.socket]);
      assert.equal(await publishCode(client, 'secret/a'), 0);
      for (let round = 0; round < 2; round++) {
        const added = await ctl('add', 'deny', 'publish', 'secret/#', '--client-id', 'writer');
        assert.equal(added.code, 0, added.stderr);
        const id = /^rule (\d+) added: deny publish secret\/# {2}\(client id writer\)\n$/.exec(added.stdout)?.[1];
        assert.ok(id !== undefined, added.stdout);
        assert.equal(await publishCode(client, 'secret/a'), 0x87);
        assert.equal(await publishCode(client, 'public/a'), 0);
        assert.equal((await ctl('del', id)).code, 0);
        assert.equal(await publishCode(client, 'secret/a'), 0);
      }
      // And the next SUBSCRIBE
      assert.deepEqual((await client.subscribeAsync('private/x')).map((grant) => grant.qos), [0]);
      assert.equal((await ctl('add', 'deny', 'subscribe', 'private/#')).code, 0);
      await assert.rejects(client.subscribeAsync('private/y'), /Not authorized/);
      const unknownRule = await ctl('del', '42');
      assert.deepEqual([unknownRule.code, unknownRule.stderr], [1, 'starling ctl: no ACL rule 42 in the store (see acl list)\n']);
    } finally {
      await pool.closeAll();
      await b.close();
    }
  });
}

test('ctl socket - with the broker stopped (socket removed at shutdown) ctl works on the data directory', async () => {
  const { dataDir: parent, remove } = await temporaryDataDir();
  const dataDir = join(parent, 'created-by-the-broker');
  try {
    let broker = await startBrokerProcess(dataDir, ['--authentication', '[{"type":"builtin"}]']);
    const socket = join(dataDir, 'starling.sock');
    assert.ok(existsSync(socket), 'starling start opens <data-dir>/starling.sock by default');
    assert.deepEqual(await broker.stop(), { code: 0, signal: null });
    assert.equal(existsSync(socket), false, 'removed at a graceful shutdown');

    const added = await starling(['ctl', 'users', 'add', 'dora', '--password', 'dora password', '--data-dir', dataDir]);
    assert.deepEqual([added.code, added.stdout, added.stderr], [0, 'user dora added\n', '']);
    assert.equal((await starling(['ctl', 'acl', 'add', 'deny', 'all', 'x/#', '--data-dir', dataDir])).code, 0);

    broker = await startBrokerProcess(dataDir, ['--authentication', '[{"type":"builtin"}]']);
    try {
      assert.equal((await connackCode(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, clientId: 'd1', username: 'dora', password: 'dora password' })).code, 0);
      // And the running broker answers the same listing through its socket
      assert.equal((await starling(['ctl', 'users', 'list', '--socket', socket])).stdout, 'dora\n');
      assert.match((await starling(['ctl', 'acl', 'list', '--socket', socket])).stdout, /^\d{12} {2}deny all x\/#\n$/);
    } finally {
      await broker.stop();
    }
  } finally {
    await remove();
  }
});

test('ctl socket - a socket left by a SIGKILLed broker: ctl falls back to the data directory, a restarted broker replaces it', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const socket = join(dataDir, 'starling.sock');
  try {
    const killed = await startBrokerProcess(dataDir);
    await killed.kill();
    assert.ok(statSync(socket).isSocket(), 'the killed broker left its socket');

    const added = await starling(['ctl', 'users', 'add', 'eve', '--password', 'eve password', '--data-dir', dataDir]);
    assert.deepEqual([added.code, added.stderr], [0, '']);
    const forced = await starling(['ctl', 'users', 'list', '--socket', socket]);
    assert.deepEqual([forced.code, forced.stdout, forced.stderr], [1, '', `starling ctl: broker not reachable at ${socket} (connection refused: nothing listens on it)\n`]);

    const restarted = await startBrokerProcess(dataDir);
    try {
      assert.ok(restarted.logs.some((entry) => entry['msg'] === 'removing the admin socket a stopped broker left behind'));
      const listed = await starling(['ctl', 'users', 'list', '--socket', socket]);
      assert.deepEqual([listed.code, listed.stdout], [0, 'eve\n']);
      assert.equal(statSync(socket).mode & 0o777, 0o600);

      // A second broker on the same data directory is refused: this one answers on the socket
      const second = await runStarling(dataDir);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^starling: cannot start: another broker is running on this data directory: it answers on the admin socket .*starling\.sock/m);
      // ...and leaves the first one's socket alone
      assert.equal((await starling(['ctl', 'users', 'list', '--data-dir', dataDir, '--socket', socket])).stdout, 'eve\n');
    } finally {
      await restarted.stop();
    }
  } finally {
    await remove();
  }
});

test('ctl socket - --socket and STARLING_ADMIN_SOCKET to a path nobody listens on: "broker not reachable", exit 1', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  try {
    const missing = join(dataDir, 'missing.sock');
    const flagged = await starling(['ctl', 'users', 'list', '--socket', missing]);
    assert.deepEqual([flagged.code, flagged.stdout, flagged.stderr], [1, '', `starling ctl: broker not reachable at ${missing} (no such socket)\n`]);
    const fromEnv = await starling(['ctl', 'banned', 'list'], { env: { STARLING_ADMIN_SOCKET: missing } });
    assert.deepEqual([fromEnv.code, fromEnv.stderr], [1, `starling ctl: broker not reachable at ${missing} (no such socket)\n`]);
    const tooLong = join(dataDir, `${'x'.repeat(120)}.sock`);
    const long = await starling(['ctl', 'acl', 'list', '--socket', tooLong]);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /^starling ctl: broker not reachable at .* \(the path is \d+ bytes, over the \d+ a Unix socket path may have\)\n$/);
    // A plain file is no socket either
    const plainFile = join(dataDir, 'plain');
    writeFileSync(plainFile, 'not a socket');
    const notSocket = await starling(['ctl', 'users', 'list', '--socket', plainFile]);
    assert.deepEqual([notSocket.code, notSocket.stderr], [1, `starling ctl: broker not reachable at ${plainFile} (connection refused: nothing listens on it)\n`]);
    const help = await starling(['ctl', '--help']);
    assert.match(help.stdout, /--socket PATH/);
  } finally {
    await remove();
  }
});

test('ctl socket - --config names the admin socket: ctl manages a durability-memory broker that has no data directory', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const socket = join(dataDir, 'admin.sock');
  const config = join(dataDir, 'ctl.json');
  writeFileSync(config, JSON.stringify({ data_dir: join(dataDir, 'unused'), durability: 'memory', admin_socket: socket }));
  const broker = await startBrokerProcess(dataDir, ['--authentication', '[{"type":"builtin"}]', '--durability', 'memory', '--admin-socket', socket]);
  try {
    const added = await starling(['ctl', 'users', 'add', 'gus', '--password', 'gus password', '--config', config]);
    assert.deepEqual([added.code, added.stderr], [0, '']);
    assert.equal((await connackCode(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, clientId: 'g1', username: 'gus', password: 'gus password' })).code, 0);
  } finally {
    await broker.stop();
  }
  // Stopped: nothing to fall back on, and ctl says why
  const stopped = await starling(['ctl', 'users', 'list', '--config', config]);
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /^starling ctl: .*ctl\.json sets durability: memory, so the broker keeps no users, rules or bans on disk/);
  await remove();
});

test('ctl socket - admin_socket false: no socket; ctl changes the data directory and the broker sees it at the next CONNECT', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const broker = await startBrokerProcess(dataDir, ['--authentication', '[{"type":"builtin"}]', '--admin-socket', 'false']);
  try {
    assert.equal(existsSync(join(dataDir, 'starling.sock')), false);
    assert.equal((await starling(['ctl', 'users', 'add', 'fay', '--password', 'fay password', '--data-dir', dataDir])).code, 0);
    assert.equal((await connackCode(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, clientId: 'f1', username: 'fay', password: 'fay password' })).code, 0);
  } finally {
    await broker.stop();
    await remove();
  }
});

test('ctl socket - the library opens no admin socket unless adminSocket is set, and refuses a path too long for a Unix socket', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  try {
    const quiet = createLogger({ logLevel: 'silent', logPretty: false });
    const plain = createBroker({ dataDir, durability: 'sync', sysInterval: 0, logger: quiet });
    await plain.listen({ port: 0, host: '127.0.0.1' });
    assert.equal(existsSync(join(dataDir, 'starling.sock')), false);
    await plain.close();

    const adminSocket = join(dataDir, `${'y'.repeat(120)}.sock`);
    const tooLong = createBroker({ dataDir, durability: 'sync', sysInterval: 0, logger: quiet, adminSocket });
    await assert.rejects(tooLong.listen({ port: 0, host: '127.0.0.1' }), /admin socket .*: the path is \d+ bytes, over the \d+ a Unix socket path may have; set admin_socket to another path, or false/);
    await tooLong.close();
  } finally {
    await remove();
  }
});

/** One raw HTTP request to the admin socket: status, content type and parsed JSON body. */
function adminRequest(socketPath: string, method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ status: number; type: string | undefined; body: { code?: string; message?: string } & Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, method, path, headers: body === undefined ? {} : { 'content-type': contentType } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const USERS = '/api/v5/authentication/password_based:built_in_database/users';

test('ctl socket - bad requests to the endpoint get 4xx with a JSON {code, message} naming the problem', async () => {
  const b = await brokerWithSocket();
  try {
    const cases: Array<[method: string, path: string, body: string | undefined, status: number, code: string, message: RegExp]> = [
      ['GET', '/nope', undefined, 404, 'NOT_FOUND', /^no route GET \/nope$/],
      ['POST', USERS, '{"user_id": "a",', 400, 'BAD_REQUEST', /JSON/],
      ['POST', USERS, '[1, 2]', 400, 'BAD_REQUEST', /^body: must be object$/],
      ['POST', USERS, '{"user_id": "a"}', 400, 'BAD_REQUEST', /^body: must have required property 'password'$/],
      ['POST', USERS, '{"user_id": "a", "password": "long enough", "is_superuser": "yes"}', 400, 'BAD_REQUEST', /^body\.is_superuser: must be boolean$/],
      ['POST', USERS, '{"user_id": "a", "password": "long enough", "superuser": true}', 400, 'BAD_REQUEST', /^body: unknown field "superuser"$/],
      ['POST', USERS, '{"user_id": "a:b", "password": "long enough"}', 400, 'BAD_REQUEST', /^invalid username "a:b"/],
      ['POST', USERS, '{"user_id": "a", "password": "short"}', 400, 'BAD_REQUEST', /shorter than 8 characters/],
      ['PUT', `${USERS}/nobody`, '{"password": "long enough"}', 404, 'NOT_FOUND', /^unknown user nobody$/],
      ['DELETE', `${USERS}/nobody`, undefined, 404, 'NOT_FOUND', /^unknown user nobody$/],
      ['POST', '/api/v5/acl/rules', '{"permission": "allow", "action": "publish", "topic": "a/#/b"}', 400, 'BAD_REQUEST', /^topic: '#' must be a whole last level/],
      ['POST', '/api/v5/acl/rules', '{"permission": "maybe", "action": "publish", "topic": "a"}', 400, 'BAD_REQUEST', /^body\.permission: must be one of allow, deny$/],
      ['POST', '/api/v5/acl/rules', '{"permission": "deny", "action": "publish", "topic": "a", "position": "middle"}', 400, 'BAD_REQUEST', /^body\.position: must be one of first, last$/],
      ['DELETE', '/api/v5/acl/rules/42', undefined, 404, 'NOT_FOUND', /^no ACL rule 42 in the store/],
      ['POST', '/api/v5/banned', '{"as": "peerhost_net", "who": "10.0.0.0/40"}', 400, 'BAD_REQUEST', /^address 10\.0\.0\.0\/40: .*prefix length must be 0-32$/],
      ['POST', '/api/v5/banned', '{"as": "peerhost", "who": "not-an-ip"}', 400, 'BAD_REQUEST', /is not an IP address or CIDR range/],
      ['POST', '/api/v5/banned', '{"as": "ip", "who": "1.2.3.4"}', 400, 'BAD_REQUEST', /^body\.as: must be one of clientid, username, peerhost, peerhost_net$/],
      ['POST', '/api/v5/banned', '{"as": "clientid", "who": "x", "until": "yesterday"}', 400, 'BAD_REQUEST', /^until: expected an RFC 3339 date-time/],
      ['DELETE', '/api/v5/banned/clientid/nobody', undefined, 404, 'NOT_FOUND', /^no ban on clientid nobody in the store/],
    ];
    for (const [method, path, body, status, code, message] of cases) {
      const answer = await adminRequest(b.socket, method, path, body);
      assert.equal(answer.status, status, `${method} ${path} ${body ?? ''}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.type ?? '', /^application\/json/);
      assert.equal(answer.body.code, code, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      assert.match(answer.body.message ?? '', message, `${method} ${path}`);
    }
    const wrongType = await adminRequest(b.socket, 'POST', USERS, 'user_id=a', 'application/x-www-form-urlencoded');
    assert.deepEqual([wrongType.status, wrongType.body.code], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    const huge = await adminRequest(b.socket, 'POST', USERS, JSON.stringify({ user_id: 'a', password: 'p'.repeat(5_000_000) }));
    assert.deepEqual([huge.status, huge.body.code], [413, 'PAYLOAD_TOO_LARGE']);
    // None of the refused requests changed anything; a good one still works, with its REST answer
    assert.deepEqual((await adminRequest(b.socket, 'GET', USERS)).body['data'], []);
    const created = await adminRequest(b.socket, 'POST', '/api/v5/banned', JSON.stringify({ as: 'peerhost_net', who: '10.0.0.0/8', reason: 'test' }));
    assert.equal(created.status, 200);
    assert.deepEqual([created.body['as'], created.body['who'], created.body['reason'], created.body['by'], created.body['until']], ['peerhost_net', '10.0.0.0/8', 'test', 'ctl', 'infinity']);
    assert.equal((await adminRequest(b.socket, 'DELETE', `/api/v5/banned/peerhost_net/${encodeURIComponent('10.0.0.0/8')}`)).status, 204);
  } finally {
    await b.close();
  }
});

test('ctl socket - starling stop refuses to stop a broker embedded in another program (exit 1), which keeps running', async () => {
  const b = await brokerWithSocket();
  try {
    const stop = await starling(['stop', '--socket', b.socket]);
    assert.deepEqual([stop.code, stop.stdout, stop.stderr], [1, '', 'starling stop: this broker is embedded in another program, which decides when it stops\n']);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'still-up' })).code, 0);
  } finally {
    await b.close();
  }
});
