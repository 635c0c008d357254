// Superusers bypass the ACL, whichever authenticator made them one: a built-in user with the
// superuser flag, a JWT with the superuser claim, an HTTP authentication answer with is_superuser.
// Over MQTT.js 3.1.1 and 5, against `default: deny` and a deny rule: the superuser subscribes to
// anything, publishes anywhere and receives denied retained messages; the same authenticator's
// ordinary client gets the ACL's answers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type mqtt from 'mqtt';
import { SignJWT } from 'jose';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn } from '../helpers/client-pool.js';
import { pubackCode, subscribeCodes } from './clients.js';

const secret = 'a shared secret of sufficient length!';

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

describe('superusers - bypass the ACL', () => {
  let server: TestBroker;
  let http: Server;
  const credentials: Record<string, { superuser: mqtt.IClientOptions; ordinary: mqtt.IClientOptions }> = {};

  before(async () => {
    // The HTTP service knows two users; `builtin` and `jwt` pass what they do not recognise.
    http = createServer((request, response) => {
      let text = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      request.on('end', () => {
        const { username } = JSON.parse(text) as { username: string };
        const answer = username === 'http-root' ? { result: 'allow', is_superuser: true } : username === 'http-user' ? { result: 'allow', is_superuser: false } : { result: 'ignore' };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    server = await startBroker({
      authentication: [{ type: 'builtin' }, { type: 'jwt', secret }, { type: 'http', url: `http://127.0.0.1:${port}/auth`, cacheSeconds: 0 }],
      acl: { file: '', default: 'deny', disconnectOnDeny: false, cacheSize: 100, rules: [{ permission: 'deny', action: 'all', topic: 'secret/#' }, { permission: 'allow', action: 'all', topic: 'public/#' }] },
    });
    await server.broker.users.add('root', 'root password', { superuser: true });
    await server.broker.users.add('user', 'user password');
    credentials['builtin'] = { superuser: { username: 'root', password: 'root password' }, ordinary: { username: 'user', password: 'user password' } };
    credentials['jwt'] = { superuser: { username: 'j', password: await token({ is_superuser: true }) }, ordinary: { username: 'j', password: await token({ is_superuser: false }) } };
    credentials['http'] = { superuser: { username: 'http-root', password: 'x' }, ordinary: { username: 'http-user', password: 'x' } };
    // A retained message no ordinary client may receive.
    const pool = new ClientPool(server.url);
    const root = await pool.connect({ protocolVersion: 5, clientId: 'seed', ...credentials['builtin'].superuser });
    await root.publishAsync('secret/retained', 'kept', { qos: 1, retain: true });
    await pool.closeAll();
  });
  after(async () => {
    await server.close();
    http.close();
    http.closeAllConnections();
  });

  for (const kind of ['builtin', 'jwt', 'http']) {
    for (const protocolVersion of [4, 5] as const) {
      const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';
      const denied = protocolVersion === 5 ? 0x87 : 0x80;

      test(`superusers - ${kind} ${v}: the superuser subscribes to denied filters, gets the denied retained message and publishes to a denied topic`, async () => {
        const pool = new ClientPool(server.url);
        try {
          const { client, received } = await pool.connectRecording({ protocolVersion, clientId: `${kind}-root-${v}`, ...credentials[kind]!.superuser });
          assert.deepEqual(await subscribeCodes(client, ['secret/#', 'anything/+']), [0, 0]);
          await messageOn(received, 'secret/retained', 'kept');
          assert.equal(await pubackCode(client, `secret/${kind}`, 'mine'), 0);
          await messageOn(received, `secret/${kind}`, 'mine');
        } finally {
          await pool.closeAll();
        }
      });

      test(`superusers - ${kind} ${v}: an ordinary client of the same authenticator gets the ACL's answers`, async () => {
        const pool = new ClientPool(server.url);
        try {
          const { client, received } = await pool.connectRecording({ protocolVersion, clientId: `${kind}-user-${v}`, ...credentials[kind]!.ordinary });
          assert.deepEqual(await subscribeCodes(client, ['secret/#', 'anything/+', 'public/#']), [denied, denied, 0]);
          if (protocolVersion === 5) assert.equal(await pubackCode(client, 'secret/x', 'nope'), 0x87);
          assert.equal(await pubackCode(client, 'public/marker', 'm'), 0);
          await messageOn(received, 'public/marker', 'm');
          assert.equal(received.some((message) => message.topic.startsWith('secret/')), false);
        } finally {
          await pool.closeAll();
        }
      });
    }
  }
});
