// The `rules` and `connectors` config sections: checked at start with errors naming the key (a rule's
// SQL error with its line and column), secrets from ${env:...} and ${file:...}, and their place in the
// config's JSON Schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, StarlingBroker, configJsonSchema, createLogger } from '../../../src/internal.js';
import { validateConfig } from '../../../src/config/load.js';
import { resolveSecrets } from '../../../src/rules/connectors/secrets.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

test('config rules - a SQL error names the rule, the line and the column; bad actions name their field', () => {
  const sql = configError(() => validateConfig({ rules: { hot: { sql: 'SELECT payload.t\nFRM "t/#"' } } }, 'test'));
  assert.equal(sql.key, 'rules.hot.sql');
  // FRM reads as an alias (EMQX allows one without AS), so the error is at the topic after it.
  assert.equal(sql.message, `rules.hot.sql: line 2, column 5: expected ',' or FROM, found '"t/#"' (in test)`);
  const action = configError(() => validateConfig({ rules: { hot: { sql: 'SELECT * FROM "t"', actions: [{ function: 'republish', args: { topic: 'x', qos: 5 } }] } } }, 'test'));
  assert.equal(action.key, 'rules.hot.actions[0].args.qos');
  const field = configError(() => validateConfig({ rules: { hot: { sql: 'SELECT * FROM "t"', enabled: true } } }, 'test'));
  assert.match(field.message, /^rules\.hot\.enabled: unknown field; expected one of id, sql, actions, enable/);
  assert.deepEqual(Object.keys(validateConfig({ rules: { ok: { sql: 'SELECT * FROM "t"' } } }, 'test').rules!), ['ok']);
});

test('config connectors - unknown fields, wrong types and missing required fields name the key', () => {
  assert.equal(configError(() => validateConfig({ connectors: { pg: { type: 'postgres' } } }, 'test')).key, 'connectors.pg.type');
  const missing = configError(() => validateConfig({ connectors: { pg: { type: 'postgresql', server: 'h', database: 'd', username: 'u' } } }, 'test'));
  assert.equal(missing.message, 'connectors.pg.sql: required in a postgresql connector (in test)');
  const unknown = configError(() => validateConfig({ connectors: { hook: { type: 'webhook', url: 'http://x', timeout: 5 } } }, 'test'));
  assert.match(unknown.message, /^connectors\.hook\.timeout: unknown field of a webhook connector; expected one of/);
  const range = configError(() => validateConfig({ connectors: { hook: { type: 'webhook', url: 'http://x', batchSize: 0 } } }, 'test'));
  assert.equal(range.message, 'connectors.hook.batchSize: expected an integer from 1 to 10000, got 0 (in test)');
});

test('config - a rule naming a connector that does not exist stops the start, naming the action', async () => {
  const broker = new StarlingBroker({ durability: 'memory', logger: createLogger({ logLevel: 'silent', logPretty: false }), rules: { r: { sql: 'SELECT * FROM "t"', actions: ['nope'] } } });
  await assert.rejects(broker.start(), (error: Error) => error instanceof ConfigError && error.key === 'rules.r.actions[0].connector' && error.message === 'rules.r.actions[0].connector: no connector named "nope" (see connectors)');
  await broker.close();
});

test('secrets - ${env:NAME} and ${file:/path} are read when the connector starts; a missing one names the field', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'starling-secret-'));
  try {
    const file = join(directory, 'password');
    await writeFile(file, 's3cret\n');
    assert.equal(resolveSecrets('user:${env:STARLING_TEST_SECRET_USER}/${file:' + file + '}', 'password', { STARLING_TEST_SECRET_USER: 'ann' }), 'user:ann/s3cret');
    assert.throws(() => resolveSecrets('${env:NOT_SET_ANYWHERE}', 'password', {}), /^Error: password: environment variable NOT_SET_ANYWHERE is not set|password: environment variable NOT_SET_ANYWHERE is not set/);
    assert.throws(() => resolveSecrets('${file:/nonexistent/x}', 'password'), /password: cannot read \/nonexistent\/x: ENOENT/);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});

test('json schema - rules and connectors are described (one variant per connector type)', () => {
  const schema = configJsonSchema() as { properties: Record<string, { additionalProperties: { oneOf?: Array<{ title: string }>; required?: string[] } }> };
  assert.deepEqual(schema.properties['rules']!.additionalProperties.required, ['sql']);
  assert.deepEqual(schema.properties['connectors']!.additionalProperties.oneOf!.map((variant) => variant.title), [
    'webhook connector', 'postgresql connector', 'mysql connector', 'redis connector', 'influxdb connector', 'nats connector',
  ]);
});
