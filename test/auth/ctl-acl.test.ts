// `starling ctl acl` and `starling ctl banned` on the data directory of a broker running in another
// process (through its admin socket, test/auth/ctl-socket.test.ts has the details): a ban applies at
// the next CONNECT, a rule to the next PUBLISH; and the commands' errors and exit codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';
import { starling } from '../helpers/ctl.js';
import { ClientPool } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';


test('ctl - banned add/list/del and acl add/list/del change a running broker', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const broker = await startBrokerProcess(dataDir);
  const pool = new ClientPool(`mqtt://127.0.0.1:${broker.port}`);
  const ctl = (...args: string[]) => starling(['ctl', ...args, '--data-dir', dataDir]);
  try {
    // Bans: refused at the next CONNECT with 0x8A, and again accepted once lifted
    await pool.connect({ protocolVersion: 5, clientId: 'sensor-7' });
    await pool.endLast();
    const banned = await ctl('banned', 'add', 'clientid', 'sensor-7', '--reason', 'stolen key');
    assert.equal(banned.code, 0, banned.stderr);
    assert.match(banned.stdout, /^banned clientid sensor-7\n$/);
    assert.equal((await pool.attempt({ protocolVersion: 5, clientId: 'sensor-7' })).error?.code, 0x8a);
    assert.equal((await ctl('banned', 'add', 'address', '10.0.0.0/8', '--duration', '3600')).code, 0);
    const list = await ctl('banned', 'list');
    // In key order: kind, then value
    assert.match(list.stdout, /^address 10\.0\.0\.0\/8 {2}\(until \d{4}-.+\)\nclientid sensor-7 {2}\(permanent, reason: stolen key\)\n$/);
    // --json prints the management API's answer (EMQX's shape)
    const json = JSON.parse((await ctl('banned', 'list', '--json')).stdout) as Array<{ as: string; who: string; by: string }>;
    assert.deepEqual(json.map((ban) => [ban.as, ban.who, ban.by]), [['peerhost_net', '10.0.0.0/8', 'ctl'], ['clientid', 'sensor-7', 'ctl']]);
    assert.equal((await ctl('banned', 'del', 'clientid', 'sensor-7')).code, 0);
    await pool.connect({ protocolVersion: 5, clientId: 'sensor-7' });

    // ACL: a deny rule added while the client is connected denies its next publish (v5 PUBACK 0x87)
    const client = await pool.connect({ protocolVersion: 5, clientId: 'writer' });
    const publishCode = async (topic: string): Promise<number> => {
      const result = await client.publishAsync(topic, 'x', { qos: 1 }).catch((error: { code?: number }) => error);
      return (result as { code?: number; reasonCode?: number } | undefined)?.code ?? (result as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    };
    assert.equal(await publishCode('secret/a'), 0);
    const added = await ctl('acl', 'add', 'deny', 'publish', 'secret/#', '--client-id', 'writer');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^rule 100000000000 added: deny publish secret\/# {2}\(client id writer\)\n$/);
    let lastCode = 0;
    let publishing = true;
    const loop = (async () => {
      while (publishing) lastCode = await publishCode('secret/a');
    })();
    const started = Date.now();
    try {
      await waitFor(() => lastCode === 0x87, 'the ctl rule to deny the publish', 3000);
    } finally {
      publishing = false;
      await loop;
    }
    assert.ok(Date.now() - started < 2000, `denied after ${Date.now() - started} ms`);
    assert.equal(await publishCode('public/a'), 0);

    assert.equal((await ctl('acl', 'add', 'allow', 'publish', 'secret/ok', '--first')).code, 0);
    const rules = await ctl('acl', 'list');
    assert.equal(rules.stdout, '099999999000  allow publish secret/ok\n100000000000  deny publish secret/#  (client id writer)\n');
    const deleted = await ctl('acl', 'del', '100000000000');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(JSON.parse((await ctl('acl', 'list', '--json')).stdout), [{ id: '099999999000', permission: 'allow', action: 'publish', topic: 'secret/ok' }]);
    lastCode = 0x87;
    publishing = true;
    const again = (async () => {
      while (publishing) lastCode = await publishCode('secret/a');
    })();
    try {
      await waitFor(() => lastCode === 0, 'the deleted rule to stop denying', 3000);
    } finally {
      publishing = false;
      await again;
    }
  } finally {
    await pool.closeAll();
    await broker.stop();
    await remove();
  }
});

test('ctl - acl and banned errors: unknown rule or ban (exit 1), malformed arguments (exit 2)', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const broker = await startBrokerProcess(dataDir);
  await broker.stop();
  const ctl = (...args: string[]) => starling(['ctl', ...args, '--data-dir', dataDir]);
  try {
    const noRule = await ctl('acl', 'del', '42');
    assert.deepEqual([noRule.code, noRule.stderr], [1, 'starling ctl: no ACL rule 42 in the store (see acl list)\n']);
    const noBan = await ctl('banned', 'del', 'username', 'nobody');
    assert.deepEqual([noBan.code, noBan.stderr], [1, 'starling ctl: no ban on username nobody in the store (see banned list)\n']);
    const missing = await starling(['ctl', 'acl', 'list', '--data-dir', `${dataDir}-nope`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /data directory .*-nope does not exist/);

    const usage: Array<[string[], RegExp]> = [
      [['acl', 'add', 'maybe', 'publish', 'a'], /permission must be allow or deny, got "maybe"/],
      [['acl', 'add', 'allow', 'read', 'a'], /action must be publish, subscribe or all, got "read"/],
      [['acl', 'add', 'allow', 'publish', 'a/#/b'], /topic: '#' must be a whole last level/],
      [['acl', 'add', 'allow', 'publish'], /acl add takes PERMISSION ACTION TOPIC/],
      [['acl', 'frob'], /unknown action "frob" \(expected: add, del, list\)/],
      [['acl', 'list', '--username', 'x'], /--username is only for acl add/],
      [['banned', 'add', 'ip', '1.2.3.4'], /KIND must be one of clientid, username, address, got "ip"/],
      [['banned', 'add', 'address', '10.0.0.0/40'], /prefix length must be 0-32/],
      [['banned', 'add', 'clientid', 'x', '--duration', 'soon'], /--duration takes whole seconds/],
      [['banned', 'del', 'clientid'], /banned del takes KIND VALUE/],
      [['firewall', 'list'], /unknown ctl command "firewall" \(expected: users, admins, api_keys, acl, banned, status, broker, clients, subscriptions, topics, retained, trace, log, reload, rules, connectors\)/],
    ];
    for (const [args, message] of usage) {
      const result = await ctl(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    // Nothing was written by the refused commands
    assert.equal((await ctl('acl', 'list')).stdout, '');
    assert.equal((await ctl('banned', 'list')).stdout, '');
    const help = await starling(['ctl', '--help']);
    assert.match(help.stdout, /Usage: starling ctl acl <action>/);
    assert.match(help.stdout, /Usage: starling ctl banned <action>/);
  } finally {
    await remove();
  }
});
