// Keep alive: a silent client is disconnected after one and a half keep-alive periods and its will
// is published [MQTT-3.1.2-22]; MQTT 5 Server Keep Alive caps what clients ask for [MQTT-3.2.2-21].

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';

describe('keepalive', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ maxKeepAlive: 10 });
  });
  after(async () => {
    await server.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`keepalive - a client silent for 1.5 x keep-alive is disconnected and its will published (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) [MQTT-3.1.2-22]`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const watcher = await pool.connect({ protocolVersion, clientId: `keepalive-watcher-${protocolVersion}` });
        const wills = record(watcher);
        await watcher.subscribeAsync(`keepalive/will/${protocolVersion}`, { qos: 1 });

        const silent = await pool.raw(server.port, protocolVersion);
        const connack = await silent.connect({
          clientId: `keepalive-silent-${protocolVersion}`,
          keepalive: 1,
          will: { topic: `keepalive/will/${protocolVersion}`, payload: Buffer.from('gone quiet'), qos: 1, retain: false },
        });
        assert.equal(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
        const connectedAt = Date.now();
        silent.socket.resume();
        await silent.closed(4000);
        const elapsed = Date.now() - connectedAt;
        // 1.5 s, checked every 250 ms by the supervisor
        assert.ok(elapsed >= 1400, `closed after ${elapsed} ms, before 1.5 x keep-alive`);
        assert.ok(elapsed < 2500, `closed after ${elapsed} ms, well after 1.5 x keep-alive`);
        if (protocolVersion === 5) {
          const disconnect = silent.pending('disconnect')[0];
          assert.equal(disconnect?.cmd === 'disconnect' ? disconnect.reasonCode : undefined, 0x8d, 'DISCONNECT Keep Alive timeout');
        }
        assert.equal((await messageOn(wills, `keepalive/will/${protocolVersion}`)).payload, 'gone quiet');
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('keepalive - a client that sends PINGREQ in time stays connected', async () => {
    const pool = new ClientPool(server.url);
    try {
      const client = await pool.connect({ protocolVersion: 5, clientId: 'keepalive-pinger', keepalive: 1 });
      // A bounded window of 2.5 s (more than 1.5 x keep-alive) during which MQTT.js pings.
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 2500);
        client.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      assert.equal(closed, false, 'closed although it pinged');
    } finally {
      await pool.closeAll();
    }
  });

  test('keepalive - MQTT 5 keep-alive above max_keep_alive gets Server Keep Alive in CONNACK [MQTT-3.2.2-21]', async () => {
    const pool = new ClientPool(server.url);
    try {
      const { connack } = await pool.attempt({ protocolVersion: 5, clientId: 'keepalive-capped', keepalive: 60 });
      assert.equal(connack?.properties?.serverKeepAlive, 10);
    } finally {
      await pool.closeAll();
    }
  });

  test('keepalive - the broker times out on the Server Keep Alive it granted, not on what the client asked [MQTT-3.2.2-21]', async () => {
    const strict = await startBroker({ maxKeepAlive: 1 });
    const pool = new ClientPool(strict.url);
    try {
      const wire = await pool.raw(strict.port, 5);
      const connack = await wire.connect({ clientId: 'keepalive-granted', keepalive: 60 });
      assert.equal(connack.properties?.serverKeepAlive, 1);
      const connectedAt = Date.now();
      await wire.closed(4000);
      const elapsed = Date.now() - connectedAt;
      assert.ok(elapsed >= 1400 && elapsed < 2500, `closed after ${elapsed} ms, expected about 1.5 s`);
    } finally {
      await pool.closeAll();
      await strict.close();
    }
  });
});
