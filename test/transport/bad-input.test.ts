// Bad input on each transport closes that one connection with a clear log line; a well-behaved
// client on the same listener is not affected.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import { createPki, type Pki } from '../helpers/certificates.js';
import { nextEvent } from '../helpers/wait.js';
import { startTransportBroker, type TransportBroker } from './transport-broker.js';

describe('bad input', () => {
  let pki: Pki;
  let ca: Buffer;
  let server: TransportBroker;
  let bystander: mqtt.MqttClient;

  before(async () => {
    pki = await createPki();
    ca = await readFile(pki.caCert);
    server = await startTransportBroker([
      { type: 'tcp' },
      { type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKey },
      { type: 'ws' },
    ]);
    // Connected throughout: every bad connection below must leave it working.
    bystander = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[1]}`, { ca, reconnectPeriod: 0 });
    await bystander.subscribeAsync('bystander/echo');
  });
  after(async () => {
    await bystander.endAsync();
    await server.close();
    await pki.remove();
  });

  async function bystanderStillWorks(): Promise<void> {
    const received = nextEvent<[string, Buffer]>(bystander, 'message');
    await bystander.publishAsync('bystander/echo', 'fine');
    assert.equal((await received)[1].toString(), 'fine');
  }

  /** Sends bytes on a plain TCP connection to `port` and resolves with everything received until it closes. */
  async function sendAndClose(port: number, bytes: string | Buffer): Promise<Buffer> {
    const socket = netConnect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => {});
    socket.write(bytes);
    await nextEvent(socket, 'close');
    return received;
  }

  test('bad input - plain MQTT (not TLS) on the TLS port: the handshake fails and is logged', async () => {
    const connack = Buffer.from([0x10, 14, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 2, 0x62, 0x31]);
    const received = await sendAndClose(server.ports[1]!, connack);
    assert.notDeepEqual(received.subarray(0, 4), Buffer.from([0x20, 2, 0, 0]), 'no CONNACK in clear text');
    const logged = await server.waitForLog('TLS handshake failed; closing');
    assert.equal(logged['peer'], '127.0.0.1');
    await bystanderStillWorks();
  });

  test('bad input - a plain HTTP request on the MQTT tcp port is named in the log and closed', async () => {
    await sendAndClose(server.ports[0]!, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await server.waitForLog('HTTP request on an MQTT port (WebSocket clients need a ws/wss listener); closing');
    await bystanderStillWorks();
  });

  test('bad input - a WebSocket asking for a non-MQTT subprotocol gets 400 and a log line', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports[2]}/mqtt`, ['chat']);
    ws.on('error', () => {});
    const [, response] = await nextEvent<[unknown, IncomingMessage]>(ws, 'unexpected-response');
    response.resume();
    ws.terminate();
    assert.equal(response.statusCode, 400);
    const logged = await server.waitForLog('WebSocket upgrade refused', { status: 400 });
    assert.match(String(logged['reason']), /chat/);
    await bystanderStillWorks();
  });

  test('bad input - a plain HTTP GET on the WebSocket path gets 426 Upgrade Required', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request(`http://127.0.0.1:${server.ports[2]}/mqtt`, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject).end();
    });
    assert.equal(status, 426);
    await server.waitForLog('plain HTTP request on the MQTT WebSocket path');
    await bystanderStillWorks();
  });

  test('bad input - garbage after a good WebSocket upgrade closes only that connection', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.ports[2]}/mqtt`, ['mqtt']);
    await nextEvent(ws, 'open');
    const closed = nextEvent(ws, 'close');
    ws.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
    await closed;
    await server.waitForLog('closing connection');
    await bystanderStillWorks();
  });
});
