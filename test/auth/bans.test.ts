// Bans (client id, username, CIDR address, expiry) and the failed-authentication lockout, over real connections.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { banKey, BanList, parseAddressRange, addressInRange } from '../../src/internal.js';
import { bumpGeneration } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { ClientPool } from '../helpers/client-pool.js';

test('bans - CIDR ranges for IPv4 and IPv6, IPv4-mapped addresses, expiry', () => {
  assert.equal(addressInRange(parseAddressRange('10.0.0.0/8'), '10.1.2.3'), true);
  assert.equal(addressInRange(parseAddressRange('10.0.0.0/8'), '::ffff:10.1.2.3'), true);
  assert.equal(addressInRange(parseAddressRange('10.0.0.0/8'), '11.0.0.1'), false);
  assert.equal(addressInRange(parseAddressRange('2001:db8::/32'), '2001:db8::1'), true);
  assert.throws(() => parseAddressRange('10.0.0.0/40'), /prefix/);
  const list = new BanList();
  list.add({ kind: 'clientid', value: 'old', until: 1000, createdAt: 0 });
  assert.equal(list.find({ clientId: 'old', username: undefined, address: '1.2.3.4' }, 500)?.value, 'old');
  assert.equal(list.find({ clientId: 'old', username: undefined, address: '1.2.3.4' }, 2000), undefined);
});

test('bans - banned client id, username and address are refused at CONNECT (v5 0x8A, v3.1.1 5)', async () => {
  const server = await startBroker({ bans: [{ clientId: 'bad-id' }, { address: '127.0.0.0/8', until: 1 }] });
  const pool = new ClientPool(server.url);
  try {
    const v5 = await pool.attempt({ protocolVersion: 5, clientId: 'bad-id' });
    assert.equal(v5.error?.code, 0x8a);
    const v3 = await pool.attempt({ protocolVersion: 4, clientId: 'bad-id' });
    assert.equal(v3.error?.code, 5);
    // An expired address ban does not apply
    await pool.connect({ protocolVersion: 5, clientId: 'fine' });
    // A username ban written to the store (what `starling ctl banned add` does) applies at the next CONNECT
    const records = server.broker.authorization!.records;
    records.save('ban', banKey('username', 'mallory'), { kind: 'username', value: 'mallory', createdAt: Date.now() });
    bumpGeneration(records, 'ban');
    assert.equal((await pool.attempt({ protocolVersion: 5, clientId: 'm1', username: 'mallory' })).error?.code, 0x8a);
    assert.ok(server.broker.authorization!.stats.bannedRefused >= 3);
  } finally {
    await pool.closeAll();
    await server.close();
  }
});

test('lockout - 3 failures from an address lock it out, even with the right password, and it is counted', async () => {
  const server = await startBroker({ lockout: { maxFailures: 3, window: 60, duration: 300 } });
  server.broker.addHook('authenticate', (request) => (request.password?.toString() === 'wrong' ? { result: 'deny' } : { result: 'allow' }));
  const pool = new ClientPool(server.url);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await pool.attempt({ protocolVersion: 5, clientId: `try-${attempt}`, username: 'eve', password: 'wrong' });
      assert.equal(refused.error?.code, 0x86);
    }
    const locked = await pool.attempt({ protocolVersion: 5, clientId: 'try-ok', username: 'eve', password: 'right' });
    assert.equal(locked.error?.code, 0x8a);
    assert.equal(server.broker.authorization!.lockout.stats.locks >= 1, true);
    assert.equal(server.broker.authorization!.lockout.stats.refused, 1);
  } finally {
    await pool.closeAll();
    await server.close();
  }
});
