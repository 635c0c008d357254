// `starling ctl users` on the data directory of a broker running in another process (through its
// admin socket; the change applies at the next CONNECT) or stopped, `starling passwd` with the password_file authenticator, and
// the CLI's errors and exit codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore } from '../../src/internal.js';
import { startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';
import { starling } from '../helpers/ctl.js';
import { startBroker } from '../helpers/broker.js';
import { connackCode } from './clients.js';

/** username -> the kind of hash stored, read from the data directory (LMDB allows a second process). */
async function storedHashKinds(dataDir: string): Promise<Record<string, string>> {
  const store = new LmdbStore({ path: dataDir, durability: 'sync', batchIntervalMs: 10 });
  await store.openRecords();
  try {
    return Object.fromEntries(store.records.list<{ passwordHash: string }>('user').map(([name, user]) => [name, user.passwordHash.startsWith('$argon2id$') ? 'argon2id' : user.passwordHash.split('$')[0]!]));
  } finally {
    await store.close();
  }
}

test('ctl - users add/passwd/del/list against the data directory of a running broker, picked up at the next CONNECT', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const broker = await startBrokerProcess(dataDir, ['--authentication', '[{"type":"builtin"}]']);
  try {
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const ctl = (...args: string[]) => starling(['ctl', 'users', ...args, '--data-dir', dataDir]);
    assert.equal((await connackCode(url, { protocolVersion: 5, clientId: 'c1', username: 'alice', password: 'first password' })).code, 0x86);

    const added = await ctl('add', 'alice', '--password', 'first password', '--superuser');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /user alice added/);
    assert.equal((await connackCode(url, { protocolVersion: 5, clientId: 'c2', username: 'alice', password: 'first password' })).code, 0);

    const changed = await starling(['ctl', 'users', 'passwd', 'alice', '--password-stdin', '--data-dir', dataDir], { stdin: 'second password\n' });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal((await connackCode(url, { protocolVersion: 4, clientId: 'c3', username: 'alice', password: 'first password' })).code, 4);
    assert.equal((await connackCode(url, { protocolVersion: 4, clientId: 'c4', username: 'alice', password: 'second password' })).code, 0);

    assert.equal((await ctl('add', 'bob', '--password', 'bobs password', '--client-id', 'bob-1', '--hash', 'scrypt')).code, 0);
    assert.equal((await connackCode(url, { protocolVersion: 5, clientId: 'bob-1', username: 'bob', password: 'bobs password' })).code, 0);
    assert.deepEqual(await storedHashKinds(dataDir), { alice: 'argon2id', bob: 'scrypt' });
    assert.equal((await ctl('passwd', 'bob', '--password', 'bobs password', '--hash', 'md5')).code, 2);
    assert.equal((await ctl('del', 'bob', '--hash', 'scrypt')).code, 2);
    const listed = await ctl('list');
    assert.equal(listed.stdout, 'alice  (superuser)\nbob  (client id bob-1)\n');
    const json = await ctl('list', '--json');
    // --json prints the management API's answer (EMQX's shape)
    assert.deepEqual(JSON.parse(json.stdout), [{ user_id: 'alice', is_superuser: true }, { user_id: 'bob', is_superuser: false, client_id: 'bob-1' }]);

    assert.equal((await ctl('del', 'alice')).code, 0);
    assert.equal((await connackCode(url, { protocolVersion: 5, clientId: 'c5', username: 'alice', password: 'second password' })).code, 0x86);
  } finally {
    await broker.stop();
    await remove();
  }
});

test('ctl - clear errors: unknown user, weak and empty passwords, existing user, missing data directory (exit 1); usage (exit 2)', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  // A stopped broker's data directory: started once by the library, then closed.
  const b = await startBroker({ durability: 'sync' }, dataDir);
  await b.broker.close();
  try {
    const ctl = (...args: string[]) => starling(['ctl', 'users', ...args, '--data-dir', dataDir]);
    const unknown = await ctl('del', 'carol');
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'starling ctl: unknown user carol\n']);
    const unknownPasswd = await ctl('passwd', 'carol', '--password', 'long enough');
    assert.deepEqual([unknownPasswd.code, unknownPasswd.stderr], [1, 'starling ctl: unknown user carol\n']);
    const weak = await ctl('add', 'carol', '--password', 'short');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /shorter than 8 characters \(use --force/);
    const empty = await starling(['ctl', 'users', 'add', 'carol', '--password-stdin', '--data-dir', dataDir], { stdin: '\n' });
    assert.deepEqual([empty.code, empty.stderr], [1, 'starling ctl: the password is empty\n']);
    assert.equal((await ctl('add', 'carol', '--password', 'short', '--force')).code, 0);
    const exists = await ctl('add', 'carol', '--password', 'long enough');
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /user carol already exists/);
    const missing = await starling(['ctl', 'users', 'list', '--data-dir', join(dataDir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /data directory .*nope does not exist/);
    const usage = await starling(['ctl', 'users', 'frob']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown action "frob"/);
    const noName = await starling(['ctl', 'users', 'add']);
    assert.equal(noName.code, 2);
    const help = await starling(['ctl', '--help']);
    assert.match(help.stdout, /Usage: starling ctl users <action>/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await remove();
  }
});

test('passwd - starling passwd writes username:hash lines the password_file authenticator accepts; changes apply without a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'starling-passwd-'));
  const file = join(dir, 'passwords');
  try {
    assert.equal((await starling(['passwd', '-c', file, 'dev', '--password', 'device password'])).code, 0);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^dev:\$argon2id\$v=19\$m=19456,t=2,p=1\$[^$]+\$[^$]+\n$/);
    assert.ok(!text.includes('device password'));
    const b = await startBroker({ authentication: [{ type: 'passwordFile', file }] });
    try {
      assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'p1', username: 'dev', password: 'device password' })).code, 0);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p2', username: 'dev', password: 'wrong' })).code, 0x86);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p3', username: 'ops', password: 'ops password' })).code, 0x86);
      assert.equal((await starling(['passwd', file, 'ops', '--password-stdin', '--hash', 'scrypt'], { stdin: 'ops password\n' })).code, 0);
      assert.match(await readFile(file, 'utf8'), /^dev:\$argon2id\$[^\n]+\nops:scrypt\$16384\$8\$1\$[^\n]+\n$/);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p4', username: 'ops', password: 'ops password' })).code, 0);
      assert.equal((await starling(['passwd', '-D', file, 'dev'])).code, 0);
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'p5', username: 'dev', password: 'device password' })).code, 0x86);
    } finally {
      await b.close();
    }
    const weak = await starling(['passwd', file, 'x', '--password', 'short']);
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /shorter than 8 characters/);
    const unknown = await starling(['passwd', '-D', file, 'nobody']);
    assert.deepEqual([unknown.code, unknown.stderr], [1, `starling passwd: unknown user nobody in ${file}\n`]);
    assert.equal((await starling(['passwd', file])).code, 2);
    const badHash = await starling(['passwd', file, 'x', '--password', 'long enough', '--hash', 'md5']);
    assert.deepEqual([badHash.code, /--hash: expected one of argon2id, scrypt, got md5/.test(badHash.stderr)], [2, true]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
