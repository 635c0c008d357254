// $SYS: broker statistics published (retained) every sys_interval, and client lifecycle events on
// $SYS/brokers/<node>/clients/<clientid>/connected|disconnected.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { waitFor } from '../helpers/wait.js';

describe('sys', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ sysInterval: 1, nodeName: 'sys-test-node' });
  });
  after(async () => {
    await server.close();
  });

  test('sys - broker statistics are published as retained $SYS/broker/... messages', async () => {
    const pool = new ClientPool(server.url);
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'sys-stats' });
      const received = record(subscriber);
      await subscriber.subscribeAsync('$SYS/broker/#', { qos: 0 });
      const version = await messageOn(received, '$SYS/broker/version');
      assert.match(version.payload, /^starling \d+\.\d+\.\d+/);
      assert.equal(version.packet.retain, true, 'sent from the retained store on subscribe');
      assert.match((await messageOn(received, '$SYS/broker/uptime')).payload, /^\d+ seconds$/);
      for (const topic of ['$SYS/broker/clients/connected', '$SYS/broker/messages/received', '$SYS/broker/subscriptions/count']) {
        assert.match((await messageOn(received, topic)).payload, /^\d+$/, topic);
      }
      // The next publication (within sys_interval) counts this client.
      await waitFor(
        () => received.some((m) => m.topic === '$SYS/broker/clients/connected' && !m.packet.retain && Number(m.payload) >= 1),
        'a periodic $SYS/broker/clients/connected counting this client',
        3000,
      );
    } finally {
      await pool.closeAll();
    }
  });

  test('sys - client connected and disconnected events carry a JSON description of the client', async () => {
    const pool = new ClientPool(server.url);
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'sys-watcher' });
      const received = record(watcher);
      await watcher.subscribeAsync('$SYS/brokers/+/clients/+/+', { qos: 0 });
      const before = Date.now();
      const client = await pool.connect({ protocolVersion: 4, clientId: 'sys-subject', username: 'alice', keepalive: 30, clean: true });
      const connected = JSON.parse((await messageOn(received, '$SYS/brokers/sys-test-node/clients/sys-subject/connected')).payload);
      assert.equal(connected.clientid, 'sys-subject');
      assert.equal(connected.username, 'alice');
      assert.equal(connected.ipaddress, '127.0.0.1');
      assert.equal(connected.proto_ver, 4);
      assert.equal(connected.keepalive, 30);
      assert.equal(connected.clean_start, true);
      assert.ok(connected.connected_at >= before && connected.connected_at <= Date.now(), 'connected_at is a timestamp in ms');

      await client.endAsync();
      const disconnected = JSON.parse((await messageOn(received, '$SYS/brokers/sys-test-node/clients/sys-subject/disconnected')).payload);
      assert.equal(disconnected.clientid, 'sys-subject');
      assert.equal(disconnected.username, 'alice');
      assert.equal(disconnected.reason_code, 0);
      assert.equal(typeof disconnected.reason, 'string');
      assert.ok(disconnected.disconnected_at >= connected.connected_at);
    } finally {
      await pool.closeAll();
    }
  });

  test('sys - clients cannot publish into $SYS', async () => {
    const pool = new ClientPool(server.url);
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'sys-spoof-watcher' });
      const received = record(watcher);
      await watcher.subscribeAsync('$SYS/spoof/#', { qos: 1 });
      const spoofer = await pool.connect({ protocolVersion: 5, clientId: 'sys-spoofer' });
      await spoofer.publishAsync('$SYS/spoof/x', 'fake', { qos: 1 }).catch(() => undefined);
      server.broker.publish({ topic: '$SYS/spoof/marker', payload: 'marker' });
      await messageOn(received, '$SYS/spoof/marker');
      assert.deepEqual(received.map((m) => m.payload), ['marker']);
    } finally {
      await pool.closeAll();
    }
  });
  test('sys - a subscriber that arrives after a client connected still gets its disconnected event with its address', async () => {
    const pool = new ClientPool(server.url);
    try {
      // Connected while no $SYS subscription exists: its events are not built then.
      const early = await pool.connect({ protocolVersion: 4, clientId: 'sys-early', username: 'bob' });
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'sys-late-watcher' });
      const received = record(watcher);
      await watcher.subscribeAsync('$SYS/brokers/sys-test-node/clients/#', { qos: 0 });
      await early.endAsync();
      const disconnected = JSON.parse((await messageOn(received, '$SYS/brokers/sys-test-node/clients/sys-early/disconnected')).payload);
      assert.equal(disconnected.clientid, 'sys-early');
      assert.equal(disconnected.username, 'bob');
      assert.equal(disconnected.ipaddress, '127.0.0.1', 'the address was looked up while the socket was open');
      assert.equal(typeof disconnected.port, 'number');
      assert.ok(disconnected.port > 0);
      // Events stop once the last $SYS subscription goes, and start again with a new one.
      await watcher.unsubscribeAsync('$SYS/brokers/sys-test-node/clients/#');
      assert.equal(server.broker.core.hasSysSubscribers, false);
      await watcher.subscribeAsync('$SYS/#', { qos: 0 });
      assert.equal(server.broker.core.hasSysSubscribers, true);
      await pool.connect({ protocolVersion: 4, clientId: 'sys-after-resubscribe' });
      await messageOn(received, '$SYS/brokers/sys-test-node/clients/sys-after-resubscribe/connected');
    } finally {
      await pool.closeAll();
    }
  });

  test('sys - only filters starting with the $SYS level count as $SYS subscribers [MQTT-4.7.2-1]', async () => {
    const pool = new ClientPool(server.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'sys-wildcards' });
      await client.subscribeAsync(['#', '+/brokers/#', '$SYSTEM/x', 'a/$SYS/b'], { qos: 0 });
      assert.equal(server.broker.core.hasSysSubscribers, false);
      await client.subscribeAsync('$share/g/$SYS/brokers/#', { qos: 0 });
      assert.equal(server.broker.core.hasSysSubscribers, true, 'a shared subscription on $SYS counts');
      await client.unsubscribeAsync('$share/g/$SYS/brokers/#');
      assert.equal(server.broker.core.hasSysSubscribers, false);
    } finally {
      await pool.closeAll();
    }
  });
});
