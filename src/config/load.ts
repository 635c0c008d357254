// Resolving the broker's configuration from its sources, lowest precedence first:
// defaults <- config file (YAML/JSON) <- STARLING_* environment variables <- command-line flags <- overrides.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, didYouMean } from './config-error.js';
import { defaultConfig } from './defaults.js';
import {
  checkSetting,
  configKeys,
  configSchema,
  envName,
  keyByFlagName,
  keyBySnakeName,
  parseSetting,
  snakeName,
  type ConfigKey,
} from './schema.js';
import type { BrokerConfig, ListenerConfig } from './types.js';

export interface ConfigSources {
  /** Config file path; otherwise the `config` flag, otherwise STARLING_CONFIG. */
  file?: string;
  /** Usually `process.env`; omitted means no environment overrides. */
  env?: NodeJS.ProcessEnv;
  /** Flag name without dashes -> value, as `starling start` parsed it: `{ 'max-packet-size': '2048', port: '0' }`. */
  flags?: Record<string, string | boolean>;
  /** camelCase values applied last (checked like library options). */
  overrides?: Partial<BrokerConfig>;
}

/** Flags that are not config keys themselves. */
const extraFlags = ['config', 'port', 'host'] as const;

export function resolveConfig(input: ConfigSources = {}): BrokerConfig {
  const env = input.env ?? {};
  const flags = input.flags ?? {};
  const configFlag = flags['config'];
  if (configFlag === true) throw new ConfigError('config', 'config: expected a file name after --config');
  const file = input.file ?? (typeof configFlag === 'string' ? configFlag : undefined) ?? env['STARLING_CONFIG'];

  const config = defaultConfig();
  const defaultListeners = config.listeners;
  if (file !== undefined) Object.assign(config, readConfigFile(file));
  Object.assign(config, readEnv(env));
  Object.assign(config, readFlags(flags));
  applyAddressFlags(config, flags, config.listeners === defaultListeners);
  if (input.overrides !== undefined) Object.assign(config, validateConfig(input.overrides, 'overrides'));
  return config;
}

/** Checks library options (camelCase keys, typed values); `source` names them in error messages. */
export function validateConfig(partial: unknown, source: string): Partial<BrokerConfig> {
  if (!isPlainObject(partial)) {
    throw new ConfigError('options', `options: expected an object of broker options (in ${source})`);
  }
  const checked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(configSchema, name)) {
      // The file's spelling passed to the library: say so rather than only guessing by edit distance.
      const camel = keyBySnakeName.get(name);
      const hint = camel !== undefined && camel !== name ? ` (options are camelCase: ${camel})` : didYouMean(name, configKeys);
      throw new ConfigError(name, `${name}: unknown option in ${source}${hint}`);
    }
    checked[name] = checkSetting(name as ConfigKey, value, name, `in ${source}`, 'camel');
  }
  return checked as Partial<BrokerConfig>;
}

/** Reads a `.yaml`, `.yml` or `.json` config file with snake_case keys. */
export function readConfigFile(path: string): Partial<BrokerConfig> {
  const extension = extname(path).toLowerCase();
  if (extension !== '.yaml' && extension !== '.yml' && extension !== '.json') {
    throw new ConfigError('config', `config: ${path} must end in .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('config', `config: cannot read ${path}: ${describe(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError('config', `config: cannot parse ${path}: ${describe(error)}`, { cause: error });
  }
  if (data === null || data === undefined) return {}; // an empty file, or only comments
  if (!isPlainObject(data)) {
    throw new ConfigError('config', `config: ${path} must hold a mapping of settings, got ${typeof data}`);
  }
  const origin = `in ${path}`;
  const partial: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(data)) {
    const key = keyBySnakeName.get(name);
    if (key === undefined) {
      throw new ConfigError(name, `${name}: unknown key ${origin}${didYouMean(name, keyBySnakeName.keys())}`);
    }
    partial[key] = checkSetting(key, value, name, origin, 'snake');
  }
  return partial as Partial<BrokerConfig>;
}

function readEnv(env: NodeJS.ProcessEnv): Partial<BrokerConfig> {
  const keyByEnvName = new Map(configKeys.map((key) => [envName(key), key]));
  const partial: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('STARLING_') || name === 'STARLING_CONFIG' || text === undefined) continue;
    const key = keyByEnvName.get(name);
    // A misspelt variable would otherwise be silently ignored, which is worse than refusing to start.
    if (key === undefined) {
      throw new ConfigError(name, `${name}: unknown environment variable${didYouMean(name, keyByEnvName.keys())}`);
    }
    partial[key] = parseSetting(key, text, snakeName(key), `from ${name}`);
  }
  return partial as Partial<BrokerConfig>;
}

function readFlags(flags: Record<string, string | boolean>): Partial<BrokerConfig> {
  const partial: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(flags)) {
    if ((extraFlags as readonly string[]).includes(name)) continue;
    const key = keyByFlagName.get(name);
    if (key === undefined) {
      const known = [...keyByFlagName.keys(), ...extraFlags].map((flag) => `--${flag}`);
      throw new ConfigError(name, `--${name}: unknown flag${didYouMean(`--${name}`, known)}`);
    }
    const text = typeof value === 'string' ? value : configSchema[key].type === 'boolean' ? String(value) : undefined;
    if (text === undefined) throw new ConfigError(snakeName(key), `${snakeName(key)}: expected a value after --${name}`);
    partial[key] = parseSetting(key, text, snakeName(key), `from --${name}`);
  }
  return partial as Partial<BrokerConfig>;
}

/**
 * `--port` and `--host` set the first tcp listener, adding one when the config has none. With the
 * default listener list (tcp 1883 + ws 8083) they replace it: `starling start --port 0` then runs
 * one tcp listener instead of also binding 8083.
 */
function applyAddressFlags(config: BrokerConfig, flags: Record<string, string | boolean>, defaultListeners: boolean): void {
  const port = flags['port'];
  const host = flags['host'];
  if (port === undefined && host === undefined) return;
  const listeners = defaultListeners ? [] : config.listeners.map((listener) => ({ ...listener }));
  let tcp = listeners.find((listener) => listener.type === 'tcp');
  if (tcp === undefined) {
    tcp = { type: 'tcp', host: '::', port: 1883 } satisfies ListenerConfig;
    listeners.unshift(tcp);
  }
  if (port !== undefined) {
    if (typeof port !== 'string' || !/^\d+$/.test(port) || Number(port) > 65_535) {
      throw new ConfigError('port', `port: expected a port number from 0 to 65535, got ${JSON.stringify(port)} (from --port)`);
    }
    tcp.port = Number(port);
  }
  if (host !== undefined) {
    if (typeof host !== 'string' || host === '') {
      throw new ConfigError('host', `host: expected an address to bind, got ${JSON.stringify(host)} (from --host)`);
    }
    tcp.host = host;
  }
  config.listeners = listeners;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const firstLine = error.message.split('\n')[0] ?? error.message;
    return code === 'ENOENT' ? 'no such file' : firstLine;
  }
  return String(error);
}
