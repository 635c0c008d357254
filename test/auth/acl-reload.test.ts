// Reloading the ACL rules file: in process when the file changes (a file that does not parse keeps
// the previous rules, logs why, and a later good file applies), and in a `starling start` child
// process on SIGHUP alone: the new file keeps the old size and modification time, so the file
// watcher cannot see it and only the signal can explain the reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';
import { startBroker } from '../helpers/broker.js';
import { ClientPool } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';
import { capturingLogger, subscribeCodes } from './clients.js';

/** A rules file allowing everything under `<prefix>/#`. */
const rulesFor = (prefix: string): string => `- {permission: allow, action: all, topic: "${prefix}/#"}\n`;
const NOT_RELOADED = 'ACL file not reloaded; keeping the previous rules';

test('acl reload - a changed rules file that does not parse keeps the previous rules; the next good one applies', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'starling-acl-'));
  const file = join(dir, 'acl.yaml');
  writeFileSync(file, rulesFor('first'));
  const { logger, lines } = capturingLogger();
  const server = await startBroker({ logger, acl: { file, default: 'deny', rules: [], disconnectOnDeny: false, cacheSize: 10 } });
  const pool = new ClientPool(server.url);
  try {
    const client = await pool.connect({ protocolVersion: 5, clientId: 'reloader' });
    assert.deepEqual(await subscribeCodes(client, ['first/x', 'second/x']), [0, 0x87]);
    const generation = server.broker.authorization!.generation;

    for (const bad of ['- {permission: allow, action: all, topic: [unclosed\n', '- {permission: maybe, action: all, topic: "second/#"}\n', '- {permission: allow, action: all, topic: "second/#/x"}\n']) {
      const failures = lines.filter((line) => line['msg'] === NOT_RELOADED).length;
      writeFileSync(file, bad);
      await waitFor(() => lines.filter((line) => line['msg'] === NOT_RELOADED).length > failures, `the refusal of ${JSON.stringify(bad)}`);
      assert.equal(server.broker.authorization!.generation, generation);
      assert.deepEqual(await subscribeCodes(client, ['first/y', 'second/y']), [0, 0x87]);
    }
    const refusal = lines.find((line) => line['msg'] === NOT_RELOADED)!;
    assert.equal(refusal['file'], file);
    assert.equal(refusal['level'], 50); // error

    writeFileSync(file, rulesFor('second'));
    await waitFor(() => server.broker.authorization!.generation > generation, 'the good file');
    assert.deepEqual(await subscribeCodes(client, ['first/z', 'second/z']), [0x87, 0]);
  } finally {
    await pool.closeAll();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('acl reload - SIGHUP makes `starling start` re-read the rules file; a bad file keeps the previous rules and the broker running', { timeout: 60_000 }, async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const file = join(dataDir, 'acl.yaml');
  writeFileSync(file, rulesFor('aaaa'));
  const broker = await startBrokerProcess(dataDir, ['--acl', JSON.stringify({ file, default: 'deny' })]);
  const pool = new ClientPool(`mqtt://127.0.0.1:${broker.port}`);
  /** Rewrites the file behind the watcher's back: same size, same modification time. */
  const replaceUnseen = (text: string): void => {
    const before = statSync(file);
    assert.equal(Buffer.byteLength(text), before.size);
    writeFileSync(file, text);
    utimesSync(file, before.atime, before.mtime);
  };
  const logged = (msg: string): number => broker.logs.filter((line) => line['msg'] === msg).length;
  try {
    const client = await pool.connect({ protocolVersion: 5, clientId: 'hup' });
    assert.deepEqual(await subscribeCodes(client, ['aaaa/x', 'bbbb/x']), [0, 0x87]);

    replaceUnseen(rulesFor('bbbb'));
    broker.child.kill('SIGHUP');
    await waitFor(() => broker.logs.some((line) => line['msg'] === 'ACL file reloaded' && line['why'] === 'SIGHUP'), 'the reload on SIGHUP');
    // The reload bumps the rule generation at once: the next check uses the new rules.
    assert.deepEqual(await subscribeCodes(client, ['aaaa/y', 'bbbb/y']), [0x87, 0]);

    const bad = 'not: [a, list'.padEnd(Buffer.byteLength(rulesFor('bbbb')) - 1, ' ') + '\n';
    replaceUnseen(bad);
    broker.child.kill('SIGHUP');
    await waitFor(() => logged(NOT_RELOADED) >= 1, 'the refusal on SIGHUP');
    assert.deepEqual(await subscribeCodes(client, ['aaaa/z', 'bbbb/z']), [0x87, 0]);
    assert.equal(broker.child.exitCode, null);
    assert.equal(broker.logs.filter((line) => line['msg'] === 'ACL file reloaded' && line['why'] === 'SIGHUP').length, 1);
  } finally {
    await pool.closeAll();
    await broker.stop();
    await remove();
  }
});

test('acl reload - a rules file that cannot be read at start-up stops the broker from starting, naming acl.file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'starling-acl-'));
  try {
    const acl = { default: 'deny' as const, rules: [], disconnectOnDeny: false, cacheSize: 10 };
    await assert.rejects(startBroker({ acl: { ...acl, file: join(dir, 'missing.yaml') } }), /acl\.file: cannot load .*missing\.yaml: ENOENT/);
    writeFileSync(join(dir, 'bad.yaml'), '- {permission: allow, action: all}\n');
    await assert.rejects(startBroker({ acl: { ...acl, file: join(dir, 'bad.yaml') } }), /acl\.file: cannot load .*bad\.yaml: .*topic/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
