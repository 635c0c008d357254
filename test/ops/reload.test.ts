// Configuration reload, observed through real clients: each live setting changed in the file and
// applied by POST /api/v5/configs/reload, with the connections that existed before held to what
// they were told and new ones getting the new values; what needs a restart is named and not applied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { hashPassword } from '../../src/internal.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';
import { capturingLogger, connackCode, pubackCode } from '../auth/clients.js';
import { startReloadable, type ReloadableBroker } from './reloadable.js';

async function reload(server: ReloadableBroker, token: string, settings: Record<string, unknown>): Promise<{ applied: string[]; not_applied: Array<{ key: string; reason: string }>; changes: Array<Record<string, unknown>> }> {
  await server.write(settings);
  const answer = await server.call('POST', '/api/v5/configs/reload', { token });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/** PUBACK No matching subscribers: the PUBLISH was accepted (MQTT.js reports it as 0, pubackCode() too). */
const noSuchTopic = 0x10;

test('reload - limits told at CONNACK apply to new connections, the old ones keep theirs; limits nobody was told apply at once; node_name needs a restart', async () => {
  const before = { allow_anonymous: true, max_packet_size: 10_000, max_inflight: 20, max_keep_alive: 100, max_session_expiry_interval: 1000, max_topic_aliases: 10, max_topic_levels: 10 };
  const server = await startReloadable(before);
  const token = await server.adminToken();
  const { client: old } = await RawClient.connect(server.port, { clientId: 'old', properties: { sessionExpiryInterval: 1000 } });
  try {
    const answer = await reload(server, token, {
      ...before,
      max_packet_size: 1000,
      max_inflight: 5,
      max_keep_alive: 30,
      max_session_expiry_interval: 100,
      max_topic_aliases: 3,
      max_topic_levels: 3,
      retain_available: false,
      max_qos: 1,
      node_name: 'renamed',
    });
    assert.deepEqual(new Set(answer.applied), new Set(['max_packet_size', 'max_inflight', 'max_keep_alive', 'max_session_expiry_interval', 'max_topic_aliases', 'max_topic_levels', 'retain_available', 'max_qos']));
    assert.deepEqual(answer.not_applied, [{ key: 'node_name', reason: 'restart needed' }]);
    const packetSize = answer.changes.find((change) => change['key'] === 'max_packet_size')!;
    assert.deepEqual([packetSize['from'], packetSize['to'], packetSize['live'], packetSize['takes_effect']], [10_000, 1000, true, 'connections accepted from now on']);
    assert.notEqual(server.broker.config.nodeName, 'renamed');

    // A new connection is told the new limits.
    const { client: fresh, connack } = await RawClient.connect(server.port, { clientId: 'fresh', keepalive: 60, properties: { sessionExpiryInterval: 1000, topicAliasMaximum: 5 } });
    assert.equal(connack.reasonCode, 0);
    assert.deepEqual(
      {
        receiveMaximum: connack.properties?.receiveMaximum,
        maximumPacketSize: connack.properties?.maximumPacketSize,
        serverKeepAlive: connack.properties?.serverKeepAlive,
        sessionExpiryInterval: connack.properties?.sessionExpiryInterval,
        topicAliasMaximum: connack.properties?.topicAliasMaximum,
        retainAvailable: connack.properties?.retainAvailable,
        maximumQoS: connack.properties?.maximumQoS,
      },
      { receiveMaximum: 5, maximumPacketSize: 1000, serverKeepAlive: 30, sessionExpiryInterval: 100, topicAliasMaximum: 3, retainAvailable: false, maximumQoS: 1 },
    );
    // ... and held to them: a PUBLISH over 1000 bytes is refused with 0x95.
    fresh.send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(2000, 1), qos: 1, messageId: 1, retain: false, dup: false });
    const refusal = await fresh.expect('disconnect');
    assert.equal(refusal.reasonCode, 0x95);

    // The connection made before keeps what it was told: 2000 bytes, QoS 2 and retain are still fine.
    old.send({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(2000, 1), qos: 1, messageId: 1, retain: true, dup: false });
    assert.equal((await old.expect('puback')).reasonCode, noSuchTopic);
    old.send({ cmd: 'publish', topic: 'exact', payload: Buffer.from('x'), qos: 2, messageId: 2, retain: false, dup: false });
    assert.equal((await old.expect('pubrec')).reasonCode, noSuchTopic);
    old.send({ cmd: 'pubrel', messageId: 2 });
    await old.expect('pubcomp');
    // max_topic_levels was told to nobody: it applies to the old connection at once.
    old.send({ cmd: 'publish', topic: 'a/b/c/d', payload: Buffer.from('x'), qos: 1, messageId: 3, retain: false, dup: false });
    assert.equal((await old.expect('disconnect')).reasonCode, 0x90);
  } finally {
    old.destroy();
    await server.close();
  }
});

test('reload - an ACL rule applies to connected clients at once; an authenticator applies at the next CONNECT; a new static ban disconnects; lockout', async () => {
  const server = await startReloadable({ allow_anonymous: true });
  const token = await server.adminToken();
  const passwords = join(server.directory, 'passwords');
  await writeFile(passwords, `alice:${await hashPassword('alice password')}\n`);
  const connected = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'connected', reconnectPeriod: 0 });
  const doomed = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'doomed', reconnectPeriod: 0 });
  try {
    assert.equal(await pubackCode(connected, 'secret/x', 'before'), 0);
    const doomedGone = new Promise<number>((resolve) => doomed.once('disconnect', (packet) => resolve(packet.reasonCode ?? -1)));
    const answer = await reload(server, token, {
      allow_anonymous: false,
      authentication: [{ type: 'password_file', file: passwords }],
      acl: { rules: [{ permission: 'deny', action: 'publish', topic: 'secret/#' }] },
      bans: [{ client_id: 'doomed', reason: 'reload test' }],
      lockout: { max_failures: 1, window: 60, duration: 60 },
    });
    assert.deepEqual(new Set(answer.applied), new Set(['allow_anonymous', 'authentication', 'acl', 'bans', 'lockout']));
    assert.deepEqual(answer.not_applied, []);
    assert.match(String(answer.changes.find((change) => change['key'] === 'bans')!['note']), /^1 banned client\(s\) disconnected$/);

    // The ACL applies to the client connected before, which stays connected (authentication is for new CONNECTs).
    assert.equal(await pubackCode(connected, 'secret/x', 'after'), 0x87);
    assert.equal(await pubackCode(connected, 'public/x', 'after'), 0);
    assert.equal(await doomedGone, 0x98);
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'doomed' })).code, 0x8a);

    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'anonymous' })).code, 0x87);
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'alice-1', username: 'alice', password: 'alice password' })).code, 0);
    // One failure locks (max_failures 1): from another address, so that 127.0.0.1 stays usable.
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'alice-2', username: 'alice', password: 'wrong' }, undefined, '127.0.0.7')).code, 0x86);
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'alice-3', username: 'alice', password: 'alice password' })).code, 0x8a);
    assert.ok(connected.connected);
  } finally {
    await connected.endAsync();
    doomed.end(true);
    await server.close();
  }
});

test('reload - max_queued_messages for existing sessions, rate limits, flapping, max_connections, connect_timeout, sys_interval, log_level and password_hash', async () => {
  const { logger, lines } = capturingLogger();
  const server = await startReloadable({ allow_anonymous: true, max_queued_messages: 100 }, { logger });
  const token = await server.adminToken();
  const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'publisher', reconnectPeriod: 0 });
  try {
    // An offline persistent session, to see max_queued_messages applied to a session that exists already.
    const sleeper = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'sleeper', clean: false, properties: { sessionExpiryInterval: 300 }, reconnectPeriod: 0 });
    await sleeper.subscribeAsync('queue/t', { qos: 1 });
    await sleeper.endAsync();

    const answer = await reload(server, token, {
      allow_anonymous: true,
      max_queued_messages: 2,
      flapping: { max_count: 2, window: 60, duration: 60 },
      max_connections: 3,
      connect_timeout: 1,
      sys_interval: 1,
      log_level: 'debug',
      password_hash: 'scrypt',
    });
    assert.deepEqual(new Set(answer.applied), new Set(['max_queued_messages', 'flapping', 'max_connections', 'connect_timeout', 'sys_interval', 'log_level', 'password_hash']));
    assert.equal(server.broker.logger.level, 'debug');
    assert.ok(lines.some((line) => line['msg'] === 'configuration reloaded' && (line['applied'] as string[]).includes('log_level')));

    // The session made before the reload queues 2 messages, not 100.
    for (let index = 0; index < 5; index++) assert.equal(await pubackCode(publisher, 'queue/t', `m${index}`), 0);
    const { client: resumed, connack } = await RawClient.connect(server.port, { clientId: 'sleeper', clean: false, properties: { sessionExpiryInterval: 300 } });
    assert.equal(connack.sessionPresent, true);
    const received: string[] = [];
    for (let index = 0; index < 2; index++) {
      const publish = await resumed.expect('publish');
      received.push(String(publish.payload));
      resumed.send({ cmd: 'puback', messageId: publish.messageId! });
    }
    // Nothing more was queued: the next packet answers a PINGREQ.
    resumed.send({ cmd: 'pingreq' });
    await resumed.expect('pingresp');
    assert.deepEqual(received, ['m0', 'm1']);
    await resumed.disconnect();

    // Rate limits: one PUBLISH a second per client, the excess refused (policy drop), on a connection made before.
    const rated = await reload(server, token, { ...JSON.parse(readFileSync(server.file, 'utf8')), rate_limits: { messages_per_second: 1, policy: 'drop' } });
    assert.deepEqual(rated.applied, ['rate_limits']);
    // The bucket holds one second's worth and lets a PUBLISH through while not empty. The first takes the
    // full bucket; within the next second the bucket refills by less than one token, so at most one more of
    // the next four goes through (only if a millisecond passed first), and the rest are refused.
    const codes: number[] = [];
    const startedAt = Date.now();
    for (const payload of ['first', 'second', 'third', 'fourth', 'fifth']) codes.push(await pubackCode(publisher, 'rate/t', payload));
    const refused = codes.filter((code) => code === 0x97).length;
    assert.equal(codes[0], 0);
    if (Date.now() - startedAt < 1000) assert.ok(refused === 3 || refused === 4, `PUBACK codes ${codes.join(', ')}`);
    else assert.ok(refused >= 1, `PUBACK codes ${codes.join(', ')}`);

    // max_connections 3: publisher + two more; the fourth is refused with 0x97.
    const second = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'second', reconnectPeriod: 0 });
    const third = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'third', reconnectPeriod: 0 });
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'fourth' })).code, 0x97);
    await second.endAsync();
    await third.endAsync();

    // Flapping: a client id that disconnects twice within the window is banned.
    for (let index = 0; index < 2; index++) {
      const flappy = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'flappy', reconnectPeriod: 0 });
      await flappy.endAsync();
    }
    await waitFor(() => server.broker.authorization!.stats.flappingBans === 1, 'the flapping ban');
    assert.equal((await connackCode(server.url, { protocolVersion: 5, clientId: 'flappy' })).code, 0x8a);

    // connect_timeout 1: a socket that never sends CONNECT is closed (the default would wait 10 s).
    const silent = await RawClient.open(server.port, 5);
    const openedAt = Date.now();
    await silent.closed(5000);
    assert.ok(Date.now() - openedAt < 5000);

    // sys_interval 1 (was 0: no statistics at all).
    const sys = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'sys', reconnectPeriod: 0 });
    const uptime = new Promise<string>((resolve) => sys.on('message', (topic, payload) => topic === '$SYS/broker/uptime' && resolve(payload.toString())));
    await sys.subscribeAsync('$SYS/broker/uptime');
    assert.match(await uptime, /^\d+ seconds$/);
    await sys.endAsync();

    // password_hash scrypt: new built-in user passwords are hashed with scrypt.
    await server.broker.users.add('carol', 'carol password');
    const record = server.broker.managementContext!.admin.users.get('carol')!;
    assert.match(record.passwordHash, /^scrypt\$/);
  } finally {
    await publisher.endAsync();
    await server.close();
  }
});

test('reload - a broken file keeps the running configuration and names the key; a failing check applies nothing; dry run; no config file: 409', async () => {
  const { logger, lines } = capturingLogger();
  const server = await startReloadable({ max_inflight: 20 }, { logger });
  const token = await server.adminToken();
  try {
    const refused = async (content: string, key: string, message: RegExp): Promise<void> => {
      await writeFile(server.file, content);
      const answer = await server.call('POST', '/api/v5/configs/reload', { token });
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.code, 'INVALID_CONFIG');
      assert.equal(answer.body.key, key);
      assert.match(answer.body.message, message);
      assert.equal(server.broker.config.maxInflight, 20);
    };
    await refused(JSON.stringify({ max_inflight: 5, max_packet_size: 'abc' }), 'max_packet_size', /^max_packet_size: expected an integer from 1 to 268435455, got "abc" \(in .*starling\.json\)$/);
    await refused(JSON.stringify({ max_inflight: 5, max_packet_sise: 10 }), 'max_packet_sise', /unknown key .* \(did you mean max_packet_size\?\)/);
    await refused('{"max_inflight": 5,', 'config', /^config: cannot parse /);
    // Valid by the schema, but its rules file cannot be read: max_inflight is not applied either.
    await refused(JSON.stringify({ max_inflight: 5, acl: { file: join(server.directory, 'missing-acl.yaml') } }), 'acl.file', /^acl\.file: cannot load .*missing-acl\.yaml/);
    const logged = lines.filter((line) => line['msg'] === 'configuration not reloaded: the file is wrong; the running configuration stays');
    assert.deepEqual(logged.map((line) => line['key']), ['max_packet_size', 'max_packet_sise', 'config', 'acl.file']);

    await server.write({ max_inflight: 7, node_name: 'elsewhere' });
    const dry = await server.call('POST', '/api/v5/configs/reload?dry_run=true', { token });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.dry_run, true);
    assert.deepEqual(dry.body.applied, []);
    assert.deepEqual(dry.body.not_applied, [
      { key: 'node_name', reason: 'restart needed' },
      { key: 'max_inflight', reason: 'dry run' },
    ]);
    assert.deepEqual(
      dry.body.changes.map((change: Record<string, unknown>) => [change['key'], change['to'], change['live'], change['applied']]),
      [
        ['node_name', 'elsewhere', false, false],
        ['max_inflight', 7, true, false],
      ],
    );
    assert.equal(server.broker.config.maxInflight, 20);
    // The real one applies it.
    const applied = await server.call('POST', '/api/v5/configs/reload', { token });
    assert.deepEqual(applied.body.applied, ['max_inflight']);
    assert.equal(server.broker.config.maxInflight, 7);
    // Reading the same file again changes nothing.
    const again = await server.call('POST', '/api/v5/configs/reload', { token });
    assert.deepEqual([again.body.applied, again.body.not_applied.map((entry: { key: string }) => entry.key)], [[], ['node_name']]);

    // A viewer may not reload.
    const viewer = await server.adminToken('watcher', 'watcher@123', 'viewer');
    assert.equal((await server.call('POST', '/api/v5/configs/reload', { token: viewer })).status, 403);
  } finally {
    await server.close();
  }
  const { startManagedBroker } = await import('../helpers/management.js');
  const library = await startManagedBroker();
  try {
    const answer = await library.call('POST', '/api/v5/configs/reload', { token: await library.adminToken() });
    assert.equal(answer.status, 409);
    assert.equal(answer.body.code, 'NO_CONFIG_FILE');
    assert.match(answer.body.message, /started without a config file/);
    await assert.rejects(library.broker.reload(), { name: 'ReloadError', status: 409 });
  } finally {
    await library.close();
  }
});

test('configs - GET /api/v5/configs shows the running configuration with every secret masked; a reload shows a changed secret masked too', async () => {
  const settings = {
    authentication: [
      { type: 'jwt', secret: 'jwt-shared-secret' },
      { type: 'http', url: 'http://checker:url-password@127.0.0.1:9/auth', headers: { authorization: 'Bearer header-token' } },
      { type: 'password_file', file: '/etc/starling/passwords' },
    ],
    max_inflight: 9,
  };
  const server = await startReloadable(settings);
  const token = await server.adminToken();
  try {
    const answer = await server.call('GET', '/api/v5/configs', { token });
    assert.equal(answer.status, 200);
    const text = JSON.stringify(answer.body);
    for (const secret of ['jwt-shared-secret', 'url-password', 'header-token']) assert.ok(!text.includes(secret), `${secret} is shown`);
    assert.deepEqual(answer.body.authentication, [
      { type: 'jwt', secret: '******' },
      { type: 'http', url: 'http://checker:******@127.0.0.1:9/auth', headers: { authorization: '******' } },
      { type: 'password_file', file: '/etc/starling/passwords' },
    ]);
    assert.equal(answer.body.max_inflight, 9);
    assert.equal(answer.body.node_name, server.broker.config.nodeName);
    assert.equal(answer.body.management.token_ttl, 3600);
    assert.deepEqual(answer.body.rate_limits, { connections_per_second: 0, connections_per_address_per_second: 0, messages_per_second: 0, bytes_per_second: 0, policy: 'slow' });
    const one = await server.call('GET', '/api/v5/configs?key=max_inflight', { token });
    assert.deepEqual(one.body, { max_inflight: 9 });
    assert.equal((await server.call('GET', '/api/v5/configs?key=nope', { token })).status, 404);

    const changed = await reload(server, token, { ...settings, authentication: [{ type: 'jwt', secret: 'another-secret' }] });
    assert.ok(!JSON.stringify(changed).includes('another-secret'));
    const change = changed.changes.find((entry) => entry['key'] === 'authentication')!;
    assert.deepEqual(change['to'], [{ type: 'jwt', secret: '******' }]);
    assert.equal(change['takes_effect'], 'the next CONNECT');
  } finally {
    await server.close();
  }
});

test('log level - PUT /api/v5/log/level applies at once and shows in the running configuration; a bad level is refused naming the field', async () => {
  const { logger, lines } = capturingLogger();
  const server = await startReloadable({}, { logger });
  const token = await server.adminToken();
  try {
    assert.deepEqual((await server.call('GET', '/api/v5/log/level', { token })).body, { level: 'info' });
    server.broker.logger.debug('hidden at info');
    const set = await server.call('PUT', '/api/v5/log/level', { token, body: { level: 'debug' } });
    assert.deepEqual([set.status, set.body], [200, { level: 'debug' }]);
    server.broker.logger.debug('shown at debug');
    assert.ok(lines.some((line) => line['msg'] === 'shown at debug'));
    assert.ok(!lines.some((line) => line['msg'] === 'hidden at info'));
    assert.ok(lines.some((line) => line['msg'] === 'log level changed' && line['from'] === 'info' && line['to'] === 'debug'));
    assert.equal((await server.call('GET', '/api/v5/configs?key=log_level', { token })).body.log_level, 'debug');
    const bad = await server.call('PUT', '/api/v5/log/level', { token, body: { level: 'loud' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^body\.level: must be one of fatal, error, warn, info, debug, trace, silent$/);
    // A reload of a file that does not set log_level puts the file's (default) level back.
    const answer = await server.call('POST', '/api/v5/configs/reload', { token });
    assert.deepEqual(answer.body.applied, ['log_level']);
    assert.equal(server.broker.logger.level, 'info');
  } finally {
    await server.close();
  }
});
