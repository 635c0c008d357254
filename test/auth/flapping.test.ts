// Flapping: a client id that disconnects max_count times within window seconds is banned for
// duration seconds (CONNECT refused with v5 0x8A / v3.1.1 5), other client ids are not, and the
// ban expires. The window itself is checked on the detector with explicit times.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlappingDetector } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { ClientPool } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';

test('flapping - only disconnections within the window count', () => {
  const detector = new FlappingDetector({ maxCount: 3, window: 10, duration: 60 });
  assert.equal(detector.record('a', 0), false);
  assert.equal(detector.record('a', 5_000), false);
  assert.equal(detector.record('a', 10_500), false); // the one at 0 left the window
  assert.equal(detector.record('b', 10_600), false);
  assert.equal(detector.record('a', 11_000), true); // 5.0, 10.5, 11.0 s
  assert.equal(detector.record('a', 11_100), false); // counting starts again after a report
  assert.equal(new FlappingDetector({ maxCount: 0, window: 10, duration: 60 }).enabled, false);
});

test('flapping - the third disconnection within the window bans the client id until the ban expires', async () => {
  const server = await startBroker({ flapping: { maxCount: 3, window: 60, duration: 1 } });
  const pool = new ClientPool(server.url);
  const stats = server.broker.authorization!.stats;
  try {
    for (let round = 0; round < 2; round++) {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'flappy' });
      await client.endAsync();
    }
    await pool.connect({ protocolVersion: 5, clientId: 'steady' });
    // Two disconnections: not yet flapping
    const third = await pool.connect({ protocolVersion: 4, clientId: 'flappy' });
    assert.equal(stats.flappingBans, 0);
    await third.endAsync();
    await waitFor(() => stats.flappingBans === 1, 'the flapping ban');
    const bannedAt = Date.now();
    assert.equal((await pool.attempt({ protocolVersion: 5, clientId: 'flappy' })).error?.code, 0x8a);
    assert.equal((await pool.attempt({ protocolVersion: 4, clientId: 'flappy' })).error?.code, 5);
    assert.equal(stats.bannedRefused, 2);
    // Other client ids are not affected
    await pool.connect({ protocolVersion: 5, clientId: 'steady-2' });

    // duration: 1 second, then the client id is admitted again
    const bans = server.broker.authorization!.bans;
    await waitFor(() => bans.find({ clientId: 'flappy', username: undefined, address: '127.0.0.1' }, Date.now()) === undefined, 'the ban to expire', 3000);
    await pool.connect({ protocolVersion: 5, clientId: 'flappy' });
    assert.ok(Date.now() - bannedAt >= 900, `admitted again after ${Date.now() - bannedAt} ms`);
  } finally {
    await pool.closeAll();
    await server.close();
  }
});
