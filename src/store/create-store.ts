// Builds the Store the configuration asks for: LMDB under the data directory, or memory.

import { LmdbStore } from './lmdb/lmdb-store.js';
import { MemoryStore } from './memory/memory-store.js';
import type { Store } from './store.js';

export interface StoreConfig {
  dataDir: string;
  durability: 'sync' | 'batched' | 'memory';
  batchIntervalMs: number;
  maxStoreBytes?: number;
}

export function createStore(config: StoreConfig): Store {
  if (config.durability === 'memory') return new MemoryStore();
  return new LmdbStore({
    path: config.dataDir,
    durability: config.durability,
    batchIntervalMs: config.batchIntervalMs,
    ...(config.maxStoreBytes === undefined ? {} : { maxSizeBytes: config.maxStoreBytes }),
  });
}
