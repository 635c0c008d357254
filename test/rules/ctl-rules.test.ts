// `starling ctl rules ...` and `starling ctl connectors ...` as an operator runs them: through a
// running broker's admin socket (a created rule runs at once, metrics come back, config-file rules
// cannot be changed here), and on a stopped broker's data directory (the rule is there at start).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { temporaryDataDir } from '../helpers/broker-process.js';
import { startBroker } from '../helpers/broker.js';
import { starling } from '../helpers/ctl.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

test('ctl rules - create, list, show, test, metrics, disable, update and delete on a running broker', async () => {
  const { dataDir } = await temporaryDataDir();
  const socket = join(dataDir, 'starling.sock');
  const server = await startBroker({ durability: 'sync', adminSocket: socket, rules: { fromConfig: { sql: 'SELECT * FROM "cfg/#"' } } }, dataDir);
  const ctl = (...args: string[]) => starling(['ctl', ...args, '--socket', socket]);
  try {
    const actions = JSON.stringify([{ function: 'republish', args: { topic: 'out/${clientid}', payload: '${payload.v}' } }]);
    const created = await ctl('rules', 'create', 'double', '--sql', 'SELECT clientid, payload FROM "in/#" WHERE payload.v > 1', '--actions', actions, '--description', 'forward big values');
    assert.equal(created.stderr, '');
    assert.equal(created.stdout, 'rule double created\n');

    const client = await mqtt.connectAsync(server.url, { clientId: 'c9', reconnectPeriod: 0 });
    await client.subscribeAsync('out/#');
    const received = nextEvent<[string, Buffer]>(client, 'message');
    await client.publishAsync('in/x', '{"v": 5}', { qos: 1 });
    const [topic, payload] = await received;
    assert.deepEqual([topic, payload.toString()], ['out/c9', '5']);

    const list = await ctl('rules', 'list');
    assert.match(list.stdout, /^double {2}enabled {2}store {2}SELECT clientid, payload FROM "in\/#" WHERE payload.v > 1$/m);
    assert.match(list.stdout, /^fromConfig {2}enabled {2}config {2}SELECT \* FROM "cfg\/#"$/m);
    const shown = JSON.parse((await ctl('rules', 'show', 'double')).stdout) as Record<string, unknown>;
    assert.deepEqual(shown['from'], ['in/#']);
    assert.equal(shown['description'], 'forward big values');
    assert.deepEqual(shown['actions'], [{ function: 'republish', args: { topic: 'out/${clientid}', qos: 0, retain: false, payload: '${payload.v}', user_properties: '', mqtt_properties: {} } }]);

    await waitFor(() => server.broker.rules.engine.get('double')!.metrics.actionsSuccess === 1, 'the republish to be counted');
    const metrics = JSON.parse((await ctl('rules', 'metrics', 'double')).stdout) as { metrics: Record<string, number>; node_metrics: Array<{ node: string }> };
    assert.deepEqual([metrics.metrics['matched'], metrics.metrics['passed'], metrics.metrics['actions.success']], [1, 1, 1]);
    assert.equal(metrics.node_metrics[0]!.node, server.broker.config.nodeName);

    const tested = await ctl('rules', 'test', '--sql', 'SELECT upper(payload.name) AS n FROM "t/#"', '--context', JSON.stringify({ topic: 't/1', payload: '{"name": "ann"}' }));
    assert.deepEqual(JSON.parse(tested.stdout), { n: 'ANN' });
    const unmatched = await ctl('rules', 'test', '--sql', 'SELECT * FROM "other/#"', '--context', '{"topic": "t/1"}');
    assert.equal(unmatched.code, 1);
    assert.equal(unmatched.stderr, 'starling ctl: SQL Not Match\n');
    const badSql = await ctl('rules', 'create', 'broken', '--sql', 'SELECT a FROM "t" WHER b');
    assert.equal(badSql.code, 1);
    assert.equal(badSql.stderr, "starling ctl: sql: line 1, column 19: expected WHERE, ',' or end of input, found 'WHER'\n");

    assert.equal((await ctl('rules', 'disable', 'double')).stdout, 'rule double disabled\n');
    await client.publishAsync('in/x', '{"v": 7}', { qos: 1 });
    assert.equal(server.broker.rules.engine.get('double')!.metrics.matched, 1, 'a disabled rule does not run');
    assert.equal((await ctl('rules', 'update', 'double', '--sql', 'SELECT clientid, payload FROM "in2/#"')).stdout, 'rule double updated\n');
    assert.deepEqual(server.broker.rules.engine.get('double')!.filters, ['in2/#']);

    const configRule = await ctl('rules', 'delete', 'fromConfig');
    assert.equal(configRule.stderr, 'starling ctl: rule fromConfig is defined in the config file; remove it there\n');
    assert.equal((await ctl('rules', 'delete', 'double')).stdout, 'rule double deleted\n');
    assert.equal(server.broker.rules.engine.get('double'), undefined);
    assert.equal((await ctl('rules', 'show', 'double')).stderr, 'starling ctl: Rule Id Not Found: double\n');
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('ctl rules and connectors - on a stopped broker\'s data directory; the broker loads them at start', async () => {
  const { dataDir } = await temporaryDataDir();
  // The data directory of a broker that ran once and stopped.
  await (await startBroker({ durability: 'sync' }, dataDir)).broker.close();
  const connectorFile = join(dataDir, 'hook.json');
  await writeFile(connectorFile, JSON.stringify({ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/never', method: 'post' }));
  const ctl = (...args: string[]) => starling(['ctl', ...args, '--data-dir', dataDir]);
  assert.equal((await ctl('connectors', 'create', '--file', connectorFile)).stdout, 'connector hook created\n');
  assert.equal((await ctl('rules', 'create', 'offline', '--sql', 'SELECT * FROM "off/#"', '--actions', '["webhook:hook"]')).stdout, 'rule offline created\n');
  assert.match((await ctl('rules', 'list')).stdout, /^offline {2}enabled {2}store/m);
  assert.match((await ctl('rules', 'metrics', 'offline')).stderr, /no broker is running on this data directory/);
  const bad = await ctl('connectors', 'create', '--file', join(dataDir, 'missing.json'));
  assert.equal(bad.code, 2);
  const server = await startBroker({ durability: 'sync' }, dataDir);
  try {
    const rule = server.broker.rules.engine.get('offline');
    assert.ok(rule !== undefined);
    assert.deepEqual(rule.filters, ['off/#']);
    assert.equal(server.broker.rules.connectors.get('hook')?.settings.type, 'webhook');
  } finally {
    await server.broker.close();
  }
  const inUse = await ctl('connectors', 'delete', 'hook');
  assert.equal(inUse.stderr, 'starling ctl: connector hook is used by rule offline; remove it from their actions first\n');
  await rm(dataDir, { recursive: true, force: true });
});
