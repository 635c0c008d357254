// The first-run default: with no authentication configured and no allow_anonymous setting, a listener
// on a network address (the default listeners bind `::`) lets clients in from loopback peers and
// refuses the others with CONNACK 0x87 / return code 5 and a log line that says how to open it; such
// refusals never count towards the failed-authentication lockout. The broker here serves a plain
// 127.0.0.1 server through handleConnection with a listener configuration on `::`, and gives the
// sockets from 127.0.0.9 a network address (as a PROXY header would), so nothing binds beyond loopback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StarlingBroker, attachListenerConfig, type BrokerOptions } from '../../src/internal.js';
import type { PeerInfo } from '../../src/index.js';
import { capturingLogger, connackCode, mosquittoPub } from './clients.js';

const NETWORK_PEER = '203.0.113.9';
/** Connections from this loopback address are given NETWORK_PEER as their peer address. */
const FROM_NETWORK = '127.0.0.9';

interface NetworkListener {
  broker: StarlingBroker;
  url: string;
  port: number;
  lines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startOnNetworkListener(options: BrokerOptions = {}): Promise<NetworkListener> {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-anonymous-'));
  const { logger, lines } = capturingLogger();
  const broker = new StarlingBroker({ dataDir, durability: 'memory', sysInterval: 0, listeners: [], logger, ...options });
  await broker.start();
  const listenerConfig = { type: 'tcp' as const, host: '::', port: 1883 };
  const server = net.createServer((socket) => {
    const peer: PeerInfo = { address: socket.remoteAddress === FROM_NETWORK ? NETWORK_PEER : socket.remoteAddress!, port: socket.remotePort!, listener: 'tcp' };
    attachListenerConfig(peer, listenerConfig);
    broker.handleConnection(socket, peer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    lines,
    async close() {
      server.close();
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

test('anonymous default - no authentication configured: loopback clients connect, network clients get 0x87 / 5 and a log line; no lockout', async () => {
  const listener = await startOnNetworkListener();
  try {
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'local-v5' })).code, 0);
    assert.equal((await connackCode(listener.url, { protocolVersion: 4, clientId: 'local-v4', username: 'anyone' })).code, 0, 'nothing checks usernames');
    assert.equal((await mosquittoPub(listener.port, ['-q', '1'])).exitCode, 0, 'mosquitto_pub -h 127.0.0.1 just works');

    // More refusals than the lockout's five failures: each one stays 0x87 / 5, never 0x8A (banned).
    for (let attempt = 0; attempt < 7; attempt++) {
      const protocolVersion = attempt % 2 === 0 ? 5 : 4;
      const { code } = await connackCode(listener.url, { protocolVersion, clientId: `remote-${attempt}` }, undefined, FROM_NETWORK);
      assert.equal(code, protocolVersion === 5 ? 0x87 : 5, `attempt ${attempt}`);
    }
    assert.equal(listener.broker.metrics.value('auth.failures'), 0);
    assert.equal(listener.broker.metrics.value('connections.refused', { reason: 'locked_out' }), 0);
    // Refused by authentication all the same.
    assert.equal(listener.broker.metrics.value('authentication.failure'), 7);

    const logged = listener.lines.filter((line) => String(line['msg']).includes('only loopback clients may connect'));
    assert.equal(logged.length, 1, 'one line for the first refusal; the rest are counted into the next line');
    assert.equal(logged[0]!['peer'], NETWORK_PEER);
    assert.match(String(logged[0]!['msg']), /allow_anonymous: true/);
    assert.match(String(logged[0]!['msg']), /configure authentication/);
    // Loopback clients still connect.
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'local-after' })).code, 0);
  } finally {
    await listener.close();
  }
});

test('anonymous default - allow_anonymous: true opens the network listener to everyone', async () => {
  const listener = await startOnNetworkListener({ allowAnonymous: true });
  try {
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'remote' }, undefined, FROM_NETWORK)).code, 0);
  } finally {
    await listener.close();
  }
});

test('anonymous default - allow_anonymous: false refuses loopback clients too', async () => {
  const listener = await startOnNetworkListener({ allowAnonymous: false });
  try {
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'local' })).code, 0x87);
  } finally {
    await listener.close();
  }
});

test('anonymous default - with authentication configured anonymous clients are refused (loopback too), and those refusals do not count towards lockout', async () => {
  const listener = await startOnNetworkListener({ authentication: [{ type: 'builtin' }] });
  try {
    await listener.broker.users.add('alice', 'alice password');
    for (let attempt = 0; attempt < 6; attempt++) {
      assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: `anon-${attempt}` }, undefined, FROM_NETWORK)).code, 0x87);
    }
    assert.equal(listener.broker.metrics.value('auth.failures'), 0);
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'alice', username: 'alice', password: 'alice password' }, undefined, FROM_NETWORK)).code, 0, 'the address is not locked out');
    // A wrong password does count.
    assert.equal((await connackCode(listener.url, { protocolVersion: 5, clientId: 'mallory', username: 'alice', password: 'guess' }, undefined, FROM_NETWORK)).code, 0x86);
    assert.equal(listener.broker.metrics.value('auth.failures'), 1);
  } finally {
    await listener.close();
  }
});
