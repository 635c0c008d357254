// WebSocket listeners: MQTT.js over ws:// and wss://, subprotocols mqtt and mqttv3.1, packets that
// span frames or share one, path, allowed origins, frame size, deflate off, ping/pong, and client
// addresses from X-Forwarded-For / X-Real-IP behind trusted proxies only.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import type { ClientConnectedEvent } from '../../src/index.js';
import { createPki, type Pki } from '../helpers/certificates.js';
import { nextEvent } from '../helpers/wait.js';
import { startTransportBroker, type TransportBroker } from './transport-broker.js';

// MQTT 3.1.1 packets, written out by hand so the framing is the test's choice.
const CONNECT = Buffer.from([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 2, 0x77, 0x31]); // client id "w1"
const CONNACK = Buffer.from([0x20, 2, 0, 0]);
const SUBSCRIBE_T = Buffer.from([0x82, 6, 0, 1, 0, 1, 0x74, 0]); // "t", QoS 0, packet id 1
const SUBACK = Buffer.from([0x90, 3, 0, 1, 0]);
const PUBLISH_T_HI = Buffer.from([0x30, 5, 0, 1, 0x74, 0x68, 0x69]); // "t" <- "hi"

/** A raw WebSocket client that collects every binary message's bytes. */
async function rawWebSocket(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, protocols: string[] = ['mqtt']) {
  const ws = new WebSocket(url, protocols, options);
  let received = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer) => {
    received = Buffer.concat([received, data]);
    for (const waiter of waiters.splice(0)) waiter();
  });
  await nextEvent(ws, 'open');
  return {
    ws,
    /** Resolves once `length` bytes in total have arrived. */
    async bytes(length: number): Promise<Buffer> {
      const deadline = Date.now() + 5000;
      while (received.length < length) {
        if (Date.now() > deadline) throw new Error(`got ${received.length} of ${length} bytes`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received.subarray(0, length);
    },
  };
}

/** The HTTP status a refused upgrade answers with. */
async function refusedStatus(url: string, protocols: string[] = ['mqtt'], headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('error', () => {});
  const [, response] = await nextEvent<[unknown, IncomingMessage]>(ws, 'unexpected-response');
  response.resume();
  ws.terminate();
  return response.statusCode ?? 0;
}

describe('websocket listeners', () => {
  let pki: Pki;
  let ca: Buffer;
  let server: TransportBroker;
  let wsUrl: string;

  before(async () => {
    pki = await createPki();
    ca = await readFile(pki.caCert);
    server = await startTransportBroker([
      { type: 'ws' },
      { type: 'wss', certFile: pki.serverCert, keyFile: pki.serverKey },
      { type: 'ws', path: '/custom', allowedOrigins: ['https://app.example'] },
      { type: 'ws', trustedProxies: ['127.0.0.1'] },
      { type: 'ws', trustedProxies: ['10.0.0.0/8'] },
    ], { maxPacketSize: 1024 });
    wsUrl = `ws://127.0.0.1:${server.ports[0]}/mqtt`;
  });
  after(async () => {
    await server.close();
    await pki.remove();
  });

  test('ws - MQTT.js over ws:// (subprotocol mqtt) subscribes and receives its own message', async () => {
    const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
    const client = await mqtt.connectAsync(wsUrl, { clientId: 'ws-1', reconnectPeriod: 0 });
    assert.equal((await connected)[0].client.peer.listener, 'ws');
    await client.subscribeAsync('ws/echo', { qos: 1 });
    const received = nextEvent<[string, Buffer]>(client, 'message');
    await client.publishAsync('ws/echo', 'over websocket', { qos: 1 });
    assert.equal((await received)[1].toString(), 'over websocket');
    await client.endAsync();
  });

  test('ws - MQTT 3.1 clients use the mqttv3.1 subprotocol; MQTT 5 works too', async () => {
    const v31 = await mqtt.connectAsync(wsUrl, { protocolId: 'MQIsdp', protocolVersion: 3, reconnectPeriod: 0 });
    const raw = await rawWebSocket(wsUrl, {}, ['mqttv3.1']);
    assert.equal(raw.ws.protocol, 'mqttv3.1', 'the server selects mqttv3.1 when that is what the client offers');
    raw.ws.close();
    const v5 = await mqtt.connectAsync(wsUrl, { protocolVersion: 5, reconnectPeriod: 0 });
    await v5.subscribeAsync('ws/v31');
    const received = nextEvent<[string, Buffer]>(v5, 'message');
    await v31.publishAsync('ws/v31', 'from 3.1');
    assert.equal((await received)[1].toString(), 'from 3.1');
    await Promise.all([v31.endAsync(), v5.endAsync()]);
  });

  test('ws - a CONNECT split over two frames, and SUBSCRIBE + PUBLISH sharing one frame [MQTT-6.0.0-2]', async () => {
    const client = await rawWebSocket(wsUrl);
    assert.equal(client.ws.protocol, 'mqtt', 'the server selects the mqtt subprotocol [MQTT-6.0.0-4]');
    client.ws.send(CONNECT.subarray(0, 5));
    client.ws.send(CONNECT.subarray(5));
    assert.deepEqual(await client.bytes(CONNACK.length), CONNACK);
    client.ws.send(Buffer.concat([SUBSCRIBE_T, PUBLISH_T_HI]));
    assert.deepEqual(await client.bytes(CONNACK.length + SUBACK.length + PUBLISH_T_HI.length), Buffer.concat([CONNACK, SUBACK, PUBLISH_T_HI]));
    client.ws.close();
  });

  test('ws - a text frame closes the connection with 1003 [MQTT-6.0.0-1]', async () => {
    const client = await rawWebSocket(wsUrl);
    const closed = nextEvent<[number]>(client.ws, 'close');
    client.ws.send('not binary');
    assert.equal((await closed)[0], 1003);
  });

  test('ws - a frame larger than max_packet_size closes the connection with 1009', async () => {
    const client = await rawWebSocket(wsUrl);
    const closed = nextEvent<[number]>(client.ws, 'close');
    client.ws.send(Buffer.alloc(2048));
    assert.equal((await closed)[0], 1009);
  });

  test('ws - per-message deflate is off: an offered extension is not accepted', async () => {
    const client = await rawWebSocket(wsUrl, { perMessageDeflate: true });
    assert.equal(client.ws.extensions, '');
    client.ws.close();
  });

  test('ws - the server answers a WebSocket ping with a pong', async () => {
    const client = await rawWebSocket(wsUrl);
    const pong = nextEvent<[Buffer]>(client.ws, 'pong');
    client.ws.ping(Buffer.from('are you there'));
    assert.equal((await pong)[0].toString(), 'are you there');
    client.ws.close();
  });

  test('wss - MQTT.js over wss:// with the CA', async () => {
    const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
    const client = await mqtt.connectAsync(`wss://127.0.0.1:${server.ports[1]}/mqtt`, { ca, reconnectPeriod: 0 } as mqtt.IClientOptions);
    assert.equal((await connected)[0].client.peer.listener, 'wss');
    await client.subscribeAsync('wss/echo');
    const received = nextEvent<[string, Buffer]>(client, 'message');
    await client.publishAsync('wss/echo', 'over wss');
    assert.equal((await received)[1].toString(), 'over wss');
    await client.endAsync();
  });

  test('ws - a configured path and allowed origins: other paths get 404, other origins 403', async () => {
    const base = `ws://127.0.0.1:${server.ports[2]}`;
    assert.equal(await refusedStatus(`${base}/mqtt`, ['mqtt'], { Origin: 'https://app.example' }), 404);
    assert.equal(await refusedStatus(`${base}/custom`, ['mqtt'], { Origin: 'https://evil.example' }), 403);
    assert.equal(await refusedStatus(`${base}/custom`), 403, 'no Origin at all');
    const client = await mqtt.connectAsync(`${base}/custom`, { reconnectPeriod: 0, wsOptions: { headers: { Origin: 'https://app.example' } } });
    assert.equal(client.connected, true);
    await client.endAsync();
    await server.waitForLog('WebSocket upgrade refused', { status: 403 });
  });

  test('ws - X-Forwarded-For from a trusted proxy gives the client address; the right-most untrusted hop wins', async () => {
    const url = `ws://127.0.0.1:${server.ports[3]}/mqtt`;
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-Forwarded-For': '203.0.113.7' }, '203.0.113.7'],
      [{ 'X-Forwarded-For': '198.51.100.1, 203.0.113.8, 127.0.0.1' }, '203.0.113.8'],
      [{ 'X-Real-IP': '2001:db8::5' }, '2001:db8::5'],
      [{}, '127.0.0.1'],
    ];
    for (const [headers, expected] of cases) {
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, wsOptions: { headers } });
      assert.equal((await connected)[0].client.peer.address, expected, JSON.stringify(headers));
      await client.endAsync();
    }
  });

  test('ws - X-Forwarded-For from an address that is not a trusted proxy is ignored', async () => {
    const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${server.ports[4]}/mqtt`, {
      reconnectPeriod: 0,
      wsOptions: { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Real-IP': '203.0.113.9' } },
    });
    assert.equal((await connected)[0].client.peer.address, '127.0.0.1');
    await client.endAsync();
  });
});
