// The peer of a tcp socket is looked up on first use, and keeps its address once read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { peerOf } from '../../src/internal.js';

async function acceptedPair(): Promise<{ accepted: Socket; client: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepting = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  const [accepted] = (await accepting) as [Socket];
  await once(client, 'connect');
  return { accepted, client, close: () => server.close() };
}

test('lazy peer - address and port are the socket remote address, read on first use', async () => {
  const { accepted, client, close } = await acceptedPair();
  try {
    const peer = peerOf(accepted, 'tcp');
    assert.equal(peer.listener, 'tcp');
    assert.equal(peer.address, '127.0.0.1');
    assert.equal(peer.port, client.localPort);
    assert.deepEqual(JSON.parse(JSON.stringify(peer)), { address: '127.0.0.1', port: client.localPort, listener: 'tcp' });
  } finally {
    client.destroy();
    accepted.destroy();
    close();
  }
});

test('lazy peer - read while open, the address survives the close; never read, it is empty after', async () => {
  const { accepted, client, close } = await acceptedPair();
  const second = await acceptedPair();
  try {
    const readEarly = peerOf(accepted, 'tcp');
    const neverRead = peerOf(second.accepted, 'tcp');
    void readEarly.address;
    accepted.destroy();
    second.accepted.destroy();
    await Promise.all([once(accepted, 'close'), once(second.accepted, 'close')]);
    assert.equal(readEarly.address, '127.0.0.1');
    assert.equal(neverRead.address, '', 'a closed socket cannot tell its address: what needs it reads it while open');
  } finally {
    client.destroy();
    second.client.destroy();
    close();
    second.close();
  }
});

test('lazy peer - a PROXY protocol source replaces the looked-up address', async () => {
  const { accepted, client, close } = await acceptedPair();
  try {
    const peer = peerOf(accepted, 'tcp');
    Object.assign(peer, { address: '203.0.113.7', port: 40000 });
    assert.equal(peer.address, '203.0.113.7');
    assert.equal(peer.port, 40000);
  } finally {
    client.destroy();
    accepted.destroy();
    close();
  }
});
