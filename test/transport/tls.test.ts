// TLS listener: MQTT.js over mqtts://, mosquitto clients with --cafile, encrypted keys, minimum
// version, SNI, and certificate reload (file change and SIGHUP) without touching live connections.

import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import type { ClientConnectedEvent } from '../../src/index.js';
import { createPki, type Pki } from '../helpers/certificates.js';
import { Children, subscribedOrExited } from '../helpers/interop.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { startTransportBroker } from './transport-broker.js';

/** The certificate a TLS server presents for `servername` (subject CN and serial). */
function servedCertificate(port: number, ca: Buffer, servername = 'localhost'): Promise<{ cn: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername }, () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      resolve({ cn: String(certificate.subject.CN), serial: certificate.serialNumber });
    });
    socket.once('error', reject);
  });
}

describe('tls listener', () => {
  let pki: Pki;
  let ca: Buffer;
  const children = new Children();

  before(async () => {
    pki = await createPki();
    ca = await readFile(pki.caCert);
  });
  after(async () => {
    await children.killAll();
    await pki.remove();
  });

  test('tls - MQTT.js over mqtts:// subscribes and receives its own message; the peer is a tls peer', async () => {
    const server = await startTransportBroker([{ type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKey }]);
    try {
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, clientId: 'tls-1', reconnectPeriod: 0 });
      const [{ client: info }] = await connected;
      assert.equal(info.peer.listener, 'tls');
      assert.equal(info.peer.address, '127.0.0.1');
      assert.equal(info.peer.certificate, undefined, 'no client certificate without request_cert');
      await client.subscribeAsync('tls/echo', { qos: 1 });
      const received = nextEvent<[string, Buffer]>(client, 'message');
      await client.publishAsync('tls/echo', 'over tls', { qos: 1 });
      const [topic, payload] = await received;
      assert.equal(topic, 'tls/echo');
      assert.equal(payload.toString(), 'over tls');
      await client.endAsync();
    } finally {
      await server.close();
    }
  });

  test('tls - a key encrypted with key_passphrase; TLS 1.2 refused when min_tls_version is TLSv1.3', async () => {
    const server = await startTransportBroker([
      { type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKeyEncrypted, keyPassphrase: pki.passphrase, minTlsVersion: 'TLSv1.3' },
    ]);
    try {
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, reconnectPeriod: 0 });
      assert.equal(client.connected, true);
      await client.endAsync();
      const old = mqtt.connect(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, reconnectPeriod: 0, maxVersion: 'TLSv1.2' } as mqtt.IClientOptions);
      const [error] = await nextEvent<[Error & { code?: string }]>(old, 'error');
      assert.match(String(error.code ?? error.message), /EPROTO|ALERT|VERSION|ECONNRESET/i);
      old.end(true);
      const logged = await server.waitForLog('TLS handshake failed; closing');
      assert.match(String(logged["reason"]), /unsupported protocol|version/i);
    } finally {
      await server.close();
    }
  });

  test('tls - a wrong key passphrase fails at start with the file named', async () => {
    await assert.rejects(
      startTransportBroker([{ type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKeyEncrypted, keyPassphrase: 'wrong' }]),
      (error: Error) => error.message.includes(pki.serverKeyEncrypted),
    );
  });

  test('tls - SNI picks the certificate for the server name the client asks for', async () => {
    const other = pki.issue('other', '/O=Starling Test/CN=other.example', { altNames: 'DNS:other.example' });
    const server = await startTransportBroker([
      { type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKey, sni: [{ servername: 'other.example', certFile: other.cert, keyFile: other.key }] },
    ]);
    try {
      assert.equal((await servedCertificate(server.ports[0]!, ca, 'other.example')).cn, 'other.example');
      assert.equal((await servedCertificate(server.ports[0]!, ca, 'localhost')).cn, 'localhost');
      const client = await mqtt.connectAsync(`mqtts://localhost:${server.ports[0]}`, { ca, servername: 'other.example', reconnectPeriod: 0 });
      assert.equal(client.connected, true);
      await client.endAsync();
    } finally {
      await server.close();
    }
  });

  test('tls - mosquitto_pub reaches mosquitto_sub with --cafile', async () => {
    const server = await startTransportBroker([{ type: 'tls', certFile: pki.serverCert, keyFile: pki.serverKey }]);
    try {
      const common = ['-h', '127.0.0.1', '-p', String(server.ports[0]), '--cafile', pki.caCert];
      const sub = children.start('mosquitto_sub', [...common, '-i', 'mosq-tls-sub', '-t', 'tls/mosquitto', '-C', '1', '-W', '10']);
      await subscribedOrExited(server.broker, 'mosq-tls-sub', sub);
      await children.start('mosquitto_pub', [...common, '-i', 'mosq-tls-pub', '-t', 'tls/mosquitto', '-m', 'hello tls']).succeeded();
      assert.equal((await sub.succeeded()).stdout, 'hello tls\n');
    } finally {
      await server.close();
    }
  });

  test('tls - a new certificate written over the files is served to new connections; a live connection keeps working', async () => {
    const certFile = join(pki.directory, 'live.crt');
    const keyFile = join(pki.directory, 'live.key');
    await copyFile(pki.serverCert, certFile);
    await copyFile(pki.serverKey, keyFile);
    const server = await startTransportBroker([{ type: 'tls', certFile, keyFile }]);
    try {
      const port = server.ports[0]!;
      const before = await servedCertificate(port, ca);
      const live = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ca, reconnectPeriod: 0 });
      await live.subscribeAsync('reload/echo');

      const renewed = pki.issue('renewed', '/O=Starling Test/CN=localhost');
      await copyFile(renewed.key, keyFile);
      await copyFile(renewed.cert, certFile);
      await server.waitForLog('certificate reloaded');
      const afterReload = await servedCertificate(port, ca);
      assert.notEqual(afterReload.serial, before.serial, 'the renewed certificate is served');

      const received = nextEvent<[string, Buffer]>(live, 'message');
      await live.publishAsync('reload/echo', 'still here');
      assert.equal((await received)[1].toString(), 'still here');
      assert.equal(live.connected, true);
      await live.endAsync();
    } finally {
      await server.close();
    }
  });

  test('tls - SIGHUP reloads the certificates; the handler goes away with the broker', async () => {
    const certFile = join(pki.directory, 'hup.crt');
    const keyFile = join(pki.directory, 'hup.key');
    await copyFile(pki.serverCert, certFile);
    await copyFile(pki.serverKey, keyFile);
    const handlersBefore = process.listenerCount('SIGHUP');
    const server = await startTransportBroker([{ type: 'tls', certFile, keyFile }]);
    try {
      assert.equal(process.listenerCount('SIGHUP'), handlersBefore + 1);
      const port = server.ports[0]!;
      const before = await servedCertificate(port, ca);
      const renewed = pki.issue('hup-renewed', '/O=Starling Test/CN=localhost');
      await copyFile(renewed.key, keyFile);
      await copyFile(renewed.cert, certFile);
      process.kill(process.pid, 'SIGHUP');
      await waitFor(() => server.logs.some((record) => record.msg === 'certificate reloaded'), 'a reload');
      assert.notEqual((await servedCertificate(port, ca)).serial, before.serial);
    } finally {
      await server.close();
    }
    assert.equal(process.listenerCount('SIGHUP'), handlersBefore);
  });

  test('tls - a half-written rotation (key without its certificate) keeps the previous certificate', async () => {
    const certFile = join(pki.directory, 'half.crt');
    const keyFile = join(pki.directory, 'half.key');
    await copyFile(pki.serverCert, certFile);
    await copyFile(pki.serverKey, keyFile);
    const server = await startTransportBroker([{ type: 'tls', certFile, keyFile }]);
    try {
      const before = await servedCertificate(server.ports[0]!, ca);
      await copyFile(pki.clientKey, keyFile); // a key that does not match the certificate
      server.broker.reloadCertificates();
      await server.waitForLog('certificate reload failed; keeping the previous certificate');
      assert.equal((await servedCertificate(server.ports[0]!, ca)).serial, before.serial);
    } finally {
      await server.close();
    }
  });
});
