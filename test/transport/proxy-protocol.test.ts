// PROXY protocol v1/v2 on tcp and tls listeners: the header's source address is the peer the
// broker sees; a malformed header closes only that connection.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import type { ClientConnectedEvent } from '../../src/index.js';
import { parseProxyHeader } from '../../src/internal.js';
import { createPki, type Pki } from '../helpers/certificates.js';
import { nextEvent } from '../helpers/wait.js';
import { startTransportBroker, type TransportBroker } from './transport-broker.js';

const CONNECT = Buffer.from([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 2, 0x70, 0x31]); // client id "p1"
const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2Header(family: 'inet' | 'inet6' | 'local', source?: { address: Buffer; port: number }): Buffer {
  if (family === 'local') return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0, 0])]);
  const addressLength = family === 'inet' ? 4 : 16;
  const body = Buffer.alloc(addressLength * 2 + 4);
  source!.address.copy(body, 0);
  body.writeUInt16BE(source!.port, addressLength * 2);
  body.writeUInt16BE(1883, addressLength * 2 + 2);
  const header = Buffer.from([0x21, family === 'inet' ? 0x11 : 0x21, 0, 0]);
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, header, body]);
}

/** Writes `bytes` on a fresh TCP connection and resolves with what the broker answers before closing (or the first 4 bytes). */
async function exchange(port: number, bytes: Buffer): Promise<{ reply: Buffer; socket: Socket }> {
  const socket = netConnect(port, '127.0.0.1');
  await nextEvent(socket, 'connect');
  let reply = Buffer.alloc(0);
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (reply.length >= 4) resolve();
    });
    socket.once('close', () => resolve());
    socket.on('error', () => resolve());
  });
  socket.write(bytes);
  await done;
  return { reply, socket };
}

describe('proxy protocol', () => {
  let pki: Pki;
  let server: TransportBroker;

  before(async () => {
    pki = await createPki();
    server = await startTransportBroker([
      { type: 'tcp', proxyProtocol: true },
      { type: 'tls', proxyProtocol: true, certFile: pki.serverCert, keyFile: pki.serverKey },
      { type: 'tcp' },
    ]);
  });
  after(async () => {
    await server.close();
    await pki.remove();
  });

  test('proxy protocol - parser: v1 TCP4/TCP6/UNKNOWN, v2 IPv4/IPv6/LOCAL, partial and malformed headers', () => {
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP4 203.0.113.1 10.0.0.1 51000 1883\r\nrest')), {
      kind: 'header', length: 44, source: { address: '203.0.113.1', port: 51000 },
    });
    const v6 = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 4000 1883\r\n'));
    assert.deepEqual(v6.kind === 'header' && v6.source, { address: '2001:db8::1', port: 4000 });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'header', length: 15, source: undefined });
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 203.0')).kind, 'incomplete');
    assert.equal(parseProxyHeader(Buffer.from('PRO')).kind, 'incomplete');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 10.0.0.1 1 2\r\n')).kind, 'error');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 10.0.0.1 99999 2\r\n')).kind, 'error');
    assert.equal(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(120)}`)).kind, 'error');
    assert.equal(parseProxyHeader(CONNECT).kind, 'error');
    const inet = v2Header('inet', { address: Buffer.from([198, 51, 100, 7]), port: 40000 });
    assert.deepEqual(parseProxyHeader(inet), { kind: 'header', length: 28, source: { address: '198.51.100.7', port: 40000 } });
    assert.equal(parseProxyHeader(inet.subarray(0, 20)).kind, 'incomplete');
    const inet6 = v2Header('inet6', { address: Buffer.from('20010db8000000000000000000000042', 'hex'), port: 5 });
    assert.deepEqual(parseProxyHeader(inet6), { kind: 'header', length: 52, source: { address: '2001:db8::42', port: 5 } });
    assert.deepEqual(parseProxyHeader(v2Header('local')), { kind: 'header', length: 16, source: undefined });
    const badVersion = Buffer.from(inet);
    badVersion[12] = 0x31;
    assert.equal(parseProxyHeader(badVersion).kind, 'error');
  });

  for (const [name, header, expected] of [
    ['v1', Buffer.from('PROXY TCP4 203.0.113.1 10.0.0.1 51000 1883\r\n'), { address: '203.0.113.1', port: 51000 }],
    ['v2 IPv4', v2Header('inet', { address: Buffer.from([198, 51, 100, 7]), port: 40000 }), { address: '198.51.100.7', port: 40000 }],
    ['v2 IPv6', v2Header('inet6', { address: Buffer.from('20010db8000000000000000000000042', 'hex'), port: 5 }), { address: '2001:db8::42', port: 5 }],
    ['v2 LOCAL', v2Header('local'), { address: '127.0.0.1' }],
  ] as const) {
    test(`proxy protocol - tcp: a ${name} header, CONNECT in the same segment: the peer is the proxied address`, async () => {
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const { reply, socket } = await exchange(server.ports[0]!, Buffer.concat([header, CONNECT]));
      assert.deepEqual(reply, CONNACK);
      const [{ client: info }] = await connected;
      assert.equal(info.peer.address, expected.address);
      if ('port' in expected) assert.equal(info.peer.port, expected.port);
      socket.destroy();
    });
  }

  test('proxy protocol - tls: the header precedes the TLS handshake; MQTT over that TLS sees the proxied address', async () => {
    const raw = netConnect(server.ports[1]!, '127.0.0.1');
    await nextEvent(raw, 'connect');
    raw.write('PROXY TCP4 192.0.2.55 10.0.0.1 12345 8883\r\n');
    const secure = tlsConnect({ socket: raw, ca: await readFile(pki.caCert), servername: 'localhost' });
    await nextEvent(secure, 'secureConnect');
    const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
    const reply = nextEvent<[Buffer]>(secure, 'data');
    secure.write(CONNECT);
    assert.deepEqual((await reply)[0], CONNACK);
    const [{ client: info }] = await connected;
    assert.equal(info.peer.address, '192.0.2.55');
    assert.equal(info.peer.listener, 'tls');
    secure.destroy();
  });

  test('proxy protocol - a malformed header closes that connection with a log line; the listener keeps serving', async () => {
    const { reply } = await exchange(server.ports[0]!, Buffer.from('PROXY TCP4 nonsense\r\n'));
    assert.equal(reply.length, 0, 'nothing answered');
    const logged = await server.waitForLog('bad PROXY protocol header; closing');
    assert.match(String(logged['reason']), /6 fields/);
    const { reply: again, socket } = await exchange(server.ports[0]!, Buffer.concat([Buffer.from('PROXY UNKNOWN\r\n'), CONNECT]));
    assert.deepEqual(again, CONNACK);
    socket.destroy();
  });

  test('proxy protocol - a plain MQTT client on a proxy_protocol listener is refused; a listener without the option ignores headers', async () => {
    const { reply } = await exchange(server.ports[0]!, CONNECT);
    assert.equal(reply.length, 0);
    await server.waitForLog('bad PROXY protocol header; closing', { reason: 'no PROXY protocol header' });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.ports[2]}`, { reconnectPeriod: 0 });
    assert.equal(client.connected, true);
    await client.endAsync();
  });
});
