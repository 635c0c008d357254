// HTTP authentication against a server started by the test: allow (with superuser), deny,
// no answer in time (deny), a non-2xx status (deny), and the result cache.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startBroker } from '../helpers/broker.js';
import { connackCode, mosquittoPub } from './clients.js';

interface Seen {
  client_id: string;
  username: string | null;
  password: string | null;
  address: string;
  certificate_cn: string | null;
}

async function authServer(answer: (body: Seen, response: ServerResponse) => void): Promise<{ url: string; seen: Seen[]; close: () => void }> {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const body = JSON.parse(text) as Seen;
      seen.push(body);
      answer(body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/auth`, seen, close: () => server.close() && server.closeAllConnections() };
}

const json = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

test('http - allow with is_superuser, deny, and the request carries client id, username, password and address', async () => {
  const auth = await authServer((body, response) => {
    if (body.username === 'admin' && body.password === 'pw') json(response, 200, { result: 'allow', is_superuser: true });
    else if (body.username === 'user' && body.password === 'pw') json(response, 200, { result: 'allow' });
    else json(response, 200, { result: 'deny' });
  });
  const b = await startBroker({ authentication: [{ type: 'http', url: auth.url, cacheSeconds: 0 }] });
  try {
    const admin = await connackCode(b.url, { protocolVersion: 5, clientId: 'h1', username: 'admin', password: 'pw' }, b.broker);
    assert.equal(admin.code, 0);
    assert.equal(admin.client?.superuser, true);
    assert.deepEqual(
      { client_id: auth.seen[0]!.client_id, username: auth.seen[0]!.username, password: auth.seen[0]!.password, certificate_cn: auth.seen[0]!.certificate_cn },
      { client_id: 'h1', username: 'admin', password: 'pw', certificate_cn: null },
    );
    assert.match(auth.seen[0]!.address, /127\.0\.0\.1/);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'h2', username: 'user', password: 'pw' })).code, 0);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'h3', username: 'user', password: 'bad' })).code, 0x86);
    assert.equal((await connackCode(b.url, { protocolVersion: 4, clientId: 'h4', username: 'user', password: 'bad' })).code, 4);
    assert.equal((await mosquittoPub(b.port, ['-u', 'user', '-P', 'pw', '-i', 'h5'])).exitCode, 0);
    assert.notEqual((await mosquittoPub(b.port, ['-u', 'user', '-P', 'bad', '-i', 'h6'])).exitCode, 0);
  } finally {
    await b.close();
    auth.close();
  }
});

test('http - no answer within timeout_ms denies; a 500 denies', async () => {
  const auth = await authServer((body, response) => {
    if (body.username === 'slow') return; // never answers
    json(response, 500, { error: 'boom' });
  });
  const b = await startBroker({ authentication: [{ type: 'http', url: auth.url, timeoutMs: 200 }] });
  try {
    const started = Date.now();
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 't1', username: 'slow', password: 'pw' })).code, 0x87);
    assert.ok(Date.now() - started < 4000);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 't2', username: 'error', password: 'pw' })).code, 0x87);
  } finally {
    await b.close();
    auth.close();
  }
});

test('http - answers are cached per credentials for cache_seconds', async () => {
  const auth = await authServer((body, response) => json(response, 200, { result: body.password === 'pw' ? 'allow' : 'deny' }));
  const b = await startBroker({ authentication: [{ type: 'http', url: auth.url, cacheSeconds: 60 }] });
  try {
    for (let index = 0; index < 3; index++) {
      assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'same', username: 'u', password: 'pw' })).code, 0);
    }
    assert.equal(auth.seen.length, 1);
    assert.equal((await connackCode(b.url, { protocolVersion: 5, clientId: 'same', username: 'u', password: 'other' })).code, 0x86);
    assert.equal(auth.seen.length, 2);
  } finally {
    await b.close();
    auth.close();
  }
});
