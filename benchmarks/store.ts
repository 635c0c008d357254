// Store benchmark (node dist/benchmarks/store.js): (a) group-committed delivery writes in sync mode,
// (b) writing, closing and loading one million retained messages.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore } from '../src/internal.js';
import type { StoredDelivery, StoredMessage } from '../src/internal.js';

const DELIVERIES = 100_000;
const BATCH = 100;
const RETAINED = 1_000_000;

function rate(count: number, ms: number): string {
  return `${Math.round((count * 1000) / ms).toLocaleString('en-US')}/s`;
}

async function deliveries(dir: string): Promise<void> {
  const store = new LmdbStore({ path: dir, durability: 'sync', batchIntervalMs: 10 });
  await store.open('starling@bench');
  const payload = Buffer.alloc(64, 1);
  const started = performance.now();
  let commits = 0;
  for (let sequence = 1; sequence <= DELIVERIES; sequence += BATCH) {
    // One batch = one event turn: a message and its delivery, as a QoS 1 publish to one session.
    for (let i = sequence; i < sequence + BATCH; i++) {
      const message: StoredMessage = { topic: `t/${i % 100}`, payload, qos: 1, retain: false, properties: {}, from: 'bench', receivedAt: Date.now(), expiresAt: undefined };
      const delivery: StoredDelivery = { sequence: i, messageId: i, qos: 1, retain: false, subscriptionIdentifiers: undefined, sharedGroup: undefined, packetId: 0, sent: false, released: false };
      store.messages.saveMessage(i, message, [`client-${i % 10}`], [delivery]);
    }
    await store.flushed();
    commits++;
  }
  const ms = performance.now() - started;
  console.log(
    `(a) sync: ${DELIVERIES} deliveries (+ their messages) in batches of ${BATCH}: ${ms.toFixed(0)} ms, ` +
      `${rate(DELIVERIES, ms)} deliveries, ${rate(commits, ms)} durable commits, size ${(store.sizeBytes() / 1e6).toFixed(1)} MB`,
  );
  await store.close();
}

async function retained(dir: string): Promise<void> {
  let store = new LmdbStore({ path: dir, durability: 'sync', batchIntervalMs: 10 });
  await store.open('starling@bench');
  const payload = Buffer.alloc(32, 7);
  let started = performance.now();
  for (let i = 0; i < RETAINED; i++) {
    const topic = `sensors/${i % 1000}/${i}`;
    store.retained.save({ topic, payload, qos: 1, retain: true, properties: {}, from: 'bench', receivedAt: Date.now(), expiresAt: undefined });
    if (i % 10_000 === 9_999) await store.flushed();
  }
  await store.flushed();
  const writeMs = performance.now() - started;
  const size = store.sizeBytes();
  started = performance.now();
  await store.close();
  const closeMs = performance.now() - started;

  store = new LmdbStore({ path: dir, durability: 'sync', batchIntervalMs: 10 });
  const heapBefore = process.memoryUsage().heapUsed;
  started = performance.now();
  const state = await store.open('starling@bench');
  const openMs = performance.now() - started;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  if (state.retained.length !== RETAINED) throw new Error(`loaded ${state.retained.length} retained messages, expected ${RETAINED}`);
  console.log(
    `(b) ${RETAINED} retained: write ${writeMs.toFixed(0)} ms (${rate(RETAINED, writeMs)}), close ${closeMs.toFixed(0)} ms, ` +
      `open ${openMs.toFixed(0)} ms (${rate(RETAINED, openMs)}), file ${(size / 1e6).toFixed(0)} MB, heap +${heapMb.toFixed(0)} MB`,
  );
  await store.close();
}

const dir = await mkdtemp(join(tmpdir(), 'starling-bench-store-'));
try {
  await deliveries(join(dir, 'deliveries'));
  await retained(join(dir, 'retained'));
} finally {
  await rm(dir, { recursive: true, force: true });
}
