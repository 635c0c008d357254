// The pending-connection cap: per-address eviction of the oldest silent connection, and no address
// lookup while too few connections are pending for any address to reach the cap.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { PeerInfo } from '../../src/internal.js';
import { PendingConnections } from '../../src/internal.js';

function setup(maxPerAddress: number) {
  let lookups = 0;
  const pending = new PendingConnections(maxPerAddress, (peer) => {
    lookups++;
    return peer.address;
  });
  const open = (address: string) => ({ peer: { address, port: 0, listener: 'tcp' } as PeerInfo, stream: new PassThrough() });
  return { pending, open, lookups: () => lookups };
}

test('pending connections - below the cap in all, no address is looked up', () => {
  const { pending, open, lookups } = setup(4);
  const first = open('10.0.0.1');
  const second = open('10.0.0.2');
  assert.equal(pending.admit(first.peer, first.stream), false);
  assert.equal(pending.admit(second.peer, second.stream), false);
  pending.settle(first.peer);
  assert.equal(lookups(), 0);
});

test('pending connections - an address at its cap loses its oldest pending connection, others keep theirs', () => {
  const { pending, open } = setup(3);
  const other = open('10.0.0.9');
  pending.admit(other.peer, other.stream);
  const flood = [open('10.0.0.1'), open('10.0.0.1'), open('10.0.0.1')];
  for (const connection of flood) assert.equal(pending.admit(connection.peer, connection.stream), false);
  const next = open('10.0.0.1');
  assert.equal(pending.admit(next.peer, next.stream), true, 'the fourth from one address evicts');
  assert.equal(flood[0]!.stream.destroyed, true, 'the oldest of that address is closed');
  assert.equal(flood[1]!.stream.destroyed, false);
  assert.equal(other.stream.destroyed, false, 'another address is untouched');
  assert.deepEqual([...pending.takeEvictions()], [['10.0.0.1', 1]]);
});

test('pending connections - settled and closed connections do not count', () => {
  const { pending, open } = setup(2);
  const settled = open('10.0.0.1');
  const closed = open('10.0.0.1');
  pending.admit(settled.peer, settled.stream);
  pending.admit(closed.peer, closed.stream);
  pending.settle(settled.peer); // sent CONNECT
  closed.stream.destroy(); // went away silently
  const fresh = [open('10.0.0.1'), open('10.0.0.1')];
  for (const connection of fresh) assert.equal(pending.admit(connection.peer, connection.stream), false);
  assert.equal(fresh[0]!.stream.destroyed, false);
  assert.equal(pending.takeEvictions().size, 0);
});

test('pending connections - an address whose listed connections all closed keeps its new ones under the cap', () => {
  const { pending, open } = setup(2);
  const other = [open('10.0.0.9'), open('10.0.0.9')]; // keeps the index alive
  for (const connection of other) pending.admit(connection.peer, connection.stream);
  for (let round = 0; round < 5; round++) {
    const pair = [open('10.0.0.1'), open('10.0.0.1')];
    for (const connection of pair) pending.admit(connection.peer, connection.stream);
    for (const connection of pair) connection.stream.destroy(); // closed by the remote, not yet swept
  }
  const live = [open('10.0.0.1'), open('10.0.0.1'), open('10.0.0.1')];
  for (const connection of live) pending.admit(connection.peer, connection.stream);
  assert.equal(live[0]!.stream.destroyed, true, 'the third live connection from the address evicts the oldest live one');
  assert.equal(live[1]!.stream.destroyed, false);
  assert.equal(live[2]!.stream.destroyed, false);
});
