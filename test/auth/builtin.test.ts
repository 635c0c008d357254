// Built-in users (store records): username/password over MQTT.js 3.1.1 and 5 and mosquitto_pub,
// client id binding, superuser flag, and the per-listener anonymous policy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBroker } from '../../src/index.js';
import { createLogger } from '../../src/internal.js';
import { UserDatabase, UserError } from '../../src/internal.js';
import { MemoryStore } from '../../src/internal.js';
import { isLoopbackHost } from '../../src/internal.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { connackCode, mosquittoPub } from './clients.js';

async function withUsers(body: (b: TestBroker) => Promise<void>): Promise<void> {
  const b = await startBroker({ authentication: [{ type: 'builtin' }] });
  try {
    await b.broker.users.add('alice', 'correct horse', { superuser: true });
    await b.broker.users.add('bob', 'battery staple', { clientId: 'bobs-device' });
    await body(b);
  } finally {
    await b.close();
  }
}

test('builtin - MQTT 3.1.1: right password connects, wrong one gets return code 4, unknown user too', () =>
  withUsers(async (b) => {
    const base = { protocolVersion: 4 as const };
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a1', username: 'alice', password: 'correct horse' })).code, 0);
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a2', username: 'alice', password: 'wrong' })).code, 4);
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a3', username: 'nobody', password: 'x' })).code, 4);
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a4', username: 'alice' })).code, 4);
  }));

test('builtin - MQTT 5: right password connects, wrong one gets 0x86 Bad User Name or Password', () =>
  withUsers(async (b) => {
    const base = { protocolVersion: 5 as const };
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a1', username: 'alice', password: 'correct horse' })).code, 0);
    assert.equal((await connackCode(b.url, { ...base, clientId: 'a2', username: 'alice', password: 'correct horsE' })).code, 0x86);
  }));

test('builtin - mosquitto_pub -u -P is accepted with the right password and refused with a wrong one', () =>
  withUsers(async (b) => {
    const good = await mosquittoPub(b.port, ['-u', 'alice', '-P', 'correct horse', '-i', 'm1']);
    assert.equal(good.exitCode, 0, good.stderr);
    const bad = await mosquittoPub(b.port, ['-u', 'alice', '-P', 'nope', '-i', 'm2']);
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr, /not authori[sz]ed|bad user name or password|Connection Refused/i);
    const bad5 = await mosquittoPub(b.port, ['-V', 'mqttv5', '-u', 'alice', '-P', 'nope', '-i', 'm3']);
    assert.notEqual(bad5.exitCode, 0);
  }));

test('builtin - a user bound to a client id may only connect with it (0x87 otherwise); the superuser flag reaches ClientInfo', () =>
  withUsers(async (b) => {
    const bound = await connackCode(b.url, { protocolVersion: 5, clientId: 'bobs-device', username: 'bob', password: 'battery staple' }, b.broker);
    assert.equal(bound.code, 0);
    assert.equal(bound.client?.superuser, false);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'other', username: 'bob', password: 'battery staple' })).code, 0x87);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'other', username: 'bob', password: 'battery staple' })).code, 5);
    const admin = await connackCode(b.url, { protocolVersion: 5, clientId: 'admin', username: 'alice', password: 'correct horse' }, b.broker);
    assert.equal(admin.client?.superuser, true);
    assert.equal(admin.client?.username, 'alice');
  }));

test('builtin - users API: passwd replaces the password, delete removes the user, list shows no hashes, errors are UserErrors', () =>
  withUsers(async (b) => {
    const users = b.broker.users;
    await users.setPassword('alice', 'a new password');
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p1', username: 'alice', password: 'correct horse' })).code, 0x86);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p2', username: 'alice', password: 'a new password' })).code, 0);
    assert.deepEqual(await users.list(), [
      { username: 'alice', superuser: true },
      { username: 'bob', superuser: false, clientId: 'bobs-device' },
    ]);
    await users.delete('bob');
    assert.deepEqual((await users.list()).map((user) => user.username), ['alice']);
    await assert.rejects(users.delete('bob'), (error: unknown) => error instanceof UserError && error.code === 'unknown_user');
    await assert.rejects(users.add('carol', 'short'), (error: unknown) => error instanceof UserError && error.code === 'weak_password');
    await assert.rejects(users.add('carol', ''), (error: unknown) => error instanceof UserError && error.code === 'empty_password');
    await assert.rejects(users.add('alice', 'long enough'), (error: unknown) => error instanceof UserError && error.code === 'user_exists');
    await users.add('carol', 'short', { force: true });
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'c', username: 'carol', password: 'short' })).code, 0);
  }));

test('builtin - the stored record holds an argon2id hash (scrypt on request) with a per-user salt and SCRAM keys, never the password', async () => {
  const store = new MemoryStore();
  const users = new UserDatabase(store);
  await users.add('u1', 'same password');
  await users.add('u2', 'same password');
  const [first, second] = [users.get('u1')!, users.get('u2')!];
  assert.match(first.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.notEqual(first.passwordHash, second.passwordHash);
  assert.notEqual(first.scram?.sha256.salt, second.scram?.sha256.salt);
  assert.ok(!JSON.stringify(store.records.list('user')).includes('same password'));
  assert.ok(await users.verify('u1', 'same password'));
  assert.equal(await users.verify('u1', 'same passworD'), undefined);
  const scryptUsers = new UserDatabase(store, 'scrypt');
  await scryptUsers.add('u3', 'same password');
  assert.match(users.get('u3')!.passwordHash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(await users.verify('u3', 'same password'));
});

test('anonymous - allowed by default on a loopback listener, with or without a username', async () => {
  const b = await startBroker();
  try {
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'anon' })).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'named', username: 'whoever', password: 'x' })).code, 0);
  } finally {
    await b.close();
  }
});

test('anonymous - refused by default on a listener bound to 0.0.0.0 (0x87 / return code 5), allowed when the listener says so', async () => {
  const logger = createLogger({ logLevel: 'silent', logPretty: false });
  const broker = createBroker({
    durability: 'memory',
    sysInterval: 0,
    logger,
    authentication: [{ type: 'builtin' }],
    listeners: [
      { type: 'tcp', host: '0.0.0.0', port: 0 },
      { type: 'tcp', host: '0.0.0.0', port: 0, allowAnonymous: true },
    ],
  });
  try {
    const [closed, open] = await broker.listen();
    await broker.users.add('eve', 'long password');
    const closedUrl = `mqtt://127.0.0.1:${closed!.port}`;
    assert.equal((await connackCode(closedUrl, { protocolVersion: 5, clientId: 'anon' })).code, 0x87);
    assert.equal((await connackCode(closedUrl, { protocolVersion: 4, clientId: 'anon' })).code, 5);
    assert.equal((await connackCode(closedUrl, { protocolVersion: 5, clientId: 'eve', username: 'eve', password: 'long password' })).code, 0);
    const openUrl = `mqtt://127.0.0.1:${open!.port}`;
    assert.equal((await connackCode(openUrl, { protocolVersion: 5, clientId: 'anon' })).code, 0);
    // Anonymous means no credentials: unknown ones are still refused.
    assert.equal((await connackCode(openUrl, { protocolVersion: 5, clientId: 'x', username: 'mallory', password: 'guess' })).code, 0x86);
  } finally {
    await broker.close();
  }
});

test('anonymous - the global allow_anonymous false closes a loopback listener too', async () => {
  const b = await startBroker({ allowAnonymous: false });
  try {
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'anon' })).code, 0x87);
  } finally {
    await b.close();
  }
});

test('anonymous - loopback hosts are 127.x, ::1 and localhost', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['::', '0.0.0.0', '10.0.0.1', '128.0.0.1', 'example.com']) assert.equal(isLoopbackHost(host), false, host);
});
