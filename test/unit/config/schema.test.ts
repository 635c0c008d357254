// The schema table: names derived from each key and the generated README reference.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../../src/internal.js';
import { configKeys, configReference, configSchema, envName, flagName, snakeName } from '../../../src/internal.js';

test('the schema describes every BrokerConfig key, and nothing else', () => {
  const withDefaults = Object.keys(configSchema).filter((key) => configSchema[key as keyof typeof configSchema].optional !== true);
  assert.deepEqual(withDefaults.sort(), Object.keys(defaultConfig()).sort());
});

test('every default value passes its own schema', async () => {
  const { validateConfig } = await import('../../../src/internal.js');
  const defaults = defaultConfig();
  assert.deepEqual(validateConfig(defaults, 'defaults'), defaults);
});

test('names are derived in snake_case, STARLING_ upper case and kebab-case', () => {
  assert.equal(snakeName('maxPacketSize'), 'max_packet_size');
  assert.equal(snakeName('maxQoS'), 'max_qos');
  assert.equal(snakeName('batchIntervalMs'), 'batch_interval_ms');
  assert.equal(envName('maxPacketSize'), 'STARLING_MAX_PACKET_SIZE');
  assert.equal(flagName('dataDir'), 'data-dir');
});

test('configReference has one row per key with type, default and description', () => {
  const reference = configReference();
  const lines = reference.trimEnd().split('\n');
  assert.equal(lines[0], '| Key | Type | Default | Description |');
  assert.equal(lines.length, 2 + configKeys.length);
  for (const key of configKeys) {
    const row = lines.find((line) => line.startsWith(`| \`${snakeName(key)}\` |`));
    assert.ok(row, `row for ${snakeName(key)}`);
    assert.ok(row.includes(configSchema[key].description.replaceAll('|', '\\|')), `description of ${key}`);
    assert.equal(row.split(/(?<!\\)\|/).length, 6, `${key} row has exactly four cells`);
  }
  assert.ok(reference.includes('| `max_packet_size` | integer 1–268435455 | `1048576` |'));
});
