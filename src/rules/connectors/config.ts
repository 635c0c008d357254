// Connector settings as written in the config file (`connectors:`), the store and the API: checked
// field by field, errors naming the field, completed with each type's defaults. Field names are
// EMQX's where it has them (url, method, headers, body, server, database, username, password, sql,
// command_template as `command`, write_syntax, precision, pool_size, batch_size, request_timeout).

import { Buffer } from 'node:buffer';

import { DefinitionError } from '../definitions.js';
import { connectorTypes, type ConnectorType } from './connector.js';
import type { BufferOptions } from './buffered-connector.js';

type FieldType = { kind: 'string'; enum?: readonly string[]; default?: string } | { kind: 'integer'; min: number; max: number } | { kind: 'boolean' } | { kind: 'strings' } | { kind: 'stringMap' };

interface FieldSpec {
  type: FieldType;
  required?: boolean;
  description: string;
}

const commonFields: Record<string, FieldSpec> = {
  type: { type: { kind: 'string', enum: connectorTypes }, required: true, description: `One of ${connectorTypes.join(', ')}.` },
  enable: { type: { kind: 'boolean' }, description: 'false keeps the connector defined but not running (actions that use it are counted as discarded).' },
  description: { type: { kind: 'string' }, description: 'Free text.' },
  buffer_size: { type: { kind: 'integer', min: 1, max: 10_000_000 }, description: 'Outputs kept while the server is slow or down (default 10000); past it the oldest is dropped and counted.' },
  durable_buffer: { type: { kind: 'boolean' }, description: 'Keep buffered outputs in the store until written, so they survive a restart (default false).' },
  batch_size: { type: { kind: 'integer', min: 1, max: 10_000 }, description: 'Outputs written in one request or statement (default 1 for webhook, 100 otherwise).' },
  batch_time_ms: { type: { kind: 'integer', min: 0, max: 60_000 }, description: 'How long a partial batch waits for more (default 0: write what is buffered at once).' },
  pool_size: { type: { kind: 'integer', min: 1, max: 256 }, description: 'Connections, and batches written at the same time (default 4; nats 1).' },
  max_retries: { type: { kind: 'integer', min: 0, max: 1000 }, description: 'Retries of a failed write before the outputs are given up on (default 3).' },
  retry_backoff_ms: { type: { kind: 'integer', min: 1, max: 600_000 }, description: 'First retry delay, doubled each retry (default 200).' },
  retry_backoff_max_ms: { type: { kind: 'integer', min: 1, max: 3_600_000 }, description: 'Longest retry delay (default 10000).' },
  request_timeout_ms: { type: { kind: 'integer', min: 1, max: 600_000 }, description: 'A write with no answer by then is retried (default 5000).' },
  health_check_interval_ms: { type: { kind: 'integer', min: 100, max: 3_600_000 }, description: 'How often a connected connector checks its server (default 15000).' },
};

const typeFields: Record<ConnectorType, Record<string, FieldSpec>> = {
  webhook: {
    url: { type: { kind: 'string' }, required: true, description: 'http:// or https:// URL; may hold ${env:...}.' },
    method: { type: { kind: 'string', enum: ['post', 'put', 'patch', 'get', 'delete'], default: 'post' }, description: 'HTTP method (default post).' },
    headers: { type: { kind: 'stringMap' }, description: 'Request headers; values may hold templates and ${env:...}/${file:...}.' },
    body: { type: { kind: 'string' }, description: 'Body template (default: the rule output as JSON). With batch_size > 1 the bodies go as one JSON array.' },
  },
  postgresql: databaseFields('5432'),
  mysql: databaseFields('3306'),
  redis: {
    server: { type: { kind: 'string' }, required: true, description: 'host:port.' },
    username: { type: { kind: 'string' }, description: 'ACL user (Redis 6+).' },
    password: { type: { kind: 'string' }, description: 'May be ${env:NAME} or ${file:/path}.' },
    database: { type: { kind: 'integer', min: 0, max: 1000 }, description: 'Database index (default 0).' },
    command: { type: { kind: 'strings' }, required: true, description: 'The command, a string split at spaces or a list of arguments (EMQX command_template), each a template: HSET ${clientid} temp ${payload.temp}.' },
  },
  influxdb: {
    server: { type: { kind: 'string' }, required: true, description: 'http://host:port (InfluxDB 1.x /write).' },
    database: { type: { kind: 'string' }, required: true, description: 'Database written to.' },
    username: { type: { kind: 'string' }, description: 'User.' },
    password: { type: { kind: 'string' }, description: 'May be ${env:NAME} or ${file:/path}.' },
    precision: { type: { kind: 'string', enum: ['ns', 'us', 'ms', 's'], default: 'ms' }, description: 'Unit of timestamps (default ms).' },
    write_syntax: { type: { kind: 'string' }, required: true, description: 'Line protocol template: measurement,tag=${t} field=${v},count=${n}i ${timestamp}.' },
  },
  nats: {
    servers: { type: { kind: 'strings' }, required: true, description: 'nats://host:port, one or a list.' },
    subject: { type: { kind: 'string' }, required: true, description: 'Subject template, e.g. iot.${clientid}.' },
    payload: { type: { kind: 'string' }, description: 'Payload template (default: the rule output as JSON).' },
    username: { type: { kind: 'string' }, description: 'User.' },
    password: { type: { kind: 'string' }, description: 'May be ${env:NAME} or ${file:/path}.' },
    token: { type: { kind: 'string' }, description: 'Authentication token.' },
  },
};

function databaseFields(port: string): Record<string, FieldSpec> {
  return {
    server: { type: { kind: 'string' }, required: true, description: `host:port (port ${port} when omitted).` },
    database: { type: { kind: 'string' }, required: true, description: 'Database.' },
    username: { type: { kind: 'string' }, required: true, description: 'User.' },
    password: { type: { kind: 'string' }, description: 'May be ${env:NAME} or ${file:/path}.' },
    sql: { type: { kind: 'string' }, required: true, description: 'An INSERT (or any statement) with ${field} placeholders, sent as parameters: INSERT INTO t(a, b) VALUES (${a}, ${b}).' },
  };
}

export type ConnectorSettings = Record<string, unknown> & { type: ConnectorType; enable: boolean; description: string };

export interface ConnectorDefinition {
  name: string;
  settings: ConnectorSettings;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks one connector's settings (snake_case or camelCase names); `field` prefixes error names. */
export function checkConnectorDefinition(name: string, input: unknown, field = ''): ConnectorDefinition {
  const prefix = field === '' ? '' : `${field}.`;
  if (!NAME.test(name)) throw new DefinitionError(field === '' ? 'name' : field, `expected 1 to 128 characters of letters, digits, _ . -, got ${JSON.stringify(name)}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new DefinitionError(field === '' ? 'connector' : field, `expected an object, got ${JSON.stringify(input)}`);
  const fields = input as Record<string, unknown>;
  const type = fields['type'];
  if (typeof type !== 'string' || !(connectorTypes as readonly string[]).includes(type)) throw new DefinitionError(`${prefix}type`, `expected one of ${connectorTypes.join(', ')}, got ${JSON.stringify(type)}`);
  const specs = { ...commonFields, ...typeFields[type as ConnectorType] };
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const snake = key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    if (snake === 'name') continue;
    const spec = specs[snake];
    if (spec === undefined) throw new DefinitionError(`${prefix}${key}`, `unknown field of a ${type} connector; expected one of ${Object.keys(specs).join(', ')}`);
    settings[snake] = checkField(spec.type, value, `${prefix}${key}`);
  }
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.required === true && settings[key] === undefined) throw new DefinitionError(`${prefix}${key}`, `required in a ${type} connector`);
    if (settings[key] === undefined && spec.type.kind === 'string' && spec.type.default !== undefined) settings[key] = spec.type.default;
  }
  settings['enable'] ??= true;
  settings['description'] ??= '';
  return { name, settings: settings as ConnectorSettings };
}

function checkField(type: FieldType, value: unknown, field: string): unknown {
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') throw new DefinitionError(field, `expected a string, got ${JSON.stringify(value)}`);
      if (type.enum !== undefined && !type.enum.includes(value.toLowerCase())) throw new DefinitionError(field, `expected one of ${type.enum.join(', ')}, got ${JSON.stringify(value)}`);
      return type.enum === undefined ? value : value.toLowerCase();
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < type.min || value > type.max) throw new DefinitionError(field, `expected an integer from ${type.min} to ${type.max}, got ${JSON.stringify(value)}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new DefinitionError(field, `expected true or false, got ${JSON.stringify(value)}`);
      return value;
    case 'strings':
      if (typeof value === 'string' && value.trim() !== '') return value;
      if (Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'string')) return value;
      throw new DefinitionError(field, `expected a string or a non-empty list of strings, got ${JSON.stringify(value)}`);
    case 'stringMap':
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((entry) => typeof entry === 'string')) {
        throw new DefinitionError(field, `expected a map of names to strings, got ${JSON.stringify(value)}`);
      }
      return value;
  }
}

/** The buffer and retry settings with each type's defaults. */
export function bufferOptions(settings: ConnectorSettings): BufferOptions {
  const number = (key: string, fallback: number): number => (typeof settings[key] === 'number' ? (settings[key] as number) : fallback);
  const pool = number('pool_size', settings.type === 'nats' ? 1 : 4);
  return {
    bufferSize: number('buffer_size', 10_000),
    batchSize: number('batch_size', settings.type === 'webhook' ? 1 : 100),
    batchTimeMs: number('batch_time_ms', 0),
    inflight: pool,
    maxRetries: number('max_retries', 3),
    retryBackoffMs: number('retry_backoff_ms', 200),
    retryBackoffMaxMs: number('retry_backoff_max_ms', 10_000),
    requestTimeoutMs: number('request_timeout_ms', 5_000),
    healthCheckIntervalMs: number('health_check_interval_ms', 15_000),
  };
}

/** Settings for the API: passwords, tokens and credential headers hidden (unless given as ${env:...} or ${file:...} references). */
export function publicSettings(settings: ConnectorSettings): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...settings };
  const hidden = (value: unknown): boolean => typeof value === 'string' && !value.startsWith('${');
  for (const key of ['password', 'token']) if (hidden(shown[key])) shown[key] = '******';
  const headers = shown['headers'];
  if (typeof headers === 'object' && headers !== null) {
    shown['headers'] = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, /^(authorization|x-api-key|cookie)$/i.test(name) && hidden(value) ? '******' : value]));
  }
  return shown;
}

/** "host:port" (or a URL's host and port) with a default port. */
export function hostAndPort(server: string, defaultPort: number, field: string): { host: string; port: number } {
  const bare = server.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(bare);
  if (match === null) throw new DefinitionError(field, `expected host:port, got ${JSON.stringify(server)}`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65_535) throw new DefinitionError(field, `port out of range in ${JSON.stringify(server)}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export const connectorFieldDescriptions = { common: commonFields, byType: typeFields };
