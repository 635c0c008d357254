// CONNECT and CONNACK: protocol levels, client identifiers, Session Present, the connect timeout
// and the one-CONNECT-per-connection rule.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';

describe('connect', () => {
  let server: TestBroker;
  let slowServer: TestBroker;
  before(async () => {
    server = await startBroker();
    slowServer = await startBroker({ connectTimeout: 1 });
  });
  after(async () => {
    await Promise.all([server.close(), slowServer.close()]);
  });

  test('connect - MQTT 3.1.1 and MQTT 5 clients share one port and exchange messages', async () => {
    const pool = new ClientPool(server.url);
    try {
      const v4 = await pool.connect({ protocolVersion: 4, clientId: 'levels-v4' });
      const v5 = await pool.connect({ protocolVersion: 5, clientId: 'levels-v5' });
      const toV4 = record(v4);
      const toV5 = record(v5);
      await v4.subscribeAsync('levels/to-v4', { qos: 1 });
      await v5.subscribeAsync('levels/to-v5', { qos: 1 });
      await v5.publishAsync('levels/to-v4', 'from v5', { qos: 1 });
      await v4.publishAsync('levels/to-v5', 'from v4', { qos: 1 });
      assert.equal((await messageOn(toV4, 'levels/to-v4')).payload, 'from v5');
      assert.equal((await messageOn(toV5, 'levels/to-v5')).payload, 'from v4');
    } finally {
      await pool.closeAll();
    }
  });

  test('connect - MQTT 5 empty client id gets an Assigned Client Identifier', async () => {
    const pool = new ClientPool(server.url);
    try {
      const wire = await pool.raw(server.port, 5);
      const connack = await wire.connect({ clientId: '', clean: true });
      assert.equal(connack.reasonCode, 0);
      const assigned = connack.properties?.assignedClientIdentifier;
      assert.equal(typeof assigned, 'string');
      assert.ok(assigned!.length > 0, 'assigned id is not empty');
      assert.ok(server.broker.registry.isConnected(assigned!), 'the session is registered under the assigned id');
    } finally {
      await pool.closeAll();
    }
  });

  test('connect - MQTT 3.1.1 empty client id with clean session 0 is refused with return code 2 [MQTT-3.1.3-8]', async () => {
    const pool = new ClientPool(server.url);
    try {
      const wire = await pool.raw(server.port, 4);
      // mqtt-packet refuses to encode this CONNECT, so it is written by hand:
      // CONNECT, remaining length 12, "MQTT", level 4, flags 0 (clean session 0), keep-alive 60, client id ""
      wire.socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x3c, 0x00, 0x00]));
      const connack = await wire.receive('connack');
      assert.equal(connack.returnCode, 2);
      await wire.closed();
    } finally {
      await pool.closeAll();
    }
  });

  test('connect - MQTT 3.1.1 empty client id with clean session 1 is accepted', async () => {
    const pool = new ClientPool(server.url);
    try {
      const wire = await pool.raw(server.port, 4);
      const connack = await wire.connect({ clientId: '', clean: true });
      assert.equal(connack.returnCode, 0);
    } finally {
      await pool.closeAll();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`connect - Session Present is 0 for a new session and 1 on resume (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) [MQTT-3.2.2-2]`, async () => {
      const pool = new ClientPool(server.url);
      const clientId = `session-present-${protocolVersion}`;
      const options = { protocolVersion, clientId, clean: false, properties: protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined };
      try {
        const first = await pool.attempt(options);
        assert.equal(first.connack?.sessionPresent, false, 'new session');
        await pool.endLast();
        const resumed = await pool.attempt(options);
        assert.equal(resumed.connack?.sessionPresent, true, 'resumed session');
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('connect - a connection that sends no CONNECT is closed, without a CONNACK, after connect_timeout', async () => {
    const socket = net.connect({ port: slowServer.port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    const bytes: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => bytes.push(chunk)); // reading also lets the FIN be seen
    const openedAt = Date.now();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('socket still open 4 s after connecting')), 4000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const elapsed = Date.now() - openedAt;
      assert.ok(elapsed >= 900, `closed after ${elapsed} ms, before the 1 s connect timeout`);
      // No CONNECT, so no protocol version and nothing to answer: the connection is just closed
      // (0xA0 Maximum connect time is not a CONNACK reason code).
      assert.deepEqual(Buffer.concat(bytes), Buffer.alloc(0));
    } finally {
      socket.destroy();
    }
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`connect - a second CONNECT is a protocol error and closes the connection (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}) [MQTT-3.1.0-2]`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const wire = await pool.raw(server.port, protocolVersion);
        const connack = await wire.connect({ clientId: `twice-${protocolVersion}` });
        assert.equal(protocolVersion === 5 ? connack.reasonCode : connack.returnCode, 0);
        wire.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: `twice-${protocolVersion}`, clean: true, keepalive: 60 });
        if (protocolVersion === 5) {
          const disconnect = await wire.receive('disconnect');
          assert.equal(disconnect.reasonCode, 0x82);
        }
        await wire.closed();
      } finally {
        await pool.closeAll();
      }
    });
  }
});
