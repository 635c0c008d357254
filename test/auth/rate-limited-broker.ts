// A broker with given rate limits and a pool of MQTT.js clients, both closed after the test body.

import type { RateLimitsConfig } from '../../src/internal.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool } from '../helpers/client-pool.js';

export const noLimits: RateLimitsConfig = { connectionsPerSecond: 0, connectionsPerAddressPerSecond: 0, messagesPerSecond: 0, bytesPerSecond: 0, policy: 'slow' };

export async function withRateLimitedBroker(rateLimits: Partial<RateLimitsConfig>, body: (server: TestBroker, pool: ClientPool) => Promise<void>): Promise<void> {
  const server = await startBroker({ rateLimits: { ...noLimits, ...rateLimits } });
  const pool = new ClientPool(server.url);
  try {
    await body(server, pool);
  } finally {
    await pool.closeAll();
    await server.close();
  }
}
