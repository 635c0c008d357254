// One client through the management API, with real MQTT.js clients: its description, subscribing and
// unsubscribing on its behalf (retained messages follow, the router and the store have it), kicking
// it out (MQTT 5 DISCONNECT 0x98, session discarded), persistent sessions listed while their client is
// away and after a restart, refusals naming the field, and a viewer's 403 on every write.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type mqtt from 'mqtt';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { startManagedBroker } from '../helpers/management.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

test('client actions - show a client; subscribe on its behalf delivers retained messages and routes new ones; unsubscribe', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const publisher = await pool.connect({ clientId: 'publisher', protocolVersion: 5 });
    await publisher.publishAsync('news/today', 'retained one', { qos: 1, retain: true });
    const { client: watcher, received } = await pool.connectRecording({ clientId: 'watcher', protocolVersion: 5, username: 'wanda', keepalive: 42 });

    const shown = await b.call('GET', '/api/v5/clients/watcher', { token });
    assert.equal(shown.status, 200);
    assert.deepEqual(
      [shown.body.clientid, shown.body.username, shown.body.proto_ver, shown.body.keepalive, shown.body.connected, shown.body.conn_state, shown.body.subscriptions_cnt],
      ['watcher', 'wanda', 5, 42, true, 'connected', 0],
    );
    assert.equal(shown.body.ip_address, '127.0.0.1');
    assert.ok(Date.parse(shown.body.connected_at) <= Date.now());

    const subscribed = await b.call('POST', '/api/v5/clients/watcher/subscribe', { token, body: { topic: 'news/#', qos: 1 } });
    assert.equal(subscribed.status, 200);
    assert.deepEqual(subscribed.body, { topic: 'news/#', qos: 1, nl: 0, rap: 0, rh: 0, node: b.broker.config.nodeName, clientid: 'watcher', durable: false });
    const retained = await messageOn(received, 'news/today', 'retained one');
    assert.equal(retained.packet.retain, true);
    await publisher.publishAsync('news/later', 'live one', { qos: 1 });
    assert.equal((await messageOn(received, 'news/later', 'live one')).packet.qos, 1);
    const listed = await b.call('GET', '/api/v5/clients/watcher/subscriptions', { token });
    assert.deepEqual(listed.body.map((subscription: { topic: string; qos: number }) => [subscription.topic, subscription.qos]), [['news/#', 1]]);

    // Bulk: every request is checked before any is made
    const refused = await b.call('POST', '/api/v5/clients/watcher/subscribe/bulk', { token, body: [{ topic: 'a/b' }, { topic: '$share/g/a', nl: 1 }] });
    assert.deepEqual([refused.status, refused.body.code], [400, 'INVALID_PARAMETER']);
    assert.match(refused.body.message, /^body\.1\.nl: /);
    const badFilter = await b.call('POST', '/api/v5/clients/watcher/subscribe', { token, body: { topic: 'a/#/b' } });
    assert.deepEqual([badFilter.status, badFilter.body.code], [400, 'INVALID_PARAMETER']);
    assert.match(badFilter.body.message, /^body\.topic: /);
    const bulk = await b.call('POST', '/api/v5/clients/watcher/subscribe/bulk', { token, body: [{ topic: 'a/b', qos: 2, rh: 2 }, { topic: '$share/g/c' }] });
    assert.deepEqual(bulk.body.map((subscription: { topic: string; qos: number; rh: number }) => [subscription.topic, subscription.qos, subscription.rh]), [['a/b', 2, 2], ['$share/g/c', 0, 0]]);
    assert.equal((await b.call('GET', '/api/v5/clients/watcher', { token })).body.subscriptions_cnt, 3);

    assert.equal((await b.call('POST', '/api/v5/clients/watcher/unsubscribe', { token, body: { topic: 'news/#' } })).status, 204);
    assert.equal((await b.call('POST', '/api/v5/clients/watcher/unsubscribe/bulk', { token, body: [{ topic: 'a/b' }, { topic: 'never/subscribed' }] })).status, 204);
    assert.deepEqual((await b.call('GET', '/api/v5/clients/watcher/subscriptions', { token })).body.map((subscription: { topic: string }) => subscription.topic), ['$share/g/c']);
    // The router dropped it: a new message on news/ reaches nobody
    const before = received.length;
    const unheard = await b.call('POST', '/api/v5/publish', { token, body: { topic: 'news/after', payload: 'x', qos: 1 } });
    assert.equal(unheard.status, 202);
    assert.equal(received.length, before);

    for (const [method, path, body] of [
      ['GET', '/api/v5/clients/ghost', undefined],
      ['GET', '/api/v5/clients/ghost/subscriptions', undefined],
      ['POST', '/api/v5/clients/ghost/subscribe', { topic: 'x' }],
      ['POST', '/api/v5/clients/ghost/unsubscribe', { topic: 'x' }],
      ['DELETE', '/api/v5/clients/ghost', undefined],
    ] as const) {
      const answer = await b.call(method, path, { token, body });
      assert.deepEqual([answer.status, answer.body.code, answer.body.message], [404, 'CLIENTID_NOT_FOUND', 'Client ID not found'], `${method} ${path}`);
    }
    assert.ok(watcher.connected);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('client actions - a kick is DISCONNECT 0x98 for an MQTT 5 client and discards its persistent session; kickout/bulk', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const kept = { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const target = await pool.connect({ clientId: 'target', ...kept });
    await target.subscribeAsync('t/#', { qos: 1 });
    const disconnected = nextEvent<[mqtt.IDisconnectPacket]>(target, 'disconnect');
    assert.equal((await b.call('DELETE', '/api/v5/clients/target', { token })).status, 204);
    const [packet] = await disconnected;
    assert.equal(packet.reasonCode, 0x98);
    assert.equal((await b.call('GET', '/api/v5/clients/target', { token })).status, 404);
    const again = await pool.connectRecording({ clientId: 'target', ...kept });
    assert.equal(again.connack.sessionPresent, false);

    // A persistent session whose client is away is kicked (discarded) too
    const away = await pool.connect({ clientId: 'away', ...kept });
    await away.endAsync();
    await waitFor(() => b.broker.registry.get('away')?.connected === false, 'away disconnected');
    assert.equal((await b.call('DELETE', '/api/v5/clients/away', { token })).status, 204);
    assert.equal(b.broker.registry.get('away'), undefined);

    const one = await pool.connect({ clientId: 'one', protocolVersion: 5 });
    const two = await pool.connect({ clientId: 'two', protocolVersion: 5 });
    const kicks = [nextEvent<[mqtt.IDisconnectPacket]>(one, 'disconnect'), nextEvent<[mqtt.IDisconnectPacket]>(two, 'disconnect')];
    assert.equal((await b.call('POST', '/api/v5/clients/kickout/bulk', { token, body: ['one', 'two', 'nobody'] })).status, 204);
    assert.deepEqual((await Promise.all(kicks)).map(([disconnect]) => disconnect.reasonCode), [0x98, 0x98]);
    const empty = await b.call('POST', '/api/v5/clients/kickout/bulk', { token, body: [] });
    assert.equal(empty.status, 400);
    assert.match(empty.body.message, /^body: /);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('client actions - persistent sessions are listed while their client is away and after a restart; subscriptions made for them last', async () => {
  let b = await startManagedBroker({ durability: 'sync' });
  const pool = new ClientPool(b.url);
  try {
    let token = await b.adminToken();
    const sleeper = await pool.connect({ clientId: 'sleeper', protocolVersion: 5, username: 'sam', clean: false, properties: { sessionExpiryInterval: 3600 } });
    await sleeper.endAsync();
    await waitFor(() => b.broker.registry.get('sleeper')?.connected === false, 'sleeper disconnected');
    const away = await b.call('GET', '/api/v5/clients?conn_state=disconnected', { token });
    assert.equal(away.body.meta.count, 1);
    const [session] = away.body.data;
    assert.deepEqual([session.clientid, session.username, session.connected, session.conn_state, session.expiry_interval, session.is_persistent], ['sleeper', 'sam', false, 'disconnected', 3600, true]);
    assert.ok(Date.parse(session.disconnected_at) >= Date.parse(session.connected_at));
    // A subscription made on its behalf while it is away
    assert.equal((await b.call('POST', '/api/v5/clients/sleeper/subscribe', { token, body: { topic: 'wake/up', qos: 1 } })).status, 200);

    const restarted = await b.restart();
    const [address] = restarted.broker.managementAddresses;
    b = { ...b, ...restarted, api: `http://127.0.0.1:${address!.port}` };
    const api = b.api;
    const login = await fetch(`${api}/api/v5/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'root@123++' }) });
    token = ((await login.json()) as { token: string }).token;
    const listed = await fetch(`${api}/api/v5/clients`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await listed.json()) as { data: Array<Record<string, unknown>> };
    assert.deepEqual(
      body.data.map((client) => [client['clientid'], client['username'], client['conn_state'], client['ip_address'], client['connected_at'], client['subscriptions_cnt']]),
      [['sleeper', 'sam', 'disconnected', null, null, 1]],
    );
    const publish = await fetch(`${api}/api/v5/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'wake/up', payload: 'morning', qos: 1 }),
    });
    assert.equal(publish.status, 200);
    const back = new ClientPool(`mqtt://127.0.0.1:${restarted.port}`);
    try {
      const { received, connack } = await back.connectRecording({ clientId: 'sleeper', protocolVersion: 5, username: 'sam', clean: false, properties: { sessionExpiryInterval: 3600 } });
      assert.equal(connack.sessionPresent, true);
      await messageOn(received, 'wake/up', 'morning');
    } finally {
      await back.closeAll();
    }
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('client actions - writes are refused to a viewer (403) and read for it; bad bodies get a 400 naming the field', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const viewer = await b.adminToken('watcher', 'watch@1234', 'viewer');
    const token = await b.adminToken();
    const client = await pool.connect({ clientId: 'c1', protocolVersion: 5 });
    record(client);
    assert.equal((await b.call('GET', '/api/v5/clients', { token: viewer })).status, 200);
    assert.equal((await b.call('GET', '/api/v5/clients/c1/subscriptions', { token: viewer })).status, 200);
    for (const [method, path, body] of [
      ['DELETE', '/api/v5/clients/c1', undefined],
      ['POST', '/api/v5/clients/kickout/bulk', ['c1']],
      ['POST', '/api/v5/clients/c1/subscribe', { topic: 'x' }],
      ['POST', '/api/v5/clients/c1/unsubscribe', { topic: 'x' }],
      ['POST', '/api/v5/publish', { topic: 'x', payload: 'y' }],
      ['POST', '/api/v5/publish/bulk', [{ topic: 'x', payload: 'y' }]],
      ['DELETE', '/api/v5/mqtt/retainer/messages', undefined],
      ['DELETE', '/api/v5/mqtt/retainer/message/x', undefined],
      ['DELETE', '/api/v5/monitor', undefined],
    ] as const) {
      const answer = await b.call(method, path, { token: viewer, body });
      assert.deepEqual([answer.status, answer.body.code], [403, 'UNAUTHORIZED_ROLE'], `${method} ${path}`);
    }
    assert.ok(client.connected);
    const refusals: Array<[string, unknown, RegExp]> = [
      ['/api/v5/clients/c1/subscribe', {}, /^body: must have required property 'topic'/],
      ['/api/v5/clients/c1/subscribe', { topic: 'x', qos: 3 }, /^body\.qos: /],
      ['/api/v5/clients/c1/subscribe', { topic: 'x', colour: 'red' }, /^body: unknown field "colour"/],
      ['/api/v5/clients/c1/unsubscribe', { topic: '' }, /^body\.topic: /],
    ];
    for (const [path, body, message] of refusals) {
      const answer = await b.call('POST', path, { token, body });
      assert.deepEqual([answer.status, answer.body.code], [400, 'BAD_REQUEST'], path);
      assert.match(answer.body.message, message);
    }
  } finally {
    await pool.closeAll();
    await b.close();
  }
});
