// The LMDB store against the shared conformance suite (reading back through close + reopen),
// plus what only a durable store has: corruption and format errors, flushed(), batched mode, size.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbStore } from '../../src/internal.js';
import { createStore } from '../../src/internal.js';
import { StoreError } from '../../src/internal.js';
import { delivery, encodeDeliveries, message, owed, richMessage, session, storeConformance, StoreHarness, NODE } from './store-conformance.js';

const makeSync = (dir: string) => Promise.resolve(new LmdbStore({ path: dir, durability: 'sync', batchIntervalMs: 10 }));

storeConformance('lmdb', makeSync, true);

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'starling-lmdb-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function assertStoreError(error: unknown, file: string): true {
  assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
  assert.equal(error.path, file);
  assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
  assert.match(error.message, /move the data directory away to start empty, or restore a backup/);
  return true;
}

test('lmdb store - a corrupt data file makes open() reject with a StoreError naming it', () =>
  withDir(async (dir) => {
    const first = await makeSync(dir);
    await first.open(NODE);
    first.retained.save(message('r'));
    await first.flushed();
    await first.close();
    const file = join(dir, 'starling.mdb');
    const { size } = await stat(file);
    await writeFile(file, Buffer.alloc(size, 0x5a));
    await assert.rejects((await makeSync(dir)).open(NODE), (error) => assertStoreError(error, file));
  }));

test('lmdb store - a store in an unknown format is refused, not emptied', () =>
  withDir(async (dir) => {
    const file = join(dir, 'starling.mdb');
    const root = open({ path: file });
    await root.openDB({ name: 'meta' }).put('format', 99);
    await root.close();
    await assert.rejects((await makeSync(dir)).open(NODE), (error) => assertStoreError(error, file) && /format 99/.test((error as Error).message));
  }));

test('lmdb store - a format 1 store (one record per delivery, messages without deliveries) is read, its messages moved into segments', () =>
  withDir(async (dir) => {
    const file = join(dir, 'starling.mdb');
    const sharedStructuresKey = Symbol.for('structures');
    const root = open({ path: file });
    await root.openDB({ name: 'meta' }).put('format', 1);
    await root.openDB({ name: 'sessions', sharedStructuresKey }).put('c', session('c'));
    await root.openDB({ name: 'messages', sharedStructuresKey }).put(1, message('t/1'));
    await root.openDB({ name: 'deliveries', sharedStructuresKey }).put(['c', 4], delivery(4, 1, { packetId: 3, sent: true }));
    await root.close();
    const store = await makeSync(dir);
    const state = await store.open(NODE);
    await store.close();
    assert.deepEqual(state.sessions, [session('c')]);
    assert.deepEqual(state.deliveries.get('c'), [delivery(4, 1, { packetId: 3, sent: true })]);
    assert.deepEqual(state.messages.get(1), message('t/1'));
    await assertFormat3(file, 1);
  }));

test('lmdb store - a format 2 store (deliveries inside message records) is read, its messages moved into segments', () =>
  withDir(async (dir) => {
    const file = join(dir, 'starling.mdb');
    const sharedStructuresKey = Symbol.for('structures');
    const root = open({ path: file });
    await root.openDB({ name: 'meta' }).put('format', 2);
    const messages = root.openDB({ name: 'messages', sharedStructuresKey });
    const inside = [owed('a', 10, 5), owed('b', 11, 5, { qos: 2, packetId: 9, sent: true })];
    await messages.put(5, { ...richMessage('t/5'), deliveries: Buffer.from(encodeDeliveries(['a', 'b'], inside)) });
    await messages.put(6, { ...message('t/6'), deliveries: Buffer.from(encodeDeliveries(['a'], [owed('a', 12, 6)])) });
    await root.openDB({ name: 'deliveries', sharedStructuresKey }).put(['a', 12], 6); // ended: message 6 is owed to nobody
    await root.close();
    const store = await makeSync(dir);
    const state = await store.open(NODE);
    await store.close();
    assert.deepEqual(state.messages.get(5), richMessage('t/5'));
    assert.equal(state.messages.has(6), false);
    assert.deepEqual(state.deliveries.get('a'), [delivery(10, 5)]);
    assert.deepEqual(state.deliveries.get('b'), [delivery(11, 5, { qos: 2, packetId: 9, sent: true })]);
    await assertFormat3(file, 1);
  }));

async function assertFormat3(file: string, segments: number): Promise<void> {
  const reopened = open({ path: file });
  try {
    assert.equal(reopened.openDB({ name: 'meta' }).get('format'), 3, 'marked with the format it now holds');
    assert.equal(reopened.openDB({ name: 'messages' }).getKeysCount(), 0, 'no message records left');
    assert.equal(reopened.openDB({ name: 'segments', encoding: 'binary' }).getKeysCount(), segments);
  } finally {
    await reopened.close();
  }
}

test('lmdb store - data without a format marker is refused', () =>
  withDir(async (dir) => {
    const file = join(dir, 'starling.mdb');
    const root = open({ path: file });
    await root.openDB({ name: 'retained', sharedStructuresKey: Symbol.for('structures') }).put('t', message('t'));
    await root.close();
    await assert.rejects((await makeSync(dir)).open(NODE), (error) => assertStoreError(error, file));
  }));

test('lmdb store - flushed() resolves after writes and is undefined when idle', () =>
  withDir(async (dir) => {
    const store = await makeSync(dir);
    await store.open(NODE);
    assert.equal(store.flushed(), undefined, 'nothing written yet');
    store.messages.saveMessage(1, message('t'), [], []);
    store.messages.saveDelivery('c', delivery(1, 1));
    const flushed = store.flushed();
    assert.ok(flushed instanceof Promise);
    assert.equal(store.flushed(), flushed, 'a second call before the commit waits for the same writes');
    await flushed;
    assert.equal(store.flushed(), undefined, 'idle again once durable');
    await store.close();
  }));

test('lmdb store - batched mode never makes the caller wait, and still persists on close', () =>
  withDir(async (dir) => {
    const store = new LmdbStore({ path: dir, durability: 'batched', batchIntervalMs: 20 });
    await store.open(NODE);
    store.retained.save(message('r'));
    assert.equal(store.flushed(), undefined);
    await store.close();
    const reopened = new LmdbStore({ path: dir, durability: 'batched', batchIntervalMs: 20 });
    const state = await reopened.open(NODE);
    assert.deepEqual(state.retained, [message('r')]);
    await reopened.close();
  }));

test('lmdb store - batched mode: loadSession sees the writes made before it, not yet committed', () =>
  withDir(async (dir) => {
    const store = new LmdbStore({ path: dir, durability: 'batched', batchIntervalMs: 50 });
    await store.open(NODE);
    store.sessions.save(session('c'));
    store.messages.saveMessage(1, message('t/1'), ['c'], [delivery(1, 1)]);
    store.messages.addIncomingQos2('c', 3);
    assert.deepEqual(await store.sessions.loadSession('c'), { session: session('c'), deliveries: [{ delivery: delivery(1, 1), message: message('t/1') }], incomingQos2: [3] });
    await store.close();
  }));

test('lmdb store - an orphan message is deleted at open, not just hidden', async () => {
  const harness = new StoreHarness(makeSync, true);
  await harness.start();
  try {
    harness.store.messages.saveMessage(7, message('orphan'), [], []);
    await harness.reload(); // collects message 7
    harness.store.messages.saveDelivery('c', delivery(1, 7)); // now refers to a message that no longer exists
    const state = await harness.reload();
    assert.equal(state.messages.has(7), false);
    assert.equal(state.deliveries.has('c'), false, 'a delivery without its message is dropped');
  } finally {
    await harness.stop();
  }
});

test('lmdb store - a data directory holds one node\'s ids: opened under another node name it hands them on and records the new owner', () =>
  withDir(async (dir) => {
    const first = await makeSync(dir);
    await first.open('starling@old-host');
    first.messages.saveMessage(7, message('t'), ['c'], [delivery(12, 7)]);
    await first.close();
    const renamed = await makeSync(dir);
    const state = await renamed.open('starling@new-host');
    await renamed.close();
    assert.equal(state.nodeName, 'starling@new-host');
    assert.equal(state.lastMessageId, 7, 'ids continue: no id is used twice');
    assert.equal(state.lastSequence, 12);
    const root = open({ path: join(dir, 'starling.mdb') });
    try {
      assert.equal(root.openDB({ name: 'meta' }).get('nodeName'), 'starling@new-host');
      assert.equal(root.openDB({ name: 'meta' }).get('format'), 3, 'the format is unchanged');
    } finally {
      await root.close();
    }
  }));

test('lmdb store - sizeBytes() grows as data is written', () =>
  withDir(async (dir) => {
    const store = await makeSync(dir);
    await store.open(NODE);
    const before = store.sizeBytes();
    assert.ok(before > 0);
    const payload = Buffer.alloc(1000, 1);
    for (let i = 0; i < 1000; i++) store.retained.save(message(`t/${i}`, { payload }));
    await store.flushed();
    assert.ok(store.sizeBytes() >= before + 1000 * 1000, `${store.sizeBytes()} should exceed ${before} by 1 MB`);
    await store.close();
  }));

test("createStore - durability 'sync' builds an LmdbStore under the data directory", () =>
  withDir(async (dir) => {
    const store = createStore({ dataDir: join(dir, 'nested'), durability: 'sync', batchIntervalMs: 10, maxStoreBytes: 1 << 20 });
    assert.ok(store instanceof LmdbStore);
    await store.open(NODE);
    await store.close();
    assert.ok((await stat(join(dir, 'nested', 'starling.mdb'))).size > 0);
  }));

test('lmdb store - records committed by another process are read without reopening (starling ctl beside a running broker)', () =>
  withDir(async (dir) => {
    const store = await makeSync(dir);
    await store.open(NODE);
    try {
      assert.equal(store.records.get('user', 'from-child'), undefined);
      const storeModule = new URL('../../src/store/lmdb/lmdb-store.js', import.meta.url).href;
      const script = `
        const { LmdbStore } = await import(${JSON.stringify(storeModule)});
        const store = new LmdbStore({ path: ${JSON.stringify(dir)}, durability: 'sync', batchIntervalMs: 10 });
        await store.openRecords();
        store.records.save('user', 'from-child', { written: 'by child' });
        await store.flushed();
        await store.close();`;
      const { execFile } = await import('node:child_process');
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], (error, _stdout, stderr) =>
          error === null ? resolve() : reject(new Error(`child failed: ${stderr}`, { cause: error })),
        );
      });
      assert.deepEqual(store.records.get('user', 'from-child'), { written: 'by child' });
      assert.deepEqual(store.records.list('user'), [['from-child', { written: 'by child' }]]);
    } finally {
      await store.close();
    }
  }));
