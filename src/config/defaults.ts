// Default settings: what `starling start` with no config file runs with.

import { hostname } from 'node:os';
import type { BrokerConfig } from './types.js';

export function defaultConfig(): BrokerConfig {
  return {
    nodeName: `starling@${hostname()}`,
    listeners: [
      { type: 'tcp', host: '::', port: 1883 },
      { type: 'ws', host: '::', port: 8083, path: '/mqtt' },
    ],
    dataDir: './data',
    durability: 'sync',
    batchIntervalMs: 10,
    maxStoreBytes: 8 * 1024 ** 3,
    logLevel: 'info',
    logPretty: Boolean(process.stdout.isTTY),
    sysInterval: 10,
    maxConnections: 100_000,
    maxPacketSize: 1024 * 1024,
    maxTopicLevels: 128,
    maxInflight: 32,
    maxQueuedMessages: 1000,
    maxTopicAliases: 1024,
    maxKeepAlive: 65535,
    maxSessionExpiryInterval: 0xffffffff,
    connectTimeout: 10,
    maxOutgoingBufferBytes: 1024 * 1024,
    drainTimeout: 30,
    sharedSubscriptionStrategy: 'round_robin',
    retainAvailable: true,
    maxQoS: 2,
    authentication: [],
    passwordHash: 'argon2id',
    acl: { file: '', default: 'allow', rules: [], disconnectOnDeny: false, cacheSize: 1000 },
    bans: [],
    lockout: { maxFailures: 5, window: 60, duration: 300 },
    rateLimits: { connectionsPerSecond: 0, connectionsPerAddressPerSecond: 0, messagesPerSecond: 0, bytesPerSecond: 0, policy: 'slow' },
    flapping: { maxCount: 0, window: 60, duration: 300 },
    maxPendingConnectionsPerAddress: 1000,
    // Connectors before rules: a reload applies changed keys in this order, and a new rule may name a new connector.
    connectors: {},
    rules: {},
  };
}
