// Mutual TLS: client certificates verified against the CA bundle (and a CRL), the certificate as
// the auth layer sees it, and peer_cert_as_username / peer_cert_as_client_id.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import type { AuthenticateRequest, ClientConnectedEvent } from '../../src/index.js';
import { createPki, type Pki } from '../helpers/certificates.js';
import { Children, subscribedOrExited } from '../helpers/interop.js';
import { nextEvent } from '../helpers/wait.js';
import { startTransportBroker } from './transport-broker.js';

describe('mutual tls', () => {
  let pki: Pki;
  let ca: Buffer;
  let clientCert: Buffer;
  let clientKey: Buffer;
  const children = new Children();

  before(async () => {
    pki = await createPki();
    [ca, clientCert, clientKey] = await Promise.all([readFile(pki.caCert), readFile(pki.clientCert), readFile(pki.clientKey)]);
  });
  after(async () => {
    await children.killAll();
    await pki.remove();
  });

  const mutual = () => ({ type: 'tls' as const, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert, requestCert: true });

  test('mutual tls - the verified client certificate reaches the authenticate hook (subject, CN, SAN, fingerprint)', async () => {
    const server = await startTransportBroker([mutual()]);
    try {
      const requests: AuthenticateRequest[] = [];
      server.broker.addHook('authenticate', (request) => {
        requests.push(request);
        return { result: 'allow' };
      });
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, cert: clientCert, key: clientKey, username: 'as-sent', reconnectPeriod: 0 });
      const certificate = requests[0]?.peer.certificate;
      assert.ok(certificate, 'a certificate in PeerInfo');
      assert.equal(certificate.commonName, 'device-1');
      assert.equal(certificate.subject, 'CN=device-1,O=Starling');
      assert.deepEqual(certificate.subjectAltNames, ['email:device-1@example.com']);
      assert.match(certificate.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(certificate.issuer, 'CN=Starling Test CA,O=Starling Test');
      assert.equal(requests[0]?.username, 'as-sent', 'without peer_cert_as_username the CONNECT username stands');
      await client.endAsync();
    } finally {
      await server.close();
    }
  });

  test('mutual tls - no certificate, or one from another CA, is refused with the reason logged', async () => {
    const server = await startTransportBroker([mutual()]);
    try {
      const url = `mqtts://127.0.0.1:${server.ports[0]}`;
      for (const extra of [{}, { cert: await readFile(pki.strangerCert), key: await readFile(pki.strangerKey) }]) {
        const client = mqtt.connect(url, { ca, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
        const outcome = await Promise.race([nextEvent(client, 'error').then(() => 'error'), nextEvent(client, 'close').then(() => 'close'), nextEvent(client, 'connect').then(() => 'connected')]);
        client.end(true);
        assert.notEqual(outcome, 'connected');
      }
      const logged = await server.waitForLog('TLS client certificate refused; closing');
      assert.match(String(logged['reason']), /CERT/i);
      assert.equal(server.broker.metrics.value('connections.accepted'), 0, 'no MQTT connection was created');
    } finally {
      await server.close();
    }
  });

  test('mutual tls - reject_unauthorized false lets a client without a certificate in, with no certificate in PeerInfo', async () => {
    const server = await startTransportBroker([{ ...mutual(), rejectUnauthorized: false, peerCertAsUsername: 'cn' }]);
    try {
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, username: 'plain', reconnectPeriod: 0 });
      const [{ client: info }] = await connected;
      assert.equal(info.peer.certificate, undefined);
      assert.equal(info.username, 'plain');
      await client.endAsync();
    } finally {
      await server.close();
    }
  });

  test('mutual tls - peer_cert_as_username cn|dn replaces the CONNECT username; peer_cert_as_client_id cn sets the client id', async () => {
    const server = await startTransportBroker([
      { ...mutual(), peerCertAsUsername: 'cn', peerCertAsClientId: 'cn' },
      { ...mutual(), peerCertAsUsername: 'dn' },
    ]);
    try {
      const seen: Array<string | undefined> = [];
      server.broker.addHook('authenticate', (request) => {
        seen.push(request.username);
        return { result: 'allow' };
      });
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const first = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[0]}`, { ca, cert: clientCert, key: clientKey, clientId: 'spoofed', username: 'spoofed', reconnectPeriod: 0 });
      const [{ client: info }] = await connected;
      assert.equal(info.clientId, 'device-1');
      assert.equal(info.username, 'device-1');
      const second = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.ports[1]}`, { ca, cert: clientCert, key: clientKey, username: 'spoofed', reconnectPeriod: 0 });
      assert.deepEqual(seen, ['device-1', 'CN=device-1,O=Starling']);
      await Promise.all([first.endAsync(), second.endAsync()]);
    } finally {
      await server.close();
    }
  });

  test('mutual tls - a certificate revoked in crl_file is refused, another one from the same CA is not', async () => {
    const revoked = pki.issue('revoked', '/O=Starling/CN=revoked-device', { client: true });
    const good = pki.issue('good', '/O=Starling/CN=good-device', { client: true });
    const crlFile = pki.crl('revoked', [revoked.cert]);
    const server = await startTransportBroker([{ ...mutual(), crlFile }]);
    try {
      const url = `mqtts://127.0.0.1:${server.ports[0]}`;
      const ok = await mqtt.connectAsync(url, { ca, cert: await readFile(good.cert), key: await readFile(good.key), reconnectPeriod: 0 });
      assert.equal(ok.connected, true);
      await ok.endAsync();
      const refused = mqtt.connect(url, { ca, cert: await readFile(revoked.cert), key: await readFile(revoked.key), reconnectPeriod: 0 });
      const outcome = await Promise.race([nextEvent(refused, 'error').then(() => 'error'), nextEvent(refused, 'close').then(() => 'close'), nextEvent(refused, 'connect').then(() => 'connected')]);
      refused.end(true);
      assert.notEqual(outcome, 'connected');
      const logged = await server.waitForLog('TLS client certificate refused; closing');
      assert.match(String(logged['reason']), /revoked/i);
    } finally {
      await server.close();
    }
  });

  test('mutual tls - mosquitto_pub and mosquitto_sub with --cert/--key', async () => {
    const server = await startTransportBroker([{ ...mutual(), peerCertAsUsername: 'cn' }]);
    try {
      const common = ['-h', '127.0.0.1', '-p', String(server.ports[0]), '--cafile', pki.caCert, '--cert', pki.clientCert, '--key', pki.clientKey];
      const sub = children.start('mosquitto_sub', [...common, '-i', 'mosq-mtls-sub', '-t', 'mtls/mosquitto', '-C', '1', '-W', '10']);
      const subscribed = await subscribedOrExited(server.broker, 'mosq-mtls-sub', sub);
      assert.equal(subscribed.client.username, 'device-1');
      assert.equal(subscribed.client.peer.certificate?.commonName, 'device-1');
      await children.start('mosquitto_pub', [...common, '-i', 'mosq-mtls-pub', '-t', 'mtls/mosquitto', '-m', 'hello mtls']).succeeded();
      assert.equal((await sub.succeeded()).stdout, 'hello mtls\n');
    } finally {
      await server.close();
    }
  });

  test('mutual tls - MQTT.js over wss:// with a client certificate', async () => {
    const server = await startTransportBroker([{ ...mutual(), type: 'wss', peerCertAsUsername: 'cn' }]);
    try {
      const connected = nextEvent<[ClientConnectedEvent]>(server.broker, 'client.connected');
      const client = await mqtt.connectAsync(`wss://127.0.0.1:${server.ports[0]}/mqtt`, { ca, cert: clientCert, key: clientKey, reconnectPeriod: 0 } as mqtt.IClientOptions);
      const [{ client: info }] = await connected;
      assert.equal(info.peer.listener, 'wss');
      assert.equal(info.username, 'device-1');
      await client.endAsync();
    } finally {
      await server.close();
    }
  });
});
