// resolveConfig and validateConfig: precedence of the sources, file formats, and errors that name the key.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../../src/internal.js';
import { defaultConfig } from '../../../src/internal.js';
import { resolveConfig, validateConfig } from '../../../src/internal.js';

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'starling-config-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function configFile(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

/** Runs `action`, asserts it throws a ConfigError for `key`, and returns the error for further checks. */
function configErrorOf(action: () => unknown, key: string): ConfigError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.key, key);
    assert.ok(error.message.includes(key), `message names ${key}: ${error.message}`);
    return error;
  }
  assert.fail(`expected a ConfigError for ${key}`);
}

describe('config precedence', () => {
  test('with no sources the defaults come back', () => {
    const { nodeName: _, ...resolved } = resolveConfig({});
    const { nodeName: __, ...defaults } = defaultConfig();
    assert.deepEqual(resolved, defaults);
  });

  test('a YAML file overrides the defaults, keys in snake_case', async () => {
    const file = await configFile(
      'basic.yaml',
      'max_packet_size: 4096\nsys_interval: 0\nretain_available: false\nmax_qos: 1\n' +
        'listeners:\n  - type: tcp\n    host: 127.0.0.1\n    port: 1884\n  - {type: ws, port: 8083, path: /mqtt, max_connections: 10}\n',
    );
    const config = resolveConfig({ file });
    assert.equal(config.maxPacketSize, 4096);
    assert.equal(config.sysInterval, 0);
    assert.equal(config.retainAvailable, false);
    assert.equal(config.maxQoS, 1);
    assert.deepEqual(config.listeners, [
      { type: 'tcp', host: '127.0.0.1', port: 1884 },
      { type: 'ws', host: '::', port: 8083, path: '/mqtt', maxConnections: 10 },
    ]);
    assert.equal(config.maxInflight, defaultConfig().maxInflight, 'keys absent from the file keep their default');
  });

  test('a .yml file and a JSON file are read the same way', async () => {
    const yml = await configFile('short.yml', 'durability: batched\nbatch_interval_ms: 50\n');
    const json = await configFile('same.json', '{"durability": "batched", "batch_interval_ms": 50}');
    for (const file of [yml, json]) {
      const config = resolveConfig({ file });
      assert.equal(config.durability, 'batched');
      assert.equal(config.batchIntervalMs, 50);
    }
  });

  test('an empty YAML file changes nothing', async () => {
    const file = await configFile('empty.yaml', '# nothing set yet\n');
    assert.equal(resolveConfig({ file }).maxPacketSize, defaultConfig().maxPacketSize);
  });

  test('STARLING_* variables override the file', async () => {
    const file = await configFile('env.yaml', 'max_packet_size: 4096\nmax_inflight: 10\n');
    const config = resolveConfig({
      file,
      env: {
        STARLING_MAX_PACKET_SIZE: '2048',
        STARLING_RETAIN_AVAILABLE: 'false',
        STARLING_LOG_LEVEL: 'debug',
        STARLING_LISTENERS: '[{"type":"tcp","host":"0.0.0.0","port":1999}]',
        PATH: '/usr/bin',
      },
    });
    assert.equal(config.maxPacketSize, 2048);
    assert.equal(config.maxInflight, 10, 'file values without a variable stay');
    assert.equal(config.retainAvailable, false);
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.listeners, [{ type: 'tcp', host: '0.0.0.0', port: 1999 }]);
  });

  test('flags override variables and the file', async () => {
    const file = await configFile('flags.yaml', 'max_packet_size: 4096\ndata_dir: /from/file\n');
    const config = resolveConfig({
      file,
      env: { STARLING_MAX_PACKET_SIZE: '2048', STARLING_DATA_DIR: '/from/env' },
      flags: { 'max-packet-size': '1024', 'log-pretty': false, 'retain-available': true },
    });
    assert.equal(config.maxPacketSize, 1024);
    assert.equal(config.dataDir, '/from/env');
    assert.equal(config.logPretty, false);
    assert.equal(config.retainAvailable, true);
  });

  test('--data-dir sets the data directory', () => {
    assert.equal(resolveConfig({ flags: { 'data-dir': '/tmp/starling' } }).dataDir, '/tmp/starling');
  });

  test('--port and --host set the first tcp listener only', async () => {
    const file = await configFile(
      'two.yaml',
      'listeners:\n  - {type: ws, host: 0.0.0.0, port: 8083}\n  - {type: tcp, host: 0.0.0.0, port: 1883}\n  - {type: tcp, host: 0.0.0.0, port: 1884}\n',
    );
    const config = resolveConfig({ file, flags: { port: '0', host: '127.0.0.1' } });
    assert.deepEqual(config.listeners, [
      { type: 'ws', host: '0.0.0.0', port: 8083 },
      { type: 'tcp', host: '127.0.0.1', port: 0 },
      { type: 'tcp', host: '0.0.0.0', port: 1884 },
    ]);
  });

  test('--port adds a tcp listener when the config has none', () => {
    const config = resolveConfig({ env: { STARLING_LISTENERS: '[]' }, flags: { port: '1999' } });
    assert.deepEqual(config.listeners, [{ type: 'tcp', host: '::', port: 1999 }]);
  });

  test('the config file can come from --config or STARLING_CONFIG', async () => {
    const file = await configFile('named.yaml', 'max_inflight: 7\n');
    assert.equal(resolveConfig({ flags: { config: file } }).maxInflight, 7);
    assert.equal(resolveConfig({ env: { STARLING_CONFIG: file } }).maxInflight, 7);
  });

  test('overrides win over every other source', () => {
    const config = resolveConfig({
      env: { STARLING_MAX_INFLIGHT: '5' },
      flags: { 'max-inflight': '6' },
      overrides: { maxInflight: 7 },
    });
    assert.equal(config.maxInflight, 7);
  });
});

describe('config errors name the key', () => {
  test('an unknown file key, with a suggestion when it is close to a known one', async () => {
    const file = await configFile('typo.yaml', 'max_packet_sise: 10\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'max_packet_sise');
    assert.match(error.message, /did you mean max_packet_size\?/);
    assert.ok(error.message.includes(file), 'message names the file');
  });

  test('an unknown key far from every known one gets no suggestion', async () => {
    const file = await configFile('unrelated.yaml', 'colour: blue\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'colour');
    assert.doesNotMatch(error.message, /did you mean/);
  });

  test('a wrong type in the file', async () => {
    const file = await configFile('type.yaml', 'retain_available: "yes"\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'retain_available');
    assert.match(error.message, /expected true or false, got "yes"/);
  });

  test('a number given as a string in the file is a wrong type', async () => {
    const file = await configFile('string-number.json', '{"max_inflight": "10"}');
    configErrorOf(() => resolveConfig({ file }), 'max_inflight');
  });

  test('an out-of-range number', async () => {
    const file = await configFile('range.yaml', 'max_packet_size: 268435456\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'max_packet_size');
    assert.match(error.message, /expected an integer from 1 to 268435455, got 268435456/);
  });

  test('a fractional number where an integer is expected', () => {
    configErrorOf(() => validateConfig({ maxInflight: 1.5 }, 'options'), 'maxInflight');
  });

  test('an unknown enum value lists the allowed ones', async () => {
    const file = await configFile('enum.yaml', 'durability: eventually\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'durability');
    assert.match(error.message, /expected one of sync, batched, memory, got "eventually"/);
  });

  test('a bad listener names the listener and the field', async () => {
    const file = await configFile('listener.yaml', 'listeners:\n  - {type: tcp, port: 1883}\n  - {type: quic, port: 1}\n');
    configErrorOf(() => resolveConfig({ file }), 'listeners[1].type');
  });

  test('a listener without a port', async () => {
    const file = await configFile('no-port.yaml', 'listeners:\n  - {type: tcp}\n');
    configErrorOf(() => resolveConfig({ file }), 'listeners[0].port');
  });

  test('an unknown listener key gets a suggestion', async () => {
    const file = await configFile('listener-key.yaml', 'listeners:\n  - {type: tcp, port: 1, max_conections: 3}\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'listeners[0].max_conections');
    assert.match(error.message, /did you mean max_connections\?/);
  });

  test('a missing file', () => {
    const file = join(directory, 'absent.yaml');
    const error = configErrorOf(() => resolveConfig({ file }), 'config');
    assert.ok(error.message.includes(file));
  });

  test('an unparsable YAML file', async () => {
    const file = await configFile('broken.yaml', 'max_inflight: [1, 2\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'config');
    assert.match(error.message, /cannot parse/);
    assert.ok(error.message.includes(file));
  });

  test('an unparsable JSON file', async () => {
    const file = await configFile('broken.json', '{"max_inflight": }');
    configErrorOf(() => resolveConfig({ file }), 'config');
  });

  test('a file that is not a mapping', async () => {
    const file = await configFile('list.yaml', '- max_inflight\n');
    configErrorOf(() => resolveConfig({ file }), 'config');
  });

  test('an unsupported file extension', async () => {
    const file = await configFile('starling.toml', 'max_inflight = 3\n');
    const error = configErrorOf(() => resolveConfig({ file }), 'config');
    assert.match(error.message, /\.yaml, \.yml or \.json/);
  });

  test('numbers in variables are parsed strictly', () => {
    for (const text of ['abc', '', '1e3', '12px', '0x10', '2.5']) {
      const error = configErrorOf(
        () => resolveConfig({ env: { STARLING_MAX_PACKET_SIZE: text } }),
        'max_packet_size',
      );
      assert.ok(error.message.includes('STARLING_MAX_PACKET_SIZE'), 'message names the variable');
    }
  });

  test('booleans in variables are true or false only', () => {
    configErrorOf(() => resolveConfig({ env: { STARLING_LOG_PRETTY: 'yes' } }), 'log_pretty');
  });

  test('STARLING_LISTENERS must be JSON', () => {
    configErrorOf(() => resolveConfig({ env: { STARLING_LISTENERS: 'tcp:1883' } }), 'listeners');
  });

  test('an unknown STARLING_ variable is refused with a suggestion', () => {
    const error = configErrorOf(
      () => resolveConfig({ env: { STARLING_MAX_PACKETSIZE: '10' } }),
      'STARLING_MAX_PACKETSIZE',
    );
    assert.match(error.message, /did you mean STARLING_MAX_PACKET_SIZE\?/);
  });

  test('a bad flag value names the key and the flag', () => {
    const error = configErrorOf(() => resolveConfig({ flags: { 'max-packet-size': 'abc' } }), 'max_packet_size');
    assert.equal(
      error.message,
      'max_packet_size: expected an integer from 1 to 268435455, got "abc" (from --max-packet-size)',
    );
  });

  test('an unknown flag gets a suggestion', () => {
    const error = configErrorOf(() => resolveConfig({ flags: { 'max-packt-size': '1' } }), 'max-packt-size');
    assert.match(error.message, /did you mean --max-packet-size\?/);
  });

  test('a valued flag given without a value', () => {
    configErrorOf(() => resolveConfig({ flags: { 'max-inflight': true } }), 'max_inflight');
  });

  test('--port must be a port number', () => {
    for (const port of ['65536', 'http', '-1']) configErrorOf(() => resolveConfig({ flags: { port } }), 'port');
  });
});

describe('validateConfig (library options)', () => {
  test('accepts camelCase options and returns only what was given', () => {
    const listeners = [{ type: 'tcp' as const, host: '127.0.0.1', port: 0, maxConnections: 5 }];
    assert.deepEqual(validateConfig({ maxPacketSize: 2048, listeners, dataDir: undefined }, 'createBroker options'), {
      maxPacketSize: 2048,
      listeners,
    });
  });

  test('an unknown option is refused with a suggestion and the source', () => {
    const error = configErrorOf(() => validateConfig({ maxPacketSise: 1 }, 'createBroker options'), 'maxPacketSise');
    assert.match(error.message, /createBroker options/);
    assert.match(error.message, /did you mean maxPacketSize\?/);
  });

  test('snake_case listener keys are refused in camelCase options', () => {
    configErrorOf(
      () => validateConfig({ listeners: [{ type: 'tcp', port: 1, max_connections: 1 }] }, 'options'),
      'listeners[0].max_connections',
    );
  });

  test('something other than an object is refused', () => {
    configErrorOf(() => validateConfig(42, 'options'), 'options');
  });
});
