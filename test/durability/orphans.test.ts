// Deliveries owed to a client with no session record (left by a crash between two commits) are
// ended at start: nobody can receive them, and kept they would pin their messages in the store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore } from '../../src/internal.js';
import { delivery, message, session, NODE } from '../store/store-conformance.js';
import { startBroker } from '../helpers/broker.js';

test('restart - deliveries owed to a client without a session are ended at start, those of live sessions kept', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-orphans-'));
  const store = (): LmdbStore => new LmdbStore({ path: dataDir, durability: 'sync', batchIntervalMs: 10 });
  try {
    const before = store();
    await before.open(NODE);
    before.sessions.save(session('alive'));
    before.messages.saveMessage(1, message('a/1'), ['ghost'], [delivery(1, 1)]);
    before.messages.saveMessage(2, message('a/2'), ['alive', 'ghost'], [delivery(2, 2), delivery(3, 2)]);
    await before.flushed();
    await before.close();

    const started = await startBroker({ durability: 'sync' }, dataDir);
    await started.broker.close();

    const after = store();
    const state = await after.open(NODE);
    await after.close();
    assert.deepEqual([...state.messages.keys()], [2], 'message 1 was owed to nobody with a session');
    assert.deepEqual([...state.deliveries.keys()], ['alive']);
    assert.deepEqual(state.deliveries.get('alive')?.map((owed) => owed.sequence), [2]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
