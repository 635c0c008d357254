// `starling ctl admins` with the words and answers of `emqx ctl admins`: add/passwd/del/list print
// `ok` or `Error: <reason>` (EMQX's codes and messages), against a stopped broker's data directory
// (a forgotten password can be reset offline) and through a running broker's admin socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AdminDatabase, LmdbStore } from '../../src/internal.js';
import { temporaryDataDir } from '../helpers/broker-process.js';
import { startBroker } from '../helpers/broker.js';
import { starling } from '../helpers/ctl.js';

async function withStore<T>(dataDir: string, body: (admins: AdminDatabase) => Promise<T>): Promise<T> {
  const store = new LmdbStore({ path: dataDir, durability: 'sync', batchIntervalMs: 10 });
  await store.openRecords();
  try {
    return await body(new AdminDatabase(store.records, () => store.flushed()));
  } finally {
    await store.close();
  }
}

test('ctl admins - add/passwd/del/list on a stopped broker answer ok or Error: <reason> as emqx ctl does; passwords are stored as argon2id', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  // A broker that ran once and stopped: its data directory holds a store.
  const once = await startBroker({ durability: 'sync' }, dataDir);
  await once.broker.close();
  try {
    const ctl = (args: string[], stdin?: string) => starling(['ctl', 'admins', ...args, '--data-dir', dataDir], stdin === undefined ? {} : { stdin });
    const answer = async (args: string[], stdin?: string) => {
      const result = await ctl(args, stdin);
      return [result.code, result.stdout];
    };
    assert.deepEqual(await answer(['add', 'root', 'root@123++', 'the', 'root', 'admin']), [0, 'ok\n']);
    assert.deepEqual(await answer(['add', 'root', 'other@123++']), [1, 'Error: username_already_exists\n']);
    assert.deepEqual(await answer(['add', 'bad-name', 'root@123++']), [1, 'Error: Bad Username. Only upper and lower case letters, numbers and underscores are supported\n']);
    assert.deepEqual(await answer(['add', 'short', 'a1']), [1, 'Error: The range of password length is 8~64\n']);
    assert.deepEqual(await answer(['add', 'long', `a1${'x'.repeat(63)}`]), [1, 'Error: The range of password length is 8~64\n']);
    const oneKind = await answer(['add', 'letters', 'onlyletters']);
    assert.equal(oneKind[0], 1);
    assert.match(String(oneKind[1]), /^Error: The password must contain at least two different kind of characters/);
    // The password from standard input; the positionals after USERNAME are then the description.
    assert.deepEqual(await answer(['add', 'watcher', '--password-stdin', '--role', 'viewer', 'read', 'only'], 'view3r-pass\n'), [0, 'ok\n']);
    assert.deepEqual(await answer(['add', 'boss', 'boss@123++', '--role', 'owner']), [1, 'Error: body.role: must be one of administrator, viewer\n']);

    assert.deepEqual(await answer(['list']), [0, 'root  administrator  the root admin\nwatcher  viewer  read only\n']);
    const listed = JSON.parse((await ctl(['list', '--json'])).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(listed.map(({ created_at, ...rest }) => (assert.equal(typeof created_at, 'number'), rest)), [
      { username: 'root', description: 'the root admin', role: 'administrator' },
      { username: 'watcher', description: 'read only', role: 'viewer' },
    ]);

    assert.deepEqual(await answer(['passwd', 'root', 'new#pass123']), [0, 'ok\n']);
    assert.deepEqual(await answer(['passwd', 'nobody', 'new#pass123']), [1, 'Error: username_not_found\n']);
    assert.deepEqual(await answer(['passwd', 'root', 'weak']), [1, 'Error: The range of password length is 8~64\n']);
    await withStore(dataDir, async (admins) => {
      assert.match(admins.get('root')!.passwordHash, /^\$argon2id\$/);
      assert.ok(await admins.verify('root', 'new#pass123'), 'the new password verifies');
      assert.equal(await admins.verify('root', 'root@123++'), undefined, 'the old one no longer does');
    });

    assert.deepEqual(await answer(['del', 'root']), [0, 'ok\n']);
    assert.deepEqual(await answer(['del', 'root']), [1, 'Error: username_not_found\n']);
    assert.deepEqual(await answer(['list']), [0, 'watcher  viewer  read only\n']);

    const usage = await ctl(['add']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /add takes USERNAME \[PASSWORD\] \[DESCRIPTION\]/);
  } finally {
    await remove();
  }
});

test('ctl admins - through a running broker: the broker sees the administrator at once', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const socket = join(dataDir, 'starling.sock');
  const server = await startBroker({ durability: 'sync', adminSocket: socket }, dataDir);
  try {
    const added = await starling(['ctl', 'admins', 'add', 'ops', 'ops@123++', '--socket', socket]);
    assert.deepEqual([added.code, added.stdout, added.stderr], [0, 'ok\n', '']);
    const admins = new AdminDatabase(server.broker.authorization!.records, () => server.broker.store?.flushed());
    assert.equal(admins.get('ops')?.role, 'administrator');
    assert.ok(await admins.verify('ops', 'ops@123++'));
    const again = await starling(['ctl', 'admins', 'add', 'ops', 'ops@123++', '--socket', socket]);
    assert.deepEqual([again.code, again.stdout], [1, 'Error: username_already_exists\n']);
  } finally {
    await server.close();
    await remove();
  }
});
