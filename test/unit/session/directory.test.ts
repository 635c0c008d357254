// The session directory: opening is synchronous without a loader; with one, opens of one client id wait
// for each other in order, while other ids are not held up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerCore } from '../../../src/internal.js';
import { defaultConfig } from '../../../src/internal.js';
import { SessionRegistry, type LiveClient, type OpenedSession } from '../../../src/internal.js';

function client(log: string[], name: string): LiveClient {
  return { kick: (reasonCode) => log.push(`kick ${name} 0x${reasonCode.toString(16)}`), resolvePeer: () => {} };
}

test('session directory - without a loader open() answers at once, not with a promise', () => {
  const directory = new SessionRegistry(new BrokerCore(defaultConfig()));
  const opened = directory.open('a', true, client([], 'a'));
  assert.equal(opened instanceof Promise, false);
  assert.equal((opened as OpenedSession).session.clientId, 'a');
});

test('session directory - two CONNECTs with one id never interleave: the second open waits for the first, another id does not', async () => {
  const directory = new SessionRegistry(new BrokerCore(defaultConfig()));
  const log: string[] = [];
  const releases = new Map<string, () => void>();
  directory.loader = (clientId) => {
    log.push(`load ${clientId} start`);
    return new Promise<void>((resolve) => {
      releases.set(clientId, () => {
        log.push(`load ${clientId} end`);
        resolve();
      });
    });
  };
  const first = Promise.resolve(directory.open('x', false, client(log, 'first'))).then((o) => log.push(`opened first present=${o.sessionPresent}`));
  const second = Promise.resolve(directory.open('x', false, client(log, 'second'))).then((o) => log.push(`opened second present=${o.sessionPresent}`));
  const other = Promise.resolve(directory.open('y', true, client(log, 'other'))).then(() => log.push('opened other'));
  await new Promise((resolve) => setImmediate(resolve));
  // The second open of 'x' has not even started loading: it waits for the first.
  assert.deepEqual(log, ['load x start', 'load y start']);
  releases.get('y')!();
  await other;
  releases.get('x')!();
  await first;
  await new Promise((resolve) => setImmediate(resolve));
  releases.get('x')!();
  await second;
  assert.deepEqual(log, [
    'load x start',
    'load y start',
    'load y end',
    'opened other',
    'load x end',
    'opened first present=false',
    'load x start',
    'load x end',
    'kick first 0x8e',
    'opened second present=true',
  ]);
});

test('session directory - a failing loader refuses that open only; the next open of the id goes ahead', async () => {
  const directory = new SessionRegistry(new BrokerCore(defaultConfig()));
  let fail = true;
  directory.loader = () => (fail ? Promise.reject(new Error('store unreachable')) : undefined);
  await assert.rejects(Promise.resolve(directory.open('z', true, client([], 'z1'))), /store unreachable/);
  fail = false;
  const opened = await directory.open('z', true, client([], 'z2'));
  assert.equal(opened.session.clientId, 'z');
});
