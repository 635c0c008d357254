// The management API's doors and locks over real HTTP: login tokens (expiry, refresh, logout, a
// password change ending them), API keys as basic auth (disabled, expired, refused where EMQX refuses
// them), the viewer role, failed-login lockout, and what needs no credentials.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startManagedBroker } from '../helpers/management.js';

test('api auth - login gives a bearer token; no, wrong or unsupported credentials get 401 with EMQX codes', async () => {
  const b = await startManagedBroker();
  try {
    assert.equal((await b.call('GET', '/api/v5/users')).body.code, 'AUTHORIZATION_HEADER_ERROR');
    const token = await b.adminToken('root', 'root@123++');
    const users = await b.call('GET', '/api/v5/users', { token });
    assert.equal(users.status, 200);
    assert.deepEqual(users.body.map((user: { username: string; role: string }) => [user.username, user.role]), [['root', 'administrator']]);

    const wrong = await b.call('POST', '/api/v5/login', { body: { username: 'root', password: 'nope12345' } });
    assert.deepEqual([wrong.status, wrong.body.code], [401, 'BAD_USERNAME_OR_PWD']);
    const unknown = await b.call('POST', '/api/v5/login', { body: { username: 'ghost', password: 'nope12345' } });
    assert.deepEqual([unknown.status, unknown.body.code], [401, 'BAD_USERNAME_OR_PWD']);
    assert.equal((await b.call('GET', '/api/v5/users', { token: `${token}x` })).body.code, 'BAD_TOKEN');
    const digest = await fetch(`${b.api}/api/v5/users`, { headers: { authorization: 'Digest abc' } });
    assert.deepEqual([digest.status, ((await digest.json()) as { code: string }).code], [401, 'AUTHORIZATION_HEADER_ERROR']);
    // A missing field is a 400 naming it
    const missing = await b.call('POST', '/api/v5/login', { body: { username: 'root' } });
    assert.deepEqual([missing.status, missing.body.code, missing.body.message], [400, 'BAD_REQUEST', "body: must have required property 'password'"]);
  } finally {
    await b.close();
  }
});

test('api auth - an expired token gets TOKEN_TIME_OUT; refresh gives a new one and ends the old; logout ends it', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const tokens = b.broker.managementContext!.tokens;
    const stale = await tokens.issue('root', Date.now() - 2 * 3600_000);
    const expired = await b.call('GET', '/api/v5/users', { token: stale.token });
    assert.deepEqual([expired.status, expired.body.code], [401, 'TOKEN_TIME_OUT']);

    const refreshed = await b.call('POST', '/api/v5/refresh_token', { token });
    assert.equal(refreshed.status, 200);
    assert.ok(refreshed.body.expires_at > Date.now());
    assert.equal((await b.call('GET', '/api/v5/users', { token })).body.code, 'BAD_TOKEN');
    assert.equal((await b.call('GET', '/api/v5/users', { token: refreshed.body.token })).status, 200);

    assert.equal((await b.call('POST', '/api/v5/logout', { token: refreshed.body.token, body: { username: 'root' } })).status, 204);
    assert.equal((await b.call('GET', '/api/v5/users', { token: refreshed.body.token })).status, 401);
  } finally {
    await b.close();
  }
});

test('api auth - changing a password ends the tokens issued before; a viewer changes only their own, with old_pwd', async () => {
  const b = await startManagedBroker();
  try {
    const root = await b.adminToken('root', 'root@123++');
    const viewer = await b.adminToken('watcher', 'watch@1234', 'viewer');
    const wrongOld = await b.call('POST', '/api/v5/users/watcher/change_pwd', { token: viewer, body: { old_pwd: 'guess@1234', new_pwd: 'new@pass123' } });
    assert.deepEqual([wrongOld.status, wrongOld.body.code], [400, 'ERROR_PWD_NOT_MATCH']);
    const other = await b.call('POST', '/api/v5/users/root/change_pwd', { token: viewer, body: { old_pwd: 'root@123++', new_pwd: 'new@pass123' } });
    assert.deepEqual([other.status, other.body.code], [403, 'UNAUTHORIZED_ROLE']);
    assert.equal((await b.call('POST', '/api/v5/users/watcher/change_pwd', { token: viewer, body: { old_pwd: 'watch@1234', new_pwd: 'new@pass123' } })).status, 204);
    assert.equal((await b.call('GET', '/api/v5/users', { token: viewer })).body.code, 'BAD_TOKEN');
    assert.equal((await b.call('POST', '/api/v5/login', { body: { username: 'watcher', password: 'new@pass123' } })).status, 200);
    // An administrator changes anyone's without the old password; the root token still works
    assert.equal((await b.call('POST', '/api/v5/users/watcher/change_pwd', { token: root, body: { new_pwd: 'reset@1234' } })).status, 204);
    assert.equal((await b.call('GET', '/api/v5/users', { token: root })).status, 200);
  } finally {
    await b.close();
  }
});

test('api auth - a viewer reads everything and changes nothing (403 UNAUTHORIZED_ROLE), the API answers before any change', async () => {
  const b = await startManagedBroker();
  try {
    const viewer = await b.adminToken('watcher', 'watch@1234', 'viewer');
    assert.equal((await b.call('GET', '/api/v5/banned', { token: viewer })).status, 200);
    const ban = await b.call('POST', '/api/v5/banned', { token: viewer, body: { as: 'clientid', who: 'x' } });
    assert.deepEqual([ban.status, ban.body.code], [403, 'UNAUTHORIZED_ROLE']);
    const user = await b.call('POST', '/api/v5/authentication/password_based:built_in_database/users', { token: viewer, body: { user_id: 'u', password: 'long enough' } });
    assert.equal(user.status, 403);
    assert.deepEqual((await b.call('GET', '/api/v5/banned', { token: viewer })).body.data, []);
  } finally {
    await b.close();
  }
});

test('api auth - API keys: basic auth key:secret, secret shown once; disabled, expired and wrong ones refused; not on /users or /api_key', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const made = await b.call('POST', '/api/v5/api_key', { token, body: { name: 'scripts', desc: 'ci' } });
    assert.equal(made.status, 200);
    const { api_key: key, api_secret: secret } = made.body as { api_key: string; api_secret: string };
    assert.match(key, /^[0-9a-f]{16}$/);
    const apiKey = `${key}:${secret}`;
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey })).status, 200);
    assert.equal((await b.call('POST', '/api/v5/banned', { apiKey, body: { as: 'clientid', who: 'k' } })).status, 200);
    const listed = await b.call('GET', '/api/v5/api_key', { token });
    assert.deepEqual(
      listed.body.map((entry: Record<string, unknown>) => [entry['name'], entry['enable'], entry['expired_at'], entry['api_secret']]),
      [['scripts', true, 'infinity', undefined]],
    );
    const again = await b.call('POST', '/api/v5/api_key', { token, body: { name: 'scripts' } });
    assert.deepEqual([again.status, again.body.code], [400, 'BAD_REQUEST']);

    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey: `${key}:wrong` })).body.code, 'BAD_API_KEY_OR_SECRET');
    assert.equal((await b.call('GET', '/api/v5/users', { apiKey })).body.code, 'API_KEY_NOT_ALLOW');
    assert.equal((await b.call('GET', '/api/v5/api_key', { apiKey })).body.code, 'API_KEY_NOT_ALLOW');

    assert.equal((await b.call('PUT', '/api/v5/api_key/scripts', { token, body: { enable: false } })).body.enable, false);
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey })).body.code, 'BAD_API_KEY_OR_SECRET');
    await b.call('PUT', '/api/v5/api_key/scripts', { token, body: { enable: true } });
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey })).status, 200);

    const viewerKey = await b.call('POST', '/api/v5/api_key', { token, body: { name: 'grafana', role: 'viewer', expired_at: new Date(Date.now() + 3600_000).toISOString() } });
    const viewer = `${viewerKey.body.api_key as string}:${viewerKey.body.api_secret as string}`;
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey: viewer })).status, 200);
    assert.equal((await b.call('DELETE', '/api/v5/banned/clientid/k', { apiKey: viewer })).body.code, 'UNAUTHORIZED_ROLE');

    // Expiry in the past is refused at creation; a key that has expired since is refused at use
    const past = await b.call('POST', '/api/v5/api_key', { token, body: { name: 'old', expired_at: '2020-01-01T00:00:00Z' } });
    assert.deepEqual([past.status, past.body.code], [400, 'BAD_REQUEST']);
    const keys = b.broker.managementContext!.apiKeys;
    await keys.update('grafana', { expiresAt: Date.now() - 1 });
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey: viewer })).body.code, 'BAD_API_KEY_OR_SECRET');
    assert.equal((await b.call('GET', '/api/v5/api_key/grafana', { token })).body.expired, true);

    assert.equal((await b.call('DELETE', '/api/v5/api_key/scripts', { token })).status, 204);
    assert.equal((await b.call('GET', '/api/v5/banned', { apiKey })).body.code, 'BAD_API_KEY_OR_SECRET');
    assert.equal((await b.call('DELETE', '/api/v5/api_key/scripts', { token })).status, 404);
  } finally {
    await b.close();
  }
});

test('api auth - failed logins lock the address and username out (429 LOGIN_LOCKED), even for the right password', async () => {
  const b = await startManagedBroker({ lockout: { maxFailures: 3, window: 60, duration: 300 } });
  try {
    await b.adminToken('root', 'root@123++');
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.equal((await b.call('POST', '/api/v5/login', { body: { username: 'root', password: `wrong-${attempt}-pass` } })).status, 401);
    }
    const locked = await b.call('POST', '/api/v5/login', { body: { username: 'root', password: 'root@123++' } });
    assert.deepEqual([locked.status, locked.body.code], [429, 'LOGIN_LOCKED']);
    assert.match(locked.body.message, /try again in \d+ s/);
  } finally {
    await b.close();
  }
});

test('api auth - status, login and the OpenAPI document need no credentials; the document lists every route with its schemas', async () => {
  const b = await startManagedBroker();
  try {
    const status = await b.call('GET', '/api/v5/status');
    assert.equal(status.status, 200);
    assert.match(status.body, /^Node .+ is started\nstarling is running\n$/);
    assert.equal((await b.call('GET', '/api/v5/status?format=json')).body.app_status, 'running');

    const document = await b.call('GET', '/api-docs/openapi.json');
    assert.equal(document.status, 200);
    assert.match(document.body.openapi, /^3\./);
    const paths = document.body.paths as Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
    for (const path of ['/api/v5/login', '/api/v5/users', '/api/v5/users/{username}', '/api/v5/api_key', '/api/v5/banned', '/api/v5/acl/rules', '/api/v5/authentication/password_based:built_in_database/users']) {
      assert.ok(paths[path] !== undefined, `the document has ${path}`);
    }
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        assert.ok(Object.keys(operation.responses).some((code) => code.startsWith('2')), `${method} ${path} declares its success answer`);
      }
    }
    assert.deepEqual(paths['/api/v5/login']!['post']!.security, []);
    assert.equal((await b.call('GET', '/api-docs/swagger.json')).body.openapi, document.body.openapi);
    const ui = await fetch(`${b.api}/api-docs/`, { redirect: 'follow' });
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  } finally {
    await b.close();
  }
});
