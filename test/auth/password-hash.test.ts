// Password hashes: argon2id (the default for new hashes) and scrypt side by side. Both verify over a
// real CONNECT (MQTT.js 3.1.1 and 5, mosquitto_pub) for built-in users and in a passwords file that
// mixes them; a wrong password fails with either; `password_hash` picks the kind of new hashes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { connackCode, mosquittoPub } from './clients.js';

const ARGON2ID = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const SCRYPT = /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

test('password hash - argon2id by default, scrypt on request; each verifies its password and no other', async () => {
  const argon2 = await hashPassword('correct horse');
  const scrypt = await hashPassword('correct horse', 'scrypt');
  assert.match(argon2, ARGON2ID);
  assert.match(scrypt, SCRYPT);
  assert.notEqual(argon2, await hashPassword('correct horse'), 'a fresh salt per hash');
  for (const hash of [argon2, scrypt]) {
    assert.equal(isPasswordHash(hash), true);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword(Buffer.from('correct horse'), hash), true);
    assert.equal(await verifyPassword('correct horsE', hash), false);
  }
});

test('password hash - unreadable or unaffordable hashes are refused, never thrown', async () => {
  const argon2 = await hashPassword('pw');
  const tooMuchMemory = argon2.replace('m=19456', 'm=4194304');
  const argon2i = argon2.replace('$argon2id$', '$argon2i$');
  for (const bad of ['', 'plain text', '$argon2id$garbage', tooMuchMemory, argon2i, 'scrypt$3$8$1$abc$def', argon2.slice(0, -30) /* 9-byte hash: too short */]) {
    assert.equal(isPasswordHash(bad), false, bad);
    assert.equal(await verifyPassword('pw', bad), false, bad);
  }
});

test('password hash - built-in users: scrypt users made before a switch to argon2id keep connecting; new ones get argon2id', async () => {
  const before = await startBroker({ durability: 'sync', passwordHash: 'scrypt', authentication: [{ type: 'builtin' }] });
  await before.broker.users.add('old', 'old password');
  await before.broker.close(); // keeps the data directory for the next broker
  const after = await startBroker({ durability: 'sync', authentication: [{ type: 'builtin' }] }, before.dataDir);
  try {
    await after.broker.users.add('new', 'new password');
    const store = after.broker.store!;
    assert.match(store.records.get<{ passwordHash: string }>('user', 'old')!.passwordHash, SCRYPT);
    assert.match(store.records.get<{ passwordHash: string }>('user', 'new')!.passwordHash, ARGON2ID);
    for (const protocolVersion of [4, 5] as const) {
      const refused = protocolVersion === 5 ? 0x86 : 4;
      assert.equal((await connackCode(after.url, { protocolVersion, clientId: 'o', username: 'old', password: 'old password' })).code, 0);
      assert.equal((await connackCode(after.url, { protocolVersion, clientId: 'n', username: 'new', password: 'new password' })).code, 0);
      assert.equal((await connackCode(after.url, { protocolVersion, clientId: 'o', username: 'old', password: 'new password' })).code, refused);
      assert.equal((await connackCode(after.url, { protocolVersion, clientId: 'n', username: 'new', password: 'old password' })).code, refused);
    }
    // A changed password follows the broker's current setting.
    await after.broker.users.setPassword('old', 'changed password');
    assert.match(store.records.get<{ passwordHash: string }>('user', 'old')!.passwordHash, ARGON2ID);
    assert.equal((await connackCode(after.url, { protocolVersion: 5, clientId: 'o', username: 'old', password: 'changed password' })).code, 0);
  } finally {
    await after.close();
  }
});

test('password hash - a passwords file mixing argon2id and scrypt lines: both users connect (MQTT.js, mosquitto_pub), wrong passwords fail', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'starling-hashes-'));
  const file = join(dir, 'passwords');
  await writeFile(file, `# mixed\nargon:${await hashPassword('argon password', 'argon2id')}\nscry:${await hashPassword('scrypt password', 'scrypt')}\n`);
  const b = await startBroker({ authentication: [{ type: 'passwordFile', file }] });
  try {
    for (const [username, password] of [['argon', 'argon password'], ['scry', 'scrypt password']] as const) {
      assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: `${username}-4`, username, password })).code, 0);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: `${username}-5`, username, password })).code, 0);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: `${username}-x`, username, password: `${password}!` })).code, 0x86);
      const good = await mosquittoPub(b.port, ['-u', username, '-P', password, '-i', `${username}-m`]);
      assert.equal(good.exitCode, 0, good.stderr);
      const bad = await mosquittoPub(b.port, ['-u', username, '-P', 'nope', '-i', `${username}-b`]);
      assert.notEqual(bad.exitCode, 0);
    }
  } finally {
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
});
