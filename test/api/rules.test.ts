// The rule engine's HTTP API over real HTTP (EMQX's /api/v5/rules, /rules/{id}, /rules/{id}/metrics,
// /rule_test, /rule_events, /connectors): EMQX's JSON in and out, errors as {code, message} naming
// the field (SQL errors with line and column), config-file rules read-only, the routes in the
// OpenAPI document.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startManagedBroker } from '../helpers/management.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

test('api rules - create from EMQX JSON, run, list, show, metrics, disable, update, delete', async () => {
  const b = await startManagedBroker({ rules: { fixed: { sql: 'SELECT * FROM "fixed/#"' } } });
  try {
    const token = await b.adminToken();
    const call = (method: string, path: string, body?: unknown) => b.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    const created = await call('POST', '/api/v5/rules', {
      id: 'temp_alarm',
      sql: 'SELECT payload.temp AS temp, clientid FROM "t/#" WHERE payload.temp > 30',
      actions: [{ function: 'republish', args: { topic: 'alarm/${clientid}', qos: 1, retain: false, payload: '${temp}', user_properties: '', mqtt_properties: {} } }, { function: 'console' }],
      description: 'too hot',
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.from, ['t/#']);
    assert.equal(created.body.origin, 'store');
    assert.match(created.body.created_at, /^\d{4}-\d\d-\d\dT/);

    const client = await mqtt.connectAsync(b.url, { clientId: 'oven', reconnectPeriod: 0 });
    await client.subscribeAsync('alarm/#', { qos: 1 });
    const alarm = nextEvent<[string, Buffer]>(client, 'message');
    await client.publishAsync('t/1', '{"temp": 45}', { qos: 1 });
    assert.deepEqual((await alarm).slice(0, 2).map(String), ['alarm/oven', '45']);

    const list = await call('GET', '/api/v5/rules?limit=1');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.meta, { page: 1, limit: 1, count: 2, hasnext: true });
    const fixed = (await call('GET', '/api/v5/rules?like_id=fix')).body.data;
    assert.deepEqual(fixed.map((rule: { id: string; origin: string }) => [rule.id, rule.origin]), [['fixed', 'config']]);

    const shown = await call('GET', '/api/v5/rules/temp_alarm');
    assert.equal(shown.body.actions[1].function, 'console');
    await waitFor(() => b.broker.rules.engine.get('temp_alarm')!.metrics.actionsSuccess === 2, 'both actions to run');
    const metrics = await call('GET', '/api/v5/rules/temp_alarm/metrics');
    assert.equal(metrics.status, 200);
    assert.equal(metrics.body.metrics.matched, 1);
    assert.equal(metrics.body.metrics['actions.success'], 2);
    assert.equal(metrics.body.node_metrics[0].node, b.broker.config.nodeName);

    const disabled = await call('PUT', '/api/v5/rules/temp_alarm', { enable: false });
    assert.equal(disabled.body.enable, false);
    await client.publishAsync('t/1', '{"temp": 50}', { qos: 1 });
    assert.equal(b.broker.rules.engine.get('temp_alarm')!.metrics.matched, 1);
    const updated = await call('PUT', '/api/v5/rules/temp_alarm', { sql: 'SELECT * FROM "t2/#"', enable: true });
    assert.deepEqual([updated.body.from, updated.body.enable, updated.body.description], [['t2/#'], true, 'too hot']);
    assert.equal((await call('PUT', '/api/v5/rules/temp_alarm/metrics/reset')).status, 204);
    assert.equal(b.broker.rules.engine.get('temp_alarm')!.metrics.matched, 0);

    assert.deepEqual((await call('DELETE', '/api/v5/rules/fixed')).body, { code: 'ALREADY_EXISTS', message: 'rule fixed is defined in the config file; remove it there' });
    assert.equal((await call('DELETE', '/api/v5/rules/temp_alarm')).status, 204);
    assert.deepEqual((await call('GET', '/api/v5/rules/temp_alarm')).body, { code: 'NOT_FOUND', message: 'Rule Id Not Found: temp_alarm' });
    await client.endAsync();
  } finally {
    await b.close();
  }
});

test('api rules - bad input: SQL errors with line and column, unknown fields, unknown connectors, duplicate ids', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const post = (body: unknown) => b.call('POST', '/api/v5/rules', { token, body });
    const badSql = await post({ id: 'x', sql: 'SELECT a,\nFROM "t/#"' });
    assert.deepEqual(badSql.body, { code: 'BAD_REQUEST', message: 'sql: line 2, column 1: expected a field after SELECT, found FROM' });
    const unknownFunction = await post({ id: 'x', sql: 'SELECT nope(a) FROM "t/#"' });
    assert.equal(unknownFunction.body.message, "sql: line 1, column 8: unknown function nope() (see the README's list of functions)");
    const unknownEvent = await post({ id: 'x', sql: 'SELECT * FROM "$events/nothing"' });
    assert.match(unknownEvent.body.message, /FROM "\$events\/nothing": no such event/);
    const typo = await post({ id: 'x', sql: 'SELECT * FROM "t"', actons: [] });
    assert.deepEqual([typo.status, typo.body.code], [400, 'BAD_REQUEST']);
    assert.match(typo.body.message, /unknown field "actons"/);
    const noConnector = await post({ id: 'x', sql: 'SELECT * FROM "t"', actions: ['http:missing'] });
    assert.equal(noConnector.body.message, 'actions[0]: no connector named "missing" (see connectors)');
    const badTopic = await post({ id: 'x', sql: 'SELECT * FROM "t"', actions: [{ function: 'republish', args: { topic: 'a/#' } }] });
    assert.equal(badTopic.body.message, 'actions[0].args.topic: a topic to publish to has no wildcards');
    assert.equal((await post({ id: 'x', sql: 'SELECT * FROM "t"' })).status, 201);
    assert.equal((await post({ id: 'x', sql: 'SELECT * FROM "t"' })).status, 409);
    const generated = await post({ sql: 'SELECT * FROM "t"' });
    assert.match(generated.body.id, /^rule_[0-9a-f]{8}$/);
  } finally {
    await b.close();
  }
});

test('api rule_test - EMQX\'s examples give EMQX\'s results; no match is 412 NOT_MATCH; events by event_type', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const run = (sql: string, context?: Record<string, unknown>) => b.call('POST', '/api/v5/rule_test', { token, body: { sql, ...(context === undefined ? {} : { context }) } });
    const select = await run("SELECT payload.msg as msg FROM \"t/#\" WHERE msg = 'hello'");
    assert.deepEqual([select.status, select.body], [200, { msg: 'hello' }]);
    const foreach = await run('FOREACH payload.sensors as s DO s.cmd as msg_type INCASE s.cmd != 1 FROM "t/#"', { topic: 't/a', payload: '{"sensors": [{"cmd":1}, {"cmd":2}, {"cmd":3}]}' });
    assert.deepEqual(foreach.body, [{ msg_type: 2 }, { msg_type: 3 }]);
    const event = await run('SELECT clientid, peername FROM "$events/client_connected"', { event_type: 'client_connected', clientid: 'abc' });
    assert.deepEqual(event.body, { clientid: 'abc', peername: '192.168.0.10:56431' });
    const nomatch = await run('SELECT * FROM "other/#"', { topic: 't/a' });
    assert.deepEqual([nomatch.status, nomatch.body], [412, { code: 'NOT_MATCH', message: 'SQL Not Match' }]);
    const rejected = await run("SELECT * FROM \"t/#\" WHERE payload.msg = 'bye'");
    assert.equal(rejected.status, 412);
    const failing = await run('SELECT payload.x FROM "t/#"', { topic: 't/a', payload: 'not json' });
    assert.deepEqual([failing.status, failing.body.code], [400, 'BAD_REQUEST']);
    assert.match(failing.body.message, /payload is not JSON/);
    const events = await b.call('GET', '/api/v5/rule_events', { token });
    const connected = events.body.find((entry: { event: string }) => entry.event === 'client.connected');
    assert.deepEqual(connected.event_topics, ['$events/client/connected', '$events/client_connected']);
    assert.ok(connected.columns.includes('clean_start'));
  } finally {
    await b.close();
  }
});

test('api connectors - create, show with status and hidden password, refuse deletion while a rule uses it; routes in the OpenAPI document', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const call = (method: string, path: string, body?: unknown) => b.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    const created = await call('POST', '/api/v5/connectors', { name: 'pg', type: 'postgresql', server: '127.0.0.1:1', database: 'd', username: 'u', password: 'secret', sql: 'INSERT INTO t(a) VALUES (${a})' });
    assert.equal(created.status, 201);
    assert.equal(created.body.settings.password, '******');
    assert.ok(['connecting', 'disconnected'].includes(created.body.status));
    const bad = await call('POST', '/api/v5/connectors', { name: 'pg2', type: 'postgresql', server: '127.0.0.1:1', database: 'd', username: 'u', sql: 'x', pool_size: 0 });
    assert.deepEqual(bad.body, { code: 'BAD_REQUEST', message: 'pool_size: expected an integer from 1 to 256, got 0' });
    assert.equal((await call('POST', '/api/v5/rules', { id: 'r', sql: 'SELECT * FROM "t"', actions: ['postgresql:pg'] })).status, 201);
    assert.equal((await call('GET', '/api/v5/connectors/postgresql:pg')).body.name, 'pg');
    const inUse = await call('DELETE', '/api/v5/connectors/pg');
    assert.deepEqual([inUse.status, inUse.body.message], [409, 'connector pg is used by rule r; remove it from their actions first']);
    assert.equal((await call('DELETE', '/api/v5/rules/r')).status, 204);
    assert.equal((await call('DELETE', '/api/v5/connectors/pg')).status, 204);
    assert.deepEqual((await call('GET', '/api/v5/connectors')).body, []);
    const document = await b.call('GET', '/api-docs/openapi.json');
    for (const path of ['/api/v5/rules', '/api/v5/rules/{id}', '/api/v5/rules/{id}/metrics', '/api/v5/rule_test', '/api/v5/connectors', '/api/v5/connectors/{id}']) {
      assert.ok(document.body.paths[path] !== undefined, `${path} in the OpenAPI document`);
    }
  } finally {
    await b.close();
  }
});
