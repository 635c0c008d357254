// The in-memory store against the shared conformance suite, plus what is particular to it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/internal.js';
import { createStore } from '../../src/internal.js';
import { storeConformance, NODE } from './store-conformance.js';

storeConformance('memory', () => Promise.resolve(new MemoryStore()), false);

test('memory store - flushed() has nothing to wait for', async () => {
  const store = new MemoryStore();
  await store.open(NODE);
  store.retained.save({ topic: 't', payload: Buffer.from('x'), qos: 0, retain: true, properties: {}, from: undefined, receivedAt: 0, expiresAt: undefined });
  assert.equal(store.flushed(), undefined);
  await store.close();
});

test("createStore - durability 'memory' builds a MemoryStore", () => {
  assert.ok(createStore({ dataDir: '/nonexistent', durability: 'memory', batchIntervalMs: 10 }) instanceof MemoryStore);
});
