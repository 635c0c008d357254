// `starling bench conn`'s fast path (src/loadgen/idle-connections.ts) against a real broker: every connection
// counts once its CONNACK arrives, refusals count as failures, source addresses and client ids are as asked,
// and closing sends DISCONNECT so the broker sees clean disconnects.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleConnections, connackReasonCode } from '../../src/loadgen/idle-connections.js';
import { defaultOptions, runScenario } from '../../src/loadgen/cli.js';
import type { ClientInfo } from '../../src/index.js';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

function idleConnections(port: number, count: number, sourceAddresses: string[] = []): IdleConnections {
  return new IdleConnections({
    host: '127.0.0.1',
    port,
    connect: { protocolVersion: 4, keepAlive: 60, cleanStart: true },
    clientIdPrefix: 'idle',
    firstIndex: 5,
    count,
    concurrency: 8,
    sourceAddresses,
    connectTimeoutMilliseconds: 10_000,
  });
}

test('bench conn - every connection is open at the broker when its CONNACK is counted', async () => {
  const server = await startBroker();
  try {
    const connected: ClientInfo[] = [];
    server.broker.on('client.connected', ({ client }) => connected.push(client));
    const connections = idleConnections(server.port, 120, ['127.0.0.2', '127.0.0.3']);
    const report = await connections.openAll();
    assert.equal(report.opened, 120);
    assert.equal(report.failed, 0);
    assert.equal(report.latency.count, 120);
    assert.equal(server.broker.counters.clientsConnected, 120);
    // Client ids: prefix, -c, the global index padded to the widest one (firstIndex 5 + 120 -> 3 digits).
    const ids = new Set(connected.map((client) => client.clientId));
    assert.equal(ids.size, 120);
    assert.ok(ids.has('idle-c005') && ids.has('idle-c124'), [...ids].slice(0, 3).join(','));
    // Source addresses round-robin by global index: index 5 is odd, so it comes from the second address.
    const addresses = new Set(connected.map((client) => client.peer.address.replace(/^::ffff:/, '')));
    assert.deepEqual([...addresses].sort(), ['127.0.0.2', '127.0.0.3']);
    assert.equal(connected.find((client) => client.clientId === 'idle-c005')?.peer.address.replace(/^::ffff:/, ''), '127.0.0.3');

    const reasonCodes: number[] = [];
    server.broker.on('client.disconnected', (event) => reasonCodes.push(event.reasonCode));
    await connections.closeAll();
    await waitFor(() => server.broker.counters.clientsConnected === 0, 'every connection closed', 10_000);
    assert.equal(connections.lostConnections, 0);
    // Every one a normal disconnection (the client's DISCONNECT), none a lost connection.
    assert.deepEqual(reasonCodes, new Array<number>(120).fill(0));
  } finally {
    await server.close();
  }
});

test('bench conn - a refused CONNACK is a failure with the reason, not an opened connection', async () => {
  const server = await startBroker({ allowAnonymous: false });
  try {
    const report = await idleConnections(server.port, 10).openAll();
    assert.equal(report.opened, 0);
    assert.equal(report.failed, 10);
    // 3.1.1 return code 5: not authorized
    assert.match(report.firstError ?? '', /CONNACK.*20020005/);
  } finally {
    await server.close();
  }
});

test('bench conn - a port nobody listens on fails every connection instead of hanging', async () => {
  const server = await startBroker();
  const port = server.port;
  await server.close();
  const report = await idleConnections(port, 5).openAll();
  assert.equal(report.opened, 0);
  assert.equal(report.failed, 5);
  assert.match(report.firstError ?? '', /ECONNREFUSED/);
});

test('bench conn - runScenario counts MQTT 3.1.1 and 5 connections and the load generator CPU it spent', async () => {
  const server = await startBroker();
  try {
    for (const protocolVersion of [4, 5] as const) {
      const options = { ...defaultOptions('conn'), port: server.port, clients: 50, connectConcurrency: 4, protocolVersion, quiet: true };
      const result = await runScenario(options);
      assert.equal(result.connect.opened, 50, `protocol ${protocolVersion}`);
      assert.equal(result.connect.failed, 0);
      assert.equal(result.lostConnections, 0);
      assert.ok(result.connect.perSecond > 0);
      assert.ok(result.connect.loadGeneratorCpuSeconds > 0);
      await waitFor(() => server.broker.counters.clientsConnected === 0, 'every connection closed', 10_000);
    }
  } finally {
    await server.close();
  }
});

test('bench conn - the CONNACK reason code is found after a remaining length of any size', () => {
  assert.equal(connackReasonCode(Buffer.from([0x20, 0x02, 0x00, 0x00])), 0);
  assert.equal(connackReasonCode(Buffer.from([0x20, 0x02, 0x00, 0x05])), 5);
  // v5 with 200 bytes of properties: remaining length 203 is two bytes (0xcb 0x01), reason code 0x87 after the flags
  assert.equal(connackReasonCode(Buffer.from([0x20, 0xcb, 0x01, 0x00, 0x87, 0xc8])), 0x87);
  assert.equal(connackReasonCode(Buffer.from([0x20, 0xcb, 0x01, 0x00])), undefined);
  assert.equal(connackReasonCode(Buffer.from([0x20])), undefined);
  assert.equal(connackReasonCode(Buffer.from([0x30, 0x02, 0x00, 0x00])), -1);
  assert.equal(connackReasonCode(Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00])), -1);
});

