import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import type { EnhancedAuthRequest } from '../../src/index.js';

const METHOD = 'CHALLENGE-TEST';

/**
 * A two-step challenge: the client's first data is its name, the broker answers with a nonce, the
 * client proves itself by sending the nonce reversed.
 */
function challengeHook(request: EnhancedAuthRequest) {
  if (request.method !== METHOD) return undefined;
  const data = request.data?.toString() ?? '';
  if (data.startsWith('hello:')) return { result: 'continue' as const, data: Buffer.from('nonce-123') };
  if (data === '321-ecnon') return { result: 'success' as const, data: Buffer.from('welcome') };
  return { result: 'deny' as const, reasonCode: 0x87, reasonString: 'wrong answer' };
}

describe('enhanced authentication', () => {
  let server: TestBroker;
  let plain: TestBroker;
  const seen: EnhancedAuthRequest[] = [];
  before(async () => {
    server = await startBroker();
    server.broker.addHook('enhancedAuth', (request) => {
      seen.push(request);
      return challengeHook(request);
    });
    plain = await startBroker();
  });
  after(async () => {
    await Promise.all([server.close(), plain.close()]);
  });

  function sendConnect(client: RawClient, clientId: string, method: string, data: string): void {
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId,
      clean: true,
      keepalive: 60,
      properties: { authenticationMethod: method, authenticationData: Buffer.from(data) },
    });
  }

  async function authenticate(clientId: string): Promise<RawClient> {
    const client = await RawClient.open(server.port, 5);
    sendConnect(client, clientId, METHOD, 'hello:me');
    const challenge = await client.expect('auth');
    assert.equal(challenge.reasonCode, 0x18);
    assert.equal(challenge.properties?.authenticationMethod, METHOD);
    assert.equal(String(challenge.properties?.authenticationData), 'nonce-123');
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('321-ecnon') } });
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.authenticationMethod, METHOD);
    assert.equal(String(connack.properties?.authenticationData), 'welcome');
    return client;
  }

  test('enhanced auth - CONNECT, AUTH 0x18 challenge, AUTH 0x18 answer, CONNACK success with the method [MQTT-4.12.0-2]', async () => {
    const client = await authenticate('ea-two-step');
    try {
      client.send({ cmd: 'pingreq' });
      await client.expect('pingresp');
      const forThisClient = seen.filter((request) => request.clientId === 'ea-two-step');
      assert.deepEqual(
        forThisClient.map((request) => [request.data?.toString(), request.reauthenticate]),
        [
          ['hello:me', false],
          ['321-ecnon', false],
        ],
      );
    } finally {
      client.destroy();
    }
  });

  test('enhanced auth - a wrong answer gets CONNACK with the hook reason code', async () => {
    const client = await RawClient.open(server.port, 5);
    sendConnect(client, 'ea-wrong', METHOD, 'hello:me');
    await client.expect('auth');
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('guess') } });
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x87);
    await client.closed();
  });

  test('enhanced auth - AUTH with another method during the exchange is a protocol error [MQTT-4.12.0-5]', async () => {
    const client = await RawClient.open(server.port, 5);
    sendConnect(client, 'ea-other-method', METHOD, 'hello:me');
    await client.expect('auth');
    client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'OTHER', authenticationData: Buffer.from('321-ecnon') } });
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x82);
    await client.closed();
  });

  test('enhanced auth - a method no hook knows gets CONNACK 0x8C', async () => {
    const client = await RawClient.open(server.port, 5);
    sendConnect(client, 'ea-unknown-method', 'NOBODY-KNOWS', 'x');
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x8c);
    await client.closed();
  });

  test('enhanced auth - any method gets CONNACK 0x8C when no enhancedAuth hook is registered', async () => {
    const client = await RawClient.open(plain.port, 5);
    sendConnect(client, 'ea-no-hook', METHOD, 'hello:me');
    const connack = await client.expect('connack');
    assert.equal(connack.reasonCode, 0x8c);
    await client.closed();
  });

  test('enhanced auth - re-authentication: AUTH 0x19, challenge 0x18, answer 0x18, AUTH success [MQTT-4.12.1-1]', async () => {
    const client = await authenticate('ea-reauth');
    try {
      client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('hello:again') } });
      const challenge = await client.expect('auth');
      assert.equal(challenge.reasonCode, 0x18);
      assert.equal(String(challenge.properties?.authenticationData), 'nonce-123');
      client.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('321-ecnon') } });
      const done = await client.expect('auth');
      assert.equal(done.reasonCode, 0x00);
      assert.equal(done.properties?.authenticationMethod, METHOD);
      const steps = seen.filter((request) => request.clientId === 'ea-reauth').map((request) => request.reauthenticate);
      assert.deepEqual(steps, [false, false, true, true]);
      // Still connected and working.
      client.send({ cmd: 'pingreq' });
      await client.expect('pingresp');
    } finally {
      client.destroy();
    }
  });

  test('enhanced auth - a failed re-authentication disconnects the client', async () => {
    const client = await authenticate('ea-reauth-fail');
    client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('not-a-hello') } });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x87);
    await client.closed();
  });

  test('enhanced auth - AUTH 0x19 from a client that connected without a method is a protocol error [MQTT-4.12.0-7]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'ea-no-method' });
    client.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: METHOD } });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    await client.closed();
  });
});
