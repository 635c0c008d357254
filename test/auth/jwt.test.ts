// JWT authentication: HS256 with a secret, RS256 with a PEM key file, ES256 from a JWKS URL;
// exp and nbf honoured; the token read from the password or the username; claims on ClientInfo;
// MQTT.js 3.1.1 and 5 and mosquitto_pub.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { startBroker } from '../helpers/broker.js';
import { connackCode, mosquittoPub } from './clients.js';

const secret = 'a shared secret of sufficient length!';
const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: Record<string, unknown>, key = secret): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(key));
}

test('jwt - HS256 from the password: valid, wrong key, expired, not yet valid; claims and superuser on ClientInfo', async () => {
  // Lockout off: this test fails more than five times from 127.0.0.1 on purpose (lockout.test.ts covers it).
  const b = await startBroker({ authentication: [{ type: 'jwt', secret }], lockout: { maxFailures: 0, window: 60, duration: 300 } });
  try {
    const valid = await hs256({ sub: 'dev-1', is_superuser: true, topics: ['a/#'], exp: now() + 60 });
    const ok = await connackCode(b.url, { protocolVersion: 5, clientId: 'j1', username: 'dev-1', password: valid }, b.broker);
    assert.equal(ok.code, 0);
    assert.equal(ok.client?.superuser, true);
    assert.deepEqual((ok.client?.attributes?.['jwt'] as { topics: string[] }).topics, ['a/#']);
    const v3 = await connackCode(b.url, { protocolVersion: 4, clientId: 'j2', username: 'dev-1', password: valid });
    assert.equal(v3.code, 0);
    const forged = await hs256({ sub: 'dev-1' }, 'another secret entirely, also long');
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'j3', username: 'x', password: forged })).code, 0x86);
    const expired = await hs256({ sub: 'dev-1', exp: now() - 60 });
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'j4', username: 'x', password: expired })).code, 0x86);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'j5', username: 'x', password: expired })).code, 4);
    const early = await hs256({ sub: 'dev-1', nbf: now() + 3600 });
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'j6', username: 'x', password: early })).code, 0x86);
    // mosquitto_pub with the token as its password, MQTT 3.1.1 and 5.
    for (const version of ['mqttv311', 'mqttv5']) {
      const accepted = await mosquittoPub(b.port, ['-V', version, '-u', 'dev-1', '-P', valid, '-i', `jm-${version}`]);
      assert.equal(accepted.exitCode, 0, accepted.stderr);
      assert.notEqual((await mosquittoPub(b.port, ['-V', version, '-u', 'dev-1', '-P', expired, '-i', `jx-${version}`])).exitCode, 0);
    }
    // Not a token at all: no authenticator knows it, so it is a bad password.
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'j7', username: 'x', password: 'plain' })).code, 0x86);
  } finally {
    await b.close();
  }
});

test('jwt - token in the username (from: username): the subject becomes the username', async () => {
  const b = await startBroker({ authentication: [{ type: 'jwt', secret, from: 'username' }] });
  try {
    const token = await hs256({ sub: 'sensor-7', exp: now() + 60 });
    const ok = await connackCode(b.url, { protocolVersion: 5, clientId: 'u1', username: token }, b.broker);
    assert.equal(ok.code, 0);
    assert.equal(ok.client?.username, 'sensor-7');
    const expired = await hs256({ sub: 'sensor-7', exp: now() - 5 });
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'u2', username: expired })).code, 0x86);
  } finally {
    await b.close();
  }
});

test('jwt - RS256 with a PEM public key file; a token signed by another key is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'starling-jwt-'));
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const publicKeyFile = join(dir, 'public.pem');
  await writeFile(publicKeyFile, await exportSPKI(publicKey));
  const b = await startBroker({ authentication: [{ type: 'jwt', publicKeyFile }] });
  try {
    const sign = (key: Parameters<SignJWT['sign']>[0]) => new SignJWT({ sub: 'r' }).setProtectedHeader({ alg: 'RS256' }).setExpirationTime('1m').sign(key);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'r1', username: 'r', password: await sign(privateKey) })).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'r2', username: 'r', password: await sign(other.privateKey) })).code, 4);
  } finally {
    await b.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('jwt - ES256 keys from a JWKS URL, fetched once and cached', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  const server = createServer((_request, response) => {
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const b = await startBroker({ authentication: [{ type: 'jwt', jwksUrl: `http://127.0.0.1:${address.port}/jwks.json` }] });
  try {
    const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'e1', username: 'e', password: await sign({ exp: now() + 60 }) })).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'e2', username: 'e', password: await sign({ exp: now() + 60 }) })).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'e3', username: 'e', password: await sign({ exp: now() - 60 }) })).code, 0x86);
    assert.equal(fetches, 1);
  } finally {
    await b.close();
    server.close();
  }
});
