// configJsonSchema(): the JSON Schema (draft 2020-12) derived from the config schema. Example configs
// are judged both by a small validator for the keywords the schema uses and by the broker's own
// checks (readConfigFile), and the two must agree; every key appears with its type, bounds and enum.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configJsonSchema, type JsonSchema } from '../../../src/internal.js';
import { readConfigFile } from '../../../src/internal.js';
import { configKeys, configSchema, snakeName } from '../../../src/internal.js';

const annotations = new Set(['$schema', 'title', 'description', 'default']);
const assertions = new Set(['type', 'enum', 'const', 'minimum', 'maximum', 'minLength', 'properties', 'additionalProperties', 'required', 'items', 'oneOf', 'anyOf']);

/** The errors of `value` against `schema`, for the keywords listed above (JSON values only). */
function validate(schema: JsonSchema | boolean, value: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  const errors: string[] = [];
  const s = schema as Record<string, unknown>;
  if (s['type'] !== undefined && !hasType(value, s['type'] as string)) return [`${path}: expected ${String(s['type'])}`];
  if (s['enum'] !== undefined && !(s['enum'] as unknown[]).includes(value)) errors.push(`${path}: not one of ${JSON.stringify(s['enum'])}`);
  if (Object.hasOwn(s, 'const') && s['const'] !== value) errors.push(`${path}: expected ${JSON.stringify(s['const'])}`);
  if (typeof value === 'number') {
    if (typeof s['minimum'] === 'number' && value < s['minimum']) errors.push(`${path}: below ${s['minimum']}`);
    if (typeof s['maximum'] === 'number' && value > s['maximum']) errors.push(`${path}: above ${s['maximum']}`);
  }
  if (typeof value === 'string' && typeof s['minLength'] === 'number' && value.length < s['minLength']) errors.push(`${path}: too short`);
  if (isObject(value)) {
    const properties = (s['properties'] ?? {}) as Record<string, JsonSchema>;
    for (const name of (s['required'] as string[] | undefined) ?? []) if (!Object.hasOwn(value, name)) errors.push(`${path}.${name}: required`);
    for (const [name, nested] of Object.entries(value)) {
      const sub = Object.hasOwn(properties, name) ? properties[name]! : (s['additionalProperties'] as JsonSchema | boolean | undefined);
      if (sub !== undefined) errors.push(...validate(sub, nested, `${path}.${name}`));
    }
  }
  if (Array.isArray(value) && s['items'] !== undefined) value.forEach((item, index) => errors.push(...validate(s['items'] as JsonSchema, item, `${path}[${index}]`)));
  if (s['oneOf'] !== undefined) {
    const matching = (s['oneOf'] as JsonSchema[]).filter((sub) => validate(sub, value, path).length === 0).length;
    if (matching !== 1) errors.push(`${path}: matches ${matching} of oneOf`);
  }
  if (s['anyOf'] !== undefined && !(s['anyOf'] as JsonSchema[]).some((sub) => validate(sub, value, path).length === 0)) errors.push(`${path}: matches none of anyOf`);
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every keyword in the schema, so that the validator above is known to cover them all. */
function keywords(schema: unknown, found = new Set<string>()): Set<string> {
  if (!isObject(schema)) return found;
  for (const [keyword, value] of Object.entries(schema)) {
    found.add(keyword);
    if (keyword === 'properties') for (const nested of Object.values(value as object)) keywords(nested, found);
    else if (keyword === 'oneOf' || keyword === 'anyOf') for (const nested of value as unknown[]) keywords(nested, found);
    else if (keyword === 'items' || keyword === 'additionalProperties') keywords(value, found);
  }
  return found;
}

const good: Record<string, unknown> = {
  empty: {},
  readme: {
    node_name: 'starling-1',
    listeners: [{ type: 'tcp', host: '::', port: 1883 }],
    data_dir: '/var/lib/starling',
    durability: 'sync',
    max_packet_size: 1048576,
    max_queued_messages: 1000,
    sys_interval: 10,
  },
  everything: {
    listeners: [
      { type: 'tcp', port: 1883, max_connections: 100, allow_anonymous: true, proxy_protocol: true },
      { type: 'tls', port: 8883, cert_file: 'c.pem', key_file: 'k.pem', min_tls_version: 'TLSv1.3', sni: [{ servername: 'a.example', cert_file: 'a.pem', key_file: 'a.key' }], request_cert: true, peer_cert_as_username: 'cn' },
      { type: 'ws', port: 8083, path: '/mqtt', allowed_origins: ['https://app.example'], trusted_proxies: ['10.0.0.0/8'], authentication: [{ type: 'builtin' }] },
      { type: 'wss', port: 8084, cert_file: 'c.pem', key_file: 'k.pem', per_message_deflate: false },
    ],
    authentication: [
      { type: 'builtin' },
      { type: 'password_file', file: 'passwd' },
      { type: 'jwt', secret: 'shh', algorithms: ['HS256'], from: 'username', acl_claim: 'acl' },
      { type: 'http', url: 'http://auth.local/check', timeout_ms: 2000, headers: { 'x-api-key': 'k' } },
      { type: 'certificate', identity: 'subject', match_username: true },
    ],
    allow_anonymous: false,
    max_qos: 1,
    shared_subscription_strategy: 'random',
    acl: { default: 'deny', rules: [{ permission: 'allow', action: 'all', topic: 'users/%u/#' }, { permission: 'allow', action: 'subscribe', topic: '$SYS/#', username: 'admin' }] },
    bans: [{ address: '192.0.2.0/24', until: 1_900_000_000_000, reason: 'scanner' }, { client_id: 'bad' }],
    lockout: { max_failures: 3 },
    rate_limits: { messages_per_second: 100, policy: 'drop' },
    flapping: { max_count: 10, window: 60, duration: 600 },
    admin_socket: false,
  },
};

const bad: Record<string, unknown> = {
  'negative max_inflight': { max_inflight: -1 },
  'fractional max_inflight': { max_inflight: 1.5 },
  'max_qos above 2': { max_qos: 3 },
  'unknown durability': { durability: 'fast' },
  'unknown key': { max_inflite: 10 },
  'camelCase key in a file': { maxInflight: 10 },
  'empty node_name': { node_name: '' },
  'listener without port': { listeners: [{ type: 'tcp' }] },
  'unknown listener type': { listeners: [{ type: 'udp', port: 1 }] },
  'tls listener without certificate': { listeners: [{ type: 'tls', port: 8883 }] },
  'ws key on a tcp listener': { listeners: [{ type: 'tcp', port: 1883, path: '/mqtt' }] },
  'port out of range': { listeners: [{ type: 'tcp', port: 70000 }] },
  'sni entry without key': { listeners: [{ type: 'tls', port: 8883, cert_file: 'c', key_file: 'k', sni: [{ servername: 'a', cert_file: 'a' }] }] },
  'jwt without a key': { authentication: [{ type: 'jwt' }] },
  'jwt with two keys': { authentication: [{ type: 'jwt', secret: 'a', jwks_url: 'https://x' }] },
  'builtin with an option': { authentication: [{ type: 'builtin', file: 'x' }] },
  'http without url': { authentication: [{ type: 'http' }] },
  'http header not a string': { authentication: [{ type: 'http', url: 'http://x', headers: { a: 1 } }] },
  'acl rule without action': { acl: { rules: [{ permission: 'allow', topic: '#' }] } },
  'acl unknown field': { acl: { defaults: 'deny' } },
  'ban with two subjects': { bans: [{ username: 'a', address: '10.0.0.1' }] },
  'ban without subject': { bans: [{ reason: 'x' }] },
  'lockout count as text': { lockout: { max_failures: 'five' } },
  'admin_socket true': { admin_socket: true },
  'authentication not a list': { authentication: { type: 'builtin' } },
};

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'starling-json-schema-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Whether the broker's own checks accept `config` as a JSON config file. */
async function brokerAccepts(name: string, config: unknown): Promise<boolean> {
  const file = join(directory, `${name.replaceAll(' ', '-')}.json`);
  await writeFile(file, JSON.stringify(config));
  try {
    readConfigFile(file);
    return true;
  } catch {
    return false;
  }
}

describe('config JSON Schema', () => {
  const schema = configJsonSchema();

  test('is draft 2020-12 and uses only keywords the test validator checks', () => {
    assert.equal(schema['$schema'], 'https://json-schema.org/draft/2020-12/schema');
    const unknown = [...keywords(schema)].filter((keyword) => !annotations.has(keyword) && !assertions.has(keyword));
    assert.deepEqual(unknown, []);
  });

  for (const [name, config] of Object.entries(good)) {
    test(`accepts the ${name} config, as the broker does`, async () => {
      assert.deepEqual(validate(schema, config), []);
      assert.equal(await brokerAccepts(name, config), true);
    });
  }

  for (const [name, config] of Object.entries(bad)) {
    test(`refuses a config with ${name}, as the broker does`, async () => {
      assert.notDeepEqual(validate(schema, config), [], 'the schema refuses it');
      assert.equal(await brokerAccepts(name, config), false, 'the broker refuses it');
    });
  }

  test('every key appears, snake_case, with its description, type, bounds and enum', () => {
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(properties), configKeys.map(snakeName));
    for (const key of configKeys) {
      const setting = configSchema[key];
      const property = properties[snakeName(key)]!;
      assert.equal(property['description'], setting.description, key);
      if (setting.type === 'integer') {
        assert.equal(property['type'], 'integer', key);
        assert.equal(property['minimum'], setting.min ?? 0, key);
        if (setting.max !== Number.MAX_SAFE_INTEGER) assert.equal(property['maximum'], setting.max, key);
      }
      if (setting.type === 'enum') assert.deepEqual(property['enum'], setting.enum, key);
      if (setting.type === 'boolean') assert.equal(property['type'], 'boolean', key);
      if (setting.type === 'listeners') assert.equal(property['type'], 'array', key);
    }
    assert.equal(properties['max_inflight']!['default'], 32);
    assert.equal(properties['node_name']!['default'], undefined, 'no machine-dependent default');
  });

  test('with keys: camel it describes createBroker() options', () => {
    const camel = configJsonSchema({ keys: 'camel' });
    assert.deepEqual(Object.keys(camel['properties'] as object), configKeys);
    assert.deepEqual(validate(camel, { maxInflight: 10, listeners: [{ type: 'tls', port: 1, certFile: 'c', keyFile: 'k' }], lockout: { maxFailures: 1 } }), []);
    assert.notDeepEqual(validate(camel, { max_inflight: 10 }), []);
  });
});
