// SCRAM-SHA-256 and SCRAM-SHA-512 over MQTT 5 enhanced authentication (CONNECT, AUTH 0x18, CONNACK)
// against the built-in users, with a small SCRAM client written here (RFC 5802), and
// re-authentication (AUTH 0x19) on a live connection.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type mqttPacket from 'mqtt-packet';
import { RawClient, type RawPacket } from '../helpers/raw-client.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';

type Hash = 'sha256' | 'sha512';
const METHOD: Record<Hash, string> = { sha256: 'SCRAM-SHA-256', sha512: 'SCRAM-SHA-512' };

/** The client side of one SCRAM exchange. */
class ScramClient {
  readonly nonce = randomBytes(18).toString('base64');
  readonly clientFirstBare: string;
  private authMessage = '';
  private saltedPassword = Buffer.alloc(0);

  constructor(
    private readonly hash: Hash,
    username: string,
    private readonly password: string,
  ) {
    this.clientFirstBare = `n=${username},r=${this.nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  final(serverFirst: string): Buffer {
    const fields = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
    assert.ok(fields['r']!.startsWith(this.nonce), 'server nonce extends the client nonce');
    this.saltedPassword = pbkdf2Sync(this.password, Buffer.from(fields['s']!, 'base64'), Number(fields['i']), this.hash === 'sha256' ? 32 : 64, this.hash);
    const withoutProof = `c=biws,r=${fields['r']!}`;
    this.authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = createHmac(this.hash, this.saltedPassword).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const signature = createHmac(this.hash, storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(clientKey.map((byte, index) => byte ^ signature[index]!));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  verifyServerFinal(serverFinal: string): boolean {
    const serverKey = createHmac(this.hash, this.saltedPassword).update('Server Key').digest();
    return serverFinal === `v=${createHmac(this.hash, serverKey).update(this.authMessage).digest('base64')}`;
  }
}

async function withScramBroker(body: (b: TestBroker) => Promise<void>): Promise<void> {
  const b = await startBroker({ authentication: [{ type: 'builtin' }] });
  try {
    await b.broker.users.add('scram-user', 'pencil and paper');
    await body(b);
  } finally {
    await b.close();
  }
}

/** CONNECT with the method, answer the challenge; returns the final packet (CONNACK) and the client. */
async function scramConnect(b: TestBroker, hash: Hash, username: string, password: string): Promise<{ client: RawClient; scram: ScramClient; last: RawPacket }> {
  const scram = new ScramClient(hash, username, password);
  const client = await RawClient.open(b.port, 5);
  client.send({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: `scram-${hash}`, clean: true, keepalive: 60,
    properties: { authenticationMethod: METHOD[hash], authenticationData: scram.first() },
  } as mqttPacket.IConnectPacket);
  const challenge = await client.expect('auth');
  assert.equal(challenge.reasonCode, 0x18);
  assert.equal(challenge.properties?.authenticationMethod, METHOD[hash]);
  client.send({
    cmd: 'auth', reasonCode: 0x18,
    properties: { authenticationMethod: METHOD[hash], authenticationData: scram.final(challenge.properties!.authenticationData!.toString()) },
  } as mqttPacket.IAuthPacket);
  return { client, scram, last: await client.next() };
}

for (const hash of ['sha256', 'sha512'] as const) {
  test(`scram - ${METHOD[hash]}: the right password connects and the server proves it knows the key`, () =>
    withScramBroker(async (b) => {
      const { client, scram, last } = await scramConnect(b, hash, 'scram-user', 'pencil and paper');
      assert.equal(last.cmd, 'connack');
      const connack = last as mqttPacket.IConnackPacket;
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties?.authenticationMethod, METHOD[hash]);
      assert.ok(scram.verifyServerFinal(connack.properties!.authenticationData!.toString()), 'server signature verifies');
      client.socket.destroy();
    }));

  test(`scram - ${METHOD[hash]}: a wrong password gets CONNACK 0x86, an unknown user too`, () =>
    withScramBroker(async (b) => {
      for (const [username, password] of [['scram-user', 'wrong'], ['nobody', 'pencil and paper']] as const) {
        const { client, last } = await scramConnect(b, hash, username, password);
        assert.equal(last.cmd, 'connack');
        assert.equal((last as mqttPacket.IConnackPacket).reasonCode, 0x86);
        await client.closed();
      }
    }));
}

test('scram - re-authentication (AUTH 0x19) on a live connection succeeds with AUTH 0x00; a wrong password disconnects with 0x87', () =>
  withScramBroker(async (b) => {
    const { client, last } = await scramConnect(b, 'sha256', 'scram-user', 'pencil and paper');
    assert.equal((last as mqttPacket.IConnackPacket).reasonCode, 0);
    const reauth = async (password: string): Promise<RawPacket> => {
      const scram = new ScramClient('sha256', 'scram-user', password);
      client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: scram.first() } } as mqttPacket.IAuthPacket);
      const challenge = await client.expect('auth');
      assert.equal(challenge.reasonCode, 0x18);
      client.send({
        cmd: 'auth', reasonCode: 0x18,
        properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: scram.final(challenge.properties!.authenticationData!.toString()) },
      } as mqttPacket.IAuthPacket);
      return client.next();
    };
    const ok = await reauth('pencil and paper');
    assert.equal(ok.cmd, 'auth');
    assert.equal((ok as mqttPacket.IAuthPacket).reasonCode, 0);
    const refused = await reauth('not the password');
    assert.equal(refused.cmd, 'disconnect');
    // [MQTT-4.12.1-2] a failed re-authentication disconnects; 0x86 is not a DISCONNECT reason code, 0x87 is
    assert.equal((refused as mqttPacket.IDisconnectPacket).reasonCode, 0x87);
    await client.closed();
  }));

test('scram - not offered on a listener whose chain has no builtin authenticator (0x8C Bad authentication method)', async () => {
  const b = await startBroker({ authentication: [{ type: 'jwt', secret: 'some secret long enough here' }] });
  try {
    const client = await RawClient.open(b.port, 5);
    client.send({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'x', clean: true, keepalive: 60,
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('n,,n=a,r=abc') },
    } as mqttPacket.IConnectPacket);
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x8c);
  } finally {
    await b.close();
  }
});
