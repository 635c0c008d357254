// EMQX's built-in-database ACL routes over Starling's one ordered rule list, over real HTTP: rules per
// username, per client id and for all, as EMQX shapes and status codes them (204 on POST/PUT/DELETE,
// 409 for a subject that has rules, 404), what Starling's list then holds, that a real MQTT client is
// held to them, and refusals for what Starling's rules cannot say.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientPool } from '../helpers/client-pool.js';
import { startManagedBroker } from '../helpers/management.js';

const PATH = '/api/v5/authorization/sources/built_in_database/rules';

test('authz built-in - users, clients and all map onto the ordered list; a client is held to the rules', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const rules = [
      { topic: 'secret/#', permission: 'deny', action: 'publish' },
      { topic: 'open/${username}', permission: 'allow', action: 'all', qos: [0, 1, 2], retain: 'all' },
    ];
    assert.equal((await b.call('POST', `${PATH}/users`, { token, body: [{ username: 'ursula', rules }] })).status, 204);
    const again = await b.call('POST', `${PATH}/users`, { token, body: [{ username: 'ursula', rules }] });
    assert.deepEqual([again.status, again.body.code, again.body.message], [409, 'ALREADY_EXISTS', "User 'ursula' already exist"]);
    assert.equal((await b.call('POST', `${PATH}/clients`, { token, body: [{ clientid: 'dev-1', rules: [{ topic: 'dev/#', permission: 'allow', action: 'subscribe' }] }] })).status, 204);
    assert.equal((await b.call('POST', `${PATH}/all`, { token, body: { rules: [{ topic: 'everyone/#', permission: 'deny', action: 'subscribe' }] } })).status, 204);

    const user = await b.call('GET', `${PATH}/users/ursula`, { token });
    assert.deepEqual(user.body, {
      username: 'ursula',
      rules: [
        { topic: 'secret/#', permission: 'deny', action: 'publish', qos: [0, 1, 2], retain: 'all' },
        { topic: 'open/${username}', permission: 'allow', action: 'all', qos: [0, 1, 2], retain: 'all' },
      ],
    });
    const users = await b.call('GET', `${PATH}/users?like_username=urs`, { token });
    assert.deepEqual([users.body.data.map((item: { username: string }) => item.username), users.body.meta.count], [['ursula'], 1]);
    assert.deepEqual((await b.call('GET', `${PATH}/clients`, { token })).body.data, [
      { clientid: 'dev-1', rules: [{ topic: 'dev/#', permission: 'allow', action: 'subscribe', qos: [0, 1, 2], retain: 'all' }] },
    ]);
    assert.deepEqual((await b.call('GET', `${PATH}/all`, { token })).body.rules.map((rule: { topic: string }) => rule.topic), ['everyone/#']);
    // Starling's own view: one list, in the order added
    const ordered = (await b.call('GET', '/api/v5/acl/rules', { token })).body;
    assert.deepEqual(
      ordered.map((rule: { topic: string; username?: string; client_id?: string }) => [rule.topic, rule.username ?? '', rule.client_id ?? '']),
      [['secret/#', 'ursula', ''], ['open/${username}', 'ursula', ''], ['dev/#', '', 'dev-1'], ['everyone/#', '', '']],
    );

    // A client with that username is held to its rules (MQTT 5: PUBACK 0x87 Not authorized)
    const ursula = await pool.connect({ clientId: 'u1', username: 'ursula', protocolVersion: 5 });
    await assert.rejects(ursula.publishAsync('secret/plans', 'x', { qos: 1 }), { code: 0x87 });
    await assert.rejects(ursula.subscribeAsync('everyone/news'), /Not authorized/);

    // PUT replaces (the new rules go to the end), DELETE removes, 404 for one without rules
    assert.equal((await b.call('PUT', `${PATH}/users/ursula`, { token, body: { username: 'ursula', rules: [{ topic: 'only/this', permission: 'allow', action: 'publish' }] } })).status, 204);
    assert.deepEqual((await b.call('GET', `${PATH}/users/ursula`, { token })).body.rules.map((rule: { topic: string }) => rule.topic), ['only/this']);
    const mismatch = await b.call('PUT', `${PATH}/users/ursula`, { token, body: { username: 'other', rules: [] } });
    assert.deepEqual([mismatch.status, mismatch.body.code], [400, 'BAD_REQUEST']);
    assert.match(mismatch.body.message, /^body\.username: /);
    assert.equal((await b.call('DELETE', `${PATH}/users/ursula`, { token })).status, 204);
    const gone = await b.call('GET', `${PATH}/users/ursula`, { token });
    assert.deepEqual([gone.status, gone.body.code], [404, 'NOT_FOUND']);
    assert.deepEqual([(await b.call('DELETE', `${PATH}/users/ursula`, { token })).status, (await b.call('DELETE', `${PATH}/clients/nobody`, { token })).body.message], [404, 'ClientID Not Found']);
    assert.equal((await b.call('PUT', `${PATH}/clients/dev-1`, { token, body: { clientid: 'dev-1', rules: [{ topic: 'dev/1/#', permission: 'allow', action: 'all' }] } })).status, 204);
    assert.deepEqual((await b.call('GET', `${PATH}/clients/dev-1`, { token })).body, { clientid: 'dev-1', rules: [{ topic: 'dev/1/#', permission: 'allow', action: 'all', qos: [0, 1, 2], retain: 'all' }] });
    assert.equal((await b.call('DELETE', `${PATH}/clients/dev-1`, { token })).status, 204);
    assert.equal((await b.call('DELETE', `${PATH}/all`, { token })).status, 204);
    assert.deepEqual((await b.call('GET', '/api/v5/acl/rules', { token })).body, []);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('authz built-in - what Starling rules cannot say is refused, naming the field; a viewer may only read', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const viewer = await b.adminToken('watcher', 'watch@1234', 'viewer');
    const refusals: Array<[unknown, RegExp]> = [
      [[{ username: 'u', rules: [{ topic: 't', permission: 'allow', action: 'publish', qos: [1] }] }], /^body\.0\.rules\.0\.qos: /],
      [[{ username: 'u', rules: [{ topic: 't', permission: 'allow', action: 'publish', retain: true }] }], /^body\.0\.rules\.0\.retain: /],
      [[{ username: 'u', rules: [{ topic: 'eq t/#', permission: 'allow', action: 'publish' }] }], /^body\.0\.rules\.0\.topic: EMQX's "eq/],
      [[{ username: 'u', rules: [{ topic: 't', permission: 'maybe', action: 'publish' }] }], /permission: must be one of allow, deny/],
      [[{ username: 'u', rules: [{ topic: 't/#/x', permission: 'allow', action: 'publish' }] }], /topic: '#' must be a whole last level/],
      [[{ username: 'u', rules: [], user: 'u' }], /unknown field "user"/],
    ];
    for (const [body, message] of refusals) {
      const answer = await b.call('POST', `${PATH}/users`, { token, body });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.message, message);
    }
    assert.deepEqual((await b.call('GET', '/api/v5/acl/rules', { token })).body, []);
    assert.equal((await b.call('GET', `${PATH}/users`, { token: viewer })).status, 200);
    const write = await b.call('POST', `${PATH}/all`, { token: viewer, body: { rules: [] } });
    assert.deepEqual([write.status, write.body.code], [403, 'UNAUTHORIZED_ROLE']);
  } finally {
    await b.close();
  }
});
