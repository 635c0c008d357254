// Failed-authentication lockout keyed by username, over real MQTT.js 3.1.1 and 5 connections from
// several loopback addresses (127.0.0.2, 127.0.0.3, ...), so that no single address reaches the
// limit: with the defaults (5 failures in 60 s -> 5 minutes), the fifth failure for one username
// locks that username out, even with the right password, another client id and a fresh address; the
// lock is logged and counted; other usernames are not affected; the lock ends after its duration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { capturingLogger, connackCode } from './clients.js';

/** A client address of its own for each attempt: 127.0.0.<n>. */
const address = (n: number): string => `127.0.0.${n}`;

test('lockout - 5 failures for one username from 5 addresses lock that username for 5 minutes (defaults); other usernames connect; logged and counted', async () => {
  const { logger, lines } = capturingLogger();
  const server = await startBroker({ authentication: [{ type: 'builtin' }], logger });
  const stats = server.broker.authorization!.lockout.stats;
  try {
    await server.broker.users.add('eve', 'right password');
    await server.broker.users.add('frank', 'franks password');
    const attempt = (n: number, protocolVersion: 4 | 5, username: string, password: string, clientId = `c${n}-${username}`) =>
      connackCode(server.url, { protocolVersion, clientId, username, password }, undefined, address(n)).then((result) => result.code);

    for (let n = 2; n <= 5; n++) assert.equal(await attempt(n, n % 2 === 0 ? 5 : 4, 'eve', 'wrong'), n % 2 === 0 ? 0x86 : 4);
    // Not locked yet: four failures are under the limit.
    assert.equal(await attempt(7, 5, 'eve', 'right password', 'eve-early'), 0);
    assert.equal(await attempt(6, 5, 'eve', 'wrong'), 0x86);
    assert.equal(stats.locks, 1);

    // Locked: the right password, a new client id, an address that never failed.
    const lockedAt = Date.now();
    assert.equal(await attempt(8, 5, 'eve', 'right password', 'eve-phone'), 0x8a);
    assert.equal(await attempt(9, 4, 'eve', 'right password', 'eve-laptop'), 5);
    assert.equal(stats.refused, 2);
    // The same counts in the metrics registry.
    assert.equal(server.broker.metrics.value('auth.lockouts'), 1);
    assert.equal(server.broker.metrics.value('connections.refused', { reason: 'locked_out' }), 2);
    assert.equal(server.broker.metrics.value('auth.failures'), 5);
    // Another username, also from an address that failed for eve: unaffected.
    assert.equal(await attempt(2, 5, 'frank', 'franks password'), 0);
    assert.equal(await attempt(8, 4, 'frank', 'franks password'), 0);
    // Only the username was locked: no address reached five failures.
    assert.equal(server.broker.authorization!.lockout.lockFor(address(2), undefined, Date.now()), undefined);

    const started = lines.filter((line) => line['msg'] === 'failed-authentication lockout');
    assert.deepEqual(started.map((line) => [line['lock'], line['maxFailures'], line['window'], line['duration']]), [['username eve', 5, 60, 300]]);
    const refusals = lines.filter((line) => line['msg'] === 'locked out after failed authentications');
    assert.deepEqual(refusals.map((line) => [line['lock'], line['clientId']]), [['username eve', 'eve-phone'], ['username eve', 'eve-laptop']]);
    const until = Date.parse(refusals[0]!['until'] as string);
    assert.ok(until > lockedAt + 299_000 && until <= lockedAt + 300_000, `locked until ${refusals[0]!['until']}`);
  } finally {
    await server.close();
  }
});

test('lockout - a username lock ends after its duration', async () => {
  const server = await startBroker({ authentication: [{ type: 'builtin' }], lockout: { maxFailures: 2, window: 60, duration: 1 } });
  const lockout = server.broker.authorization!.lockout;
  try {
    await server.broker.users.add('eve', 'right password');
    const attempt = (n: number, password: string) =>
      connackCode(server.url, { protocolVersion: 5, clientId: `c${n}`, username: 'eve', password }, undefined, address(n)).then((result) => result.code);
    assert.equal(await attempt(2, 'wrong'), 0x86);
    assert.equal(await attempt(3, 'wrong'), 0x86);
    const lock = lockout.lockFor(address(4), 'eve', Date.now());
    assert.equal(lock?.key, 'username eve');
    assert.equal(await attempt(4, 'right password'), 0x8a);
    await waitFor(() => Date.now() > lock!.until, 'the end of the lock', 3000);
    assert.equal(await attempt(5, 'right password'), 0);
  } finally {
    await server.close();
  }
});
