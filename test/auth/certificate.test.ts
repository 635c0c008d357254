// Client certificate authentication over mutual TLS: the verified certificate's CN becomes the
// username; without a certificate the client is left to the rest of the chain (here: refused).
// MQTT.js 3.1.1 and 5 and mosquitto_pub.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createBroker } from '../../src/index.js';
import { createLogger } from '../../src/internal.js';
import { createPki } from '../helpers/certificates.js';
import { connackCode, mosquittoPub } from './clients.js';

test('certificate - mutual TLS: the CN is the identity (MQTT 3.1.1 and 5); no certificate is refused on a non-loopback listener', async () => {
  const pki = await createPki();
  const broker = createBroker({
    durability: 'memory',
    sysInterval: 0,
    logger: createLogger({ logLevel: 'silent', logPretty: false }),
    listeners: [
      {
        type: 'tls', host: '0.0.0.0', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert,
        requestCert: true, rejectUnauthorized: false, authentication: [{ type: 'certificate' }],
      },
    ],
  });
  try {
    const [address] = await broker.listen();
    const url = `mqtts://127.0.0.1:${address!.port}`;
    const tls = { ca: readFileSync(pki.caCert), rejectUnauthorized: true };
    const withCert = { ...tls, cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) };
    const v5 = await connackCode(url, { ...withCert, protocolVersion: 5, clientId: 'd1' }, broker);
    assert.equal(v5.code, 0);
    assert.equal(v5.client?.username, 'device-1');
    assert.equal((v5.client?.attributes?.['certificate'] as { cn: string }).cn, 'device-1');
    assert.equal((await connackCode(url, { ...withCert, protocolVersion: 4, clientId: 'd2', username: 'claims-other' }, broker)).code, 0);
    assert.equal((await connackCode(url, { ...tls, protocolVersion: 5, clientId: 'd3' })).code, 0x87);
    assert.equal((await connackCode(url, { ...tls, protocolVersion: 4, clientId: 'd4', username: 'x', password: 'y' })).code, 4);
    // mosquitto_pub over TLS: with the client certificate it is let in, without it refused.
    const port = address!.port;
    for (const version of ['mqttv311', 'mqttv5']) {
      const accepted = await mosquittoPub(port, ['-V', version, '--cafile', pki.caCert, '--cert', pki.clientCert, '--key', pki.clientKey, '-i', `m-${version}`]);
      assert.equal(accepted.exitCode, 0, accepted.stderr);
      assert.notEqual((await mosquittoPub(port, ['-V', version, '--cafile', pki.caCert, '-i', `n-${version}`])).exitCode, 0);
    }
  } finally {
    await broker.close();
    await pki.remove();
  }
});
