// Messages saved in one turn share one segment record. What must hold: a message ended while others
// in its segment are still owed stays ended across restarts (its dead bit is written before its
// delivery records go), a segment whose messages have all ended is removed, and a turn with more
// messages than one segment may span is split over several.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbStore } from '../../src/internal.js';
import { SEGMENT_SPAN } from '../../src/internal.js';
import { delivery, message, richMessage, StoreHarness, NODE } from './store-conformance.js';

const makeSync = (dir: string) => Promise.resolve(new LmdbStore({ path: dir, durability: 'sync', batchIntervalMs: 10 }));

async function withHarness(body: (harness: StoreHarness) => Promise<void>): Promise<void> {
  const harness = new StoreHarness(makeSync, true);
  await harness.start();
  try {
    await body(harness);
  } finally {
    await harness.stop();
  }
}

/** Counts the records of a database once the store is closed. */
async function countRecords(dir: string, name: string): Promise<number> {
  const root = open({ path: join(dir, 'starling.mdb') });
  try {
    return root.openDB({ name, encoding: 'binary' }).getKeysCount();
  } finally {
    await root.close();
  }
}

/** Saves messages `ids` in one turn, each owed to client c inside its record (sequence = id). */
function saveOwedToC(harness: StoreHarness, ids: number[]): void {
  for (const id of ids) harness.store.messages.saveMessage(id, message(`t/${id}`), ['c'], [delivery(id, id)]);
}

test('lmdb segments - the messages of one turn are one record', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [1, 2, 3, 4, 5]);
    await harness.store.flushed();
    await harness.store.close();
    assert.equal(await countRecords(harness.dir, 'segments'), 1);
    const state = await harness.reload();
    assert.deepEqual([...state.messages.keys()], [1, 2, 3, 4, 5]);
  }));

test('lmdb segments - a message ended beside owed ones stays ended after one restart and the next', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [1, 2, 3]);
    harness.store.messages.saveDelivery('c', delivery(2, 2, { packetId: 7, sent: true })); // a later state, kept apart
    await harness.reload();
    harness.store.messages.deleteMessage(2);
    let state = await harness.reload();
    assert.deepEqual([...state.messages.keys()], [1, 3]);
    assert.deepEqual(state.deliveries.get('c')?.map((owed) => owed.sequence), [1, 3]);
    assert.equal(await countRecords(harness.dir, 'dead-messages'), 1, 'the bitmap of the segment');
    state = await harness.reload();
    assert.deepEqual([...state.messages.keys()], [1, 3]);
    assert.deepEqual(state.deliveries.get('c')?.map((owed) => owed.sequence), [1, 3]);
  }));

test('lmdb segments - a message ended in the turn it was saved is not brought back', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [1, 2]);
    harness.store.messages.deleteMessage(1);
    const state = await harness.reload();
    assert.deepEqual([...state.messages.keys()], [2]);
    assert.deepEqual(state.deliveries.get('c')?.map((owed) => owed.sequence), [2]);
  }));

test('lmdb segments - a segment whose messages have all ended is removed with its bitmap', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [1, 2, 3]);
    await harness.reload();
    harness.store.messages.deleteMessage(1);
    await harness.reload(); // the bitmap is written
    harness.store.messages.deleteMessage(2);
    harness.store.messages.deleteMessage(3);
    const state = await harness.reload();
    assert.equal(state.messages.size, 0);
    await harness.store.close();
    assert.equal(await countRecords(harness.dir, 'segments'), 0);
    assert.equal(await countRecords(harness.dir, 'dead-messages'), 0);
  }));

for (const othersInSegment of [true, false]) {
  test(`lmdb segments - deleteMessage removes its delivery records itself, read at open or written since (${othersInSegment ? 'segment kept' : 'segment removed'})`, () =>
    withHarness(async (harness) => {
      harness.store.messages.saveMessage(1, message('t/1'), ['a', 'b'], [delivery(1, 1), delivery(2, 1)]);
      if (othersInSegment) harness.store.messages.saveMessage(2, message('t/2'), ['a'], [delivery(3, 2)]);
      harness.store.messages.saveDelivery('a', delivery(1, 1, { packetId: 5, sent: true }));
      harness.store.messages.deleteDelivery('b', 2, 1);
      await harness.reload();
      harness.store.messages.saveDelivery('c', delivery(4, 1));
      harness.store.messages.deleteMessage(1);
      await harness.store.flushed();
      await harness.store.close();
      // Counted before any open could collect them: the store removed them at deleteMessage.
      assert.equal(await countRecords(harness.dir, 'deliveries'), 0);
      assert.equal(await countRecords(harness.dir, 'segments'), othersInSegment ? 1 : 0);
      const state = await harness.reload();
      assert.deepEqual([...state.messages.keys()], othersInSegment ? [2] : []);
    }));
}

test('lmdb segments - a message no delivery needs is found ended at open, and its segment kept for the others', () =>
  withHarness(async (harness) => {
    harness.store.messages.saveMessage(1, message('t/1'), [], []); // owed to nobody
    saveOwedToC(harness, [2]);
    let state = await harness.reload();
    assert.deepEqual([...state.messages.keys()], [2]);
    harness.store.messages.saveDelivery('d', delivery(9, 1)); // refers to the ended message
    state = await harness.reload();
    assert.equal(state.deliveries.has('d'), false, 'message 1 stays ended');
  }));

test('lmdb segments - a turn with more messages than one segment spans is split, and every message read back', () =>
  withHarness(async (harness) => {
    const ids = Array.from({ length: SEGMENT_SPAN + 10 }, (_, index) => index + 1);
    saveOwedToC(harness, ids);
    await harness.store.flushed();
    await harness.store.close();
    assert.equal(await countRecords(harness.dir, 'segments'), 2);
    const state = await harness.reload();
    assert.equal(state.messages.size, ids.length);
    assert.equal(state.deliveries.get('c')?.length, ids.length);
  }));

test('lmdb segments - message ids must ascend', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [5]);
    assert.throws(() => saveOwedToC(harness, [4]), /message 4 saved after message 5/);
    await harness.store.flushed();
    assert.throws(() => saveOwedToC(harness, [3]), /overlaps/);
  }));

test('lmdb segments - a segment with bytes that do not decode makes open() fail with a StoreError, not an empty start', () =>
  withHarness(async (harness) => {
    saveOwedToC(harness, [1]);
    await harness.store.flushed();
    await harness.store.close();
    const root = open({ path: join(harness.dir, 'starling.mdb') });
    await root.openDB({ name: 'segments', encoding: 'binary' }).put(1, Buffer.from([0, 1, 200]));
    await root.close();
    await assert.rejects(harness.reload(), (error: Error) => error.name === 'StoreError' && /segment 1/.test(error.message) && /restore a backup/.test(error.message));
    harness.store = await makeSync(harness.dir); // so stop() has an unopened store to close
  }));

test('lmdb segments - messages with binary properties in many segments read back intact (no views of a reused read buffer)', () =>
  withHarness(async (harness) => {
    for (let turn = 1; turn <= 20; turn++) {
      harness.store.messages.saveMessage(turn, richMessage(`t/${turn}`), ['c'], [delivery(turn, turn)]);
      await harness.store.flushed(); // one segment each
    }
    const state = await harness.reload();
    for (let id = 1; id <= 20; id++) assert.deepEqual(state.messages.get(id), richMessage(`t/${id}`));
  }));

test('lmdb store - a key longer than LMDB allows is refused at the call, and the store goes on', () =>
  withHarness(async (harness) => {
    const topic = `t/${'x'.repeat(2000)}`; // a valid MQTT topic, above lmdb-js's 1978-byte key limit
    assert.throws(() => harness.store.retained.save(message(topic, { retain: true })), /longer than the store allows/);
    assert.throws(() => harness.store.messages.addIncomingQos2('é'.repeat(1000), 1), /longer than the store allows/);
    harness.store.messages.addIncomingQos2('c', 1);
    await harness.store.flushed();
    const state = await harness.reload();
    assert.deepEqual(state.incomingQos2.get('c'), [1]);
    assert.deepEqual(state.retained, []);
  }));

test('lmdb store - opened for records only (starling ctl), a format 2 store is left in format 2', async () => {
  const harness = new StoreHarness(makeSync, true);
  await harness.start();
  try {
    await harness.store.close();
    const file = join(harness.dir, 'starling.mdb');
    const root = open({ path: file });
    await root.openDB({ name: 'meta' }).put('format', 2);
    await root.openDB({ name: 'messages', sharedStructuresKey: Symbol.for('structures') }).put(1, message('t/1'));
    await root.close();
    const ctl = new LmdbStore({ path: harness.dir, durability: 'sync', batchIntervalMs: 10 });
    await ctl.openRecords();
    ctl.records.save('user', 'u', { name: 'u' });
    await ctl.flushed();
    await ctl.close();
    const reopened = open({ path: file });
    assert.equal(reopened.openDB({ name: 'meta' }).get('format'), 2, 'a running older broker keeps its layout');
    assert.equal(reopened.openDB({ name: 'messages' }).getKeysCount(), 1);
    await reopened.close();
    harness.store = await makeSync(harness.dir);
    await harness.store.open(NODE); // the broker itself upgrades it
  } finally {
    await harness.stop();
  }
});

test('lmdb store - flushed() after close() does not wait forever', () =>
  withHarness(async (harness) => {
    harness.store.retained.save(message('r', { retain: true }));
    await harness.store.close();
    assert.equal(harness.store.flushed(), undefined);
    harness.store = await makeSync(harness.dir);
    await harness.store.open(NODE);
  }));
