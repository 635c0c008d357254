// The configuration schema: one row per BrokerConfig key with its type, bounds and description.
// Validation, the STARLING_* / --flag names and the README's config table are all derived from it.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { defaultConfig } from './defaults.js';
import { checkBans, checkSection } from './security-schema.js';
import { checkAuthentication } from './auth-schema.js';
import { checkConnectors, checkRules } from './rules-schema.js';
import { checkCluster } from './cluster-schema.js';
import { checkManagement } from './management-schema.js';
import type { BrokerConfig, ListenerConfig, ListenerType } from './types.js';

export type SettingType = 'integer' | 'boolean' | 'string' | 'enum' | 'listeners' | 'section';

export interface Setting {
  readonly type: SettingType;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly description: string;
  /** Shown instead of the default value when that depends on the machine. */
  readonly defaultText?: string;
  /** No default value: unset has its own meaning (given in defaultText). */
  readonly optional?: boolean;
  /** For 'section' settings (objects and lists): checks the value and completes it from the defaults; for others, replaces the usual check. */
  readonly check?: (value: unknown, label: string, origin: string, style: KeyStyle) => unknown;
  /** Shown in the reference's type column instead of the type's name. */
  readonly typeText?: string;
}

export type ConfigKey = keyof BrokerConfig;

/** The upper bound of settings that have none. */
export const unbounded = Number.MAX_SAFE_INTEGER;

export const configSchema: Readonly<Record<ConfigKey, Setting>> = {
  nodeName: {
    type: 'string',
    description: 'Name of this node, used in `$SYS/brokers/<node>/...` topics.',
    defaultText: 'starling@<hostname>',
  },
  listeners: {
    type: 'listeners',
    description:
      'Listeners, each `{type: tcp|tls|ws|wss, host, port, max_connections, ...}` (see Listeners); `host` defaults to `::`. ' +
      'As an environment variable or flag: a JSON array. `--port`/`--host` set the first tcp listener; ' +
      'with no listeners configured they replace the default list with that one tcp listener.',
  },
  dataDir: { type: 'string', description: 'Directory for the embedded store.' },
  durability: {
    type: 'enum',
    enum: ['sync', 'batched', 'memory'],
    description: '`sync`: acknowledge after each commit; `batched`: commit every `batch_interval_ms`; `memory`: keep nothing on disk.',
  },
  batchIntervalMs: {
    type: 'integer',
    min: 1,
    max: 60_000,
    description: 'Commit period in milliseconds when durability is `batched`.',
  },
  maxStoreBytes: {
    type: 'integer',
    min: 1024 * 1024,
    max: unbounded,
    description: 'Cap on the store size in bytes; past it, QoS 1/2 messages for persistent sessions are dropped, counted and logged.',
  },
  logLevel: {
    type: 'enum',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    description: 'Lowest level written to the log.',
  },
  logPretty: {
    type: 'boolean',
    description: 'Human-readable logs instead of JSON lines.',
    defaultText: 'true when stdout is a terminal',
  },
  sysInterval: {
    type: 'integer',
    min: 0,
    max: 86_400,
    description: 'Seconds between `$SYS` statistics publications; 0 turns them off.',
  },
  maxConnections: { type: 'integer', min: 1, max: unbounded, description: 'Broker-wide cap on client connections.' },
  maxPacketSize: {
    type: 'integer',
    min: 1,
    max: 268_435_455,
    description: 'Largest packet accepted from a client, in bytes (also announced as Maximum Packet Size).',
  },
  maxTopicLevels: { type: 'integer', min: 1, max: 65_535, description: 'Most levels allowed in a topic name or filter.' },
  maxInflight: {
    type: 'integer',
    min: 1,
    max: 65_535,
    description: 'Receive Maximum announced to clients and the outbound inflight window per session.',
  },
  maxQueuedMessages: {
    type: 'integer',
    min: 0,
    max: unbounded,
    description: 'QoS 1/2 messages queued per session beyond the inflight window; more are dropped and counted.',
  },
  maxTopicAliases: {
    type: 'integer',
    min: 0,
    max: 65_535,
    description: 'Topic Alias Maximum announced to MQTT 5 clients (inbound aliases); 0 disables them.',
  },
  maxKeepAlive: {
    type: 'integer',
    min: 0,
    max: 65_535,
    description: 'Highest keep-alive accepted, in seconds; a client asking more gets Server Keep Alive (MQTT 5).',
  },
  maxSessionExpiryInterval: {
    type: 'integer',
    min: 0,
    max: 0xffff_ffff,
    description: 'Highest Session Expiry Interval granted, in seconds.',
  },
  connectTimeout: { type: 'integer', min: 1, max: 3600, description: 'Seconds a new connection has to send CONNECT.' },
  maxOutgoingBufferBytes: {
    type: 'integer',
    min: 1,
    max: unbounded,
    description: 'Bytes buffered for a socket that does not drain before QoS 0 messages to it are dropped.',
  },
  drainTimeout: {
    type: 'integer',
    min: 1,
    max: 86_400,
    description: 'Seconds a socket may stay above `max_outgoing_buffer_bytes` before it is disconnected.',
  },
  sharedSubscriptionStrategy: {
    type: 'enum',
    enum: ['round_robin', 'random'],
    description: 'How a `$share/<group>/...` subscription picks the member that receives a message.',
  },
  retainAvailable: { type: 'boolean', description: 'Whether retained messages are supported (Retain Available).' },
  maxQoS: { type: 'integer', min: 0, max: 2, description: 'Highest QoS granted (Maximum QoS).' },
  authentication: {
    type: 'section',
    description:
      'Authenticator chain, each `{type: builtin|password_file|jwt|http|certificate, ...}`; the first that allows or denies decides, ' +
      'the others pass. A listener\'s own `authentication` replaces it. See Authentication.',
    check: (value, label, origin, style) => checkAuthentication(value, label, origin, style),
  },
  allowAnonymous: {
    type: 'boolean',
    description: 'Whether clients without a username may connect (and, with no authenticators, anyone). A listener\'s `allow_anonymous` wins.',
    defaultText: 'on loopback listeners: true; on network listeners without authenticators: loopback peers only',
    optional: true,
  },
  passwordHash: {
    type: 'enum',
    enum: ['argon2id', 'scrypt'],
    description:
      'Hash for new built-in user passwords (`broker.users`): argon2id (m=19456 KiB, t=2, p=1) or scrypt (N=16384, r=8, p=1). ' +
      'Existing hashes of either kind keep verifying. `starling passwd` and `starling ctl users` take `--hash`.',
  },
  acl: {
    type: 'section',
    description:
      'Authorization: `{file, default: allow|deny, rules: [{permission: allow|deny, action: publish|subscribe|all, topic, username?, client_id?}], disconnect_on_deny, cache_size}`; ' +
      'topics may hold `%u`, `%c`, `${cert_cn}`, `${jwt.<claim>}`; first match wins (store rules, then the file, then `rules`). See Authorization and abuse protection.',
    check: (value, label, origin, style) => checkSection('acl', value, defaultConfig().acl, label, origin, style),
  },
  bans: {
    type: 'section',
    description: 'Static bans, each `{client_id | username | address (IP or CIDR), until (ms since epoch)?, reason?}`; `starling ctl banned` manages more.',
    check: (value, label, origin, style) => checkBans(value, label, origin, style),
  },
  lockout: {
    type: 'section',
    description: '`{max_failures, window, duration}`: after `max_failures` failed authentications from an address or for a username within `window` seconds, refuse it for `duration` seconds; 0 disables.',
    check: (value, label, origin, style) => checkSection('lockout', value, defaultConfig().lockout, label, origin, style),
  },
  rateLimits: {
    type: 'section',
    description:
      '`{connections_per_second, connections_per_address_per_second, messages_per_second, bytes_per_second, policy: drop|slow|disconnect}`; 0 is unlimited. ' +
      '`slow` drops excess QoS 0 and withholds acks of QoS 1/2 (pausing reading) until the rate allows.',
    check: (value, label, origin, style) => checkSection('rateLimits', value, defaultConfig().rateLimits, label, origin, style),
  },
  flapping: {
    type: 'section',
    description: '`{max_count, window, duration}`: a client id that disconnects `max_count` times within `window` seconds is banned for `duration` seconds; 0 disables.',
    check: (value, label, origin, style) => checkSection('flapping', value, defaultConfig().flapping, label, origin, style),
  },
  maxPendingConnectionsPerAddress: {
    type: 'integer',
    min: 0,
    max: unbounded,
    description: 'Connections from one address that have not sent CONNECT yet; at the cap the oldest of them is closed to make room for a new one (0: unlimited).',
  },
  adminSocket: {
    type: 'string',
    typeText: 'path or `false`',
    description:
      'Unix socket of the local admin endpoint that `starling ctl` uses (mode 0600); `false` or empty turns it off. ' +
      'The library (`createBroker`) opens one only when this is set. See Built-in users.',
    defaultText: '`<data_dir>/starling.sock` with `starling start`, none with `durability: memory` or in the library',
    optional: true,
    check: (value, label, origin) => checkAdminSocket(value, label, origin),
  },
  cluster: {
    type: 'section',
    description:
      'Cluster over NATS JetStream: `{nats: [urls], node, replicas, prefix, user, password, token, creds_file, tls: {ca_file, cert_file, key_file}, ' +
      'heartbeat_ms, node_ttl_ms, message_retention, publish_timeout_ms, connect_retry_ms, sync_subscribe}`. Unset: this node runs alone. See Clustering.',
    defaultText: 'none',
    optional: true,
    check: (value, label, origin, style) => checkCluster(value, label, origin, style),
  },
  management: {
    type: 'section',
    typeText: 'object or `false`',
    description:
      'The management plane: `{listeners: [{host, port, cert_file?, key_file?, ca_file?, ...}], allow_insecure_http, bootstrap_admin, token_ttl, metrics_auth}` ' +
      'serving the HTTP API (`/api/v5`), its OpenAPI document (`/api-docs`) and Prometheus (`/metrics`); `false` turns it off. ' +
      'A listener without TLS may bind only a loopback address unless `allow_insecure_http` is true. See Management.',
    defaultText: 'one HTTP listener on `127.0.0.1:18083` with `starling start`; off in the library',
    optional: true,
    check: (value, label, origin, style) => checkManagement(value, label, origin, style),
  },
  traceDir: {
    type: 'string',
    description: 'Directory of packet trace files (`starling ctl trace`, `/api/v5/trace`). See Operating a running broker.',
    defaultText: '`<data_dir>/trace`',
    optional: true,
  },
  rules: {
    type: 'section',
    typeText: 'map of rules',
    description:
      'Rules by id, each `{sql, actions, enable, description}`: EMQX\'s rule SQL (`SELECT ... FROM "t/#" WHERE ...`) and actions ' +
      '(`{function: republish, args: {topic, qos, retain, payload, user_properties, mqtt_properties}}`, `{function: console}`, or a connector\'s name). See Rule engine.',
    check: (value, label, origin) => checkRules(value, label, origin),
  },
  connectors: {
    type: 'section',
    typeText: 'map of connectors',
    description:
      'Connectors by name, each `{type: webhook|postgresql|mysql|redis|influxdb|nats, ...}` with its server, template, buffer and retry settings; ' +
      'credentials may be `${env:NAME}` or `${file:/path}`. See Rule engine.',
    check: (value, label, origin) => checkConnectors(value, label, origin),
  },
};

/** A socket path; `false`, `'false'` (from an environment variable or flag) and `''` turn the endpoint off. */
function checkAdminSocket(value: unknown, label: string, origin: string): string | false {
  if (value === false || value === '' || value === 'false') return false;
  if (typeof value === 'string') return value;
  throw new ConfigError(label, `${label}: expected a socket path, or false to turn the admin endpoint off, got ${show(value)} (${origin})`);
}

export const configKeys = Object.keys(configSchema) as ConfigKey[];

/** `maxPacketSize` -> `max_packet_size`; `maxQoS` -> `max_qos`. */
export function snakeName(key: string): string {
  return key.replace('QoS', 'Qos').replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** `maxPacketSize` -> `STARLING_MAX_PACKET_SIZE`. */
export function envName(key: ConfigKey): string {
  return `STARLING_${snakeName(key).toUpperCase()}`;
}

/** `maxPacketSize` -> `max-packet-size` (written `--max-packet-size` on the command line). */
export function flagName(key: ConfigKey): string {
  return snakeName(key).replaceAll('_', '-');
}

export const keyBySnakeName: ReadonlyMap<string, ConfigKey> = new Map(configKeys.map((key) => [snakeName(key), key]));
export const keyByFlagName: ReadonlyMap<string, ConfigKey> = new Map(configKeys.map((key) => [flagName(key), key]));

/** How keys are spelled where a value came from: snake_case in files, env and flags, camelCase in the library. */
export type KeyStyle = 'snake' | 'camel';

/**
 * Checks an already-typed value (from YAML, JSON or library options) against its setting.
 * `label` is the key as the user spelled it; `origin` says where the value came from.
 */
export function checkSetting(key: ConfigKey, value: unknown, label: string, origin: string, style: KeyStyle): unknown {
  const setting = configSchema[key];
  if (setting.type === 'listeners') return checkListeners(value, label, origin, style);
  if (setting.check !== undefined) return setting.check(value, label, origin, style);
  return checkScalar(setting, value, label, origin);
}

/** Parses a STARLING_* value or a flag value (always text) into the setting's type, then checks it. */
export function parseSetting(key: ConfigKey, text: string, label: string, origin: string): unknown {
  const setting = configSchema[key];
  switch (setting.type) {
    case 'integer':
      // Strict: Number('') is 0 and Number('1e3') is 1000, neither of which someone typing a port meant.
      return checkScalar(setting, /^-?\d+$/.test(text.trim()) ? Number(text) : text, label, origin);
    case 'boolean':
      return checkScalar(setting, text === 'true' ? true : text === 'false' ? false : text, label, origin);
    case 'listeners': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new ConfigError(label, `${label}: expected a JSON array of listeners, got ${show(text)} (${origin})`, {
          cause: error,
        });
      }
      return checkListeners(parsed, label, origin, 'snake');
    }
    case 'section': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new ConfigError(label, `${label}: expected JSON, got ${show(text)} (${origin})`, { cause: error });
      }
      return setting.check!(parsed, label, origin, 'snake');
    }
    case 'string':
    case 'enum':
      return setting.check !== undefined ? setting.check(text, label, origin, 'snake') : checkScalar(setting, text, label, origin);
  }
}

function checkScalar(setting: Setting, value: unknown, label: string, origin: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(label, `${label}: expected ${expected}, got ${show(value)} (${origin})`);
  };
  switch (setting.type) {
    case 'integer': {
      const min = setting.min ?? 0;
      const max = setting.max ?? unbounded;
      const range = max === unbounded ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(range);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return value;
    case 'string':
      if (typeof value !== 'string' || value === '') fail('a non-empty string');
      return value;
    case 'enum': {
      const values = setting.enum ?? [];
      if (typeof value !== 'string' || !values.includes(value)) fail(`one of ${values.join(', ')}`);
      return value;
    }
    case 'listeners':
    case 'section':
      throw new Error(`${setting.type} settings are checked by their own function`);
  }
}

export const listenerTypes: readonly ListenerType[] = ['tcp', 'tls', 'ws', 'wss'];
/** Listener keys: scalar settings, or a list of strings, or the SNI certificate list. */
export type ListenerSetting =
  | Setting
  | { readonly type: 'strings'; readonly description: string }
  | { readonly type: 'sni'; readonly description: string }
  | { readonly type: 'authentication'; readonly description: string };
const certificateFields = ['cn', 'dn'] as const;
export const listenerFields = {
  type: { type: 'enum', enum: listenerTypes, description: 'Transport.' },
  host: { type: 'string', description: 'Address to bind.' },
  port: { type: 'integer', min: 0, max: 65_535, description: 'Port to bind; 0 picks a free one.' },
  maxConnections: { type: 'integer', min: 0, max: unbounded, description: 'Per-listener connection cap.' },
  allowAnonymous: { type: 'boolean', description: 'Clients without a username may connect (default: see the global allow_anonymous).' },
  authentication: { type: 'authentication', description: 'Authenticator chain of this listener.' },
  certFile: { type: 'string', description: 'PEM certificate chain (tls, wss).' },
  keyFile: { type: 'string', description: 'PEM private key (tls, wss).' },
  keyPassphrase: { type: 'string', description: 'Passphrase of an encrypted key.' },
  caFile: { type: 'string', description: 'PEM CA bundle for client certificates.' },
  crlFile: { type: 'string', description: 'PEM certificate revocation list.' },
  minTlsVersion: { type: 'enum', enum: ['TLSv1.2', 'TLSv1.3'], description: 'Lowest TLS version accepted.' },
  ciphers: { type: 'string', description: 'OpenSSL cipher list.' },
  sni: { type: 'sni', description: 'Certificates by server name: `[{servername, cert_file, key_file}]`.' },
  requestCert: { type: 'boolean', description: 'Ask clients for a certificate.' },
  rejectUnauthorized: { type: 'boolean', description: 'Refuse clients without a verified certificate.' },
  peerCertAsUsername: { type: 'enum', enum: certificateFields, description: 'Username from the client certificate.' },
  peerCertAsClientId: { type: 'enum', enum: certificateFields, description: 'Client id from the client certificate.' },
  path: { type: 'string', description: 'WebSocket path.' },
  allowedOrigins: { type: 'strings', description: 'Origins allowed to open a WebSocket.' },
  perMessageDeflate: { type: 'boolean', description: 'WebSocket per-message deflate.' },
  trustedProxies: { type: 'strings', description: 'Proxies whose X-Forwarded-For / X-Real-IP are believed.' },
  proxyProtocol: { type: 'boolean', description: 'Expect a PROXY protocol v1/v2 header (tcp, tls).' },
} as const satisfies Record<keyof ListenerConfig, ListenerSetting>;
export type ListenerField = keyof typeof listenerFields;

/** Which listener types each key applies to; a key on another type is a mistake worth reporting. */
export const listenerFieldTypes: Partial<Record<ListenerField, readonly ListenerType[]>> = {
  certFile: ['tls', 'wss'],
  keyFile: ['tls', 'wss'],
  keyPassphrase: ['tls', 'wss'],
  caFile: ['tls', 'wss'],
  crlFile: ['tls', 'wss'],
  minTlsVersion: ['tls', 'wss'],
  ciphers: ['tls', 'wss'],
  sni: ['tls', 'wss'],
  requestCert: ['tls', 'wss'],
  rejectUnauthorized: ['tls', 'wss'],
  peerCertAsUsername: ['tls', 'wss'],
  peerCertAsClientId: ['tls', 'wss'],
  path: ['ws', 'wss'],
  allowedOrigins: ['ws', 'wss'],
  perMessageDeflate: ['ws', 'wss'],
  trustedProxies: ['ws', 'wss'],
  proxyProtocol: ['tcp', 'tls'],
};

/** Keys every listener needs, and those its type adds. */
export const requiredListenerFields = ['type', 'port'] as const satisfies readonly ListenerField[];
export const requiredListenerFieldsByType: Partial<Record<ListenerType, readonly ListenerField[]>> = {
  tls: ['certFile', 'keyFile'],
  wss: ['certFile', 'keyFile'],
};

function checkListeners(value: unknown, label: string, origin: string, style: KeyStyle): ListenerConfig[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(label, `${label}: expected a list of listeners, got ${show(value)} (${origin})`);
  }
  return value.map((item: unknown, index) => checkListener(item, `${label}[${index}]`, origin, style));
}

function checkListener(item: unknown, label: string, origin: string, style: KeyStyle): ListenerConfig {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new ConfigError(label, `${label}: expected a listener object {type, host, port}, got ${show(item)} (${origin})`);
  }
  const keyName = (field: string): string => (style === 'snake' ? snakeName(field) : field);
  const fields = new Map<string, ListenerField>((Object.keys(listenerFields) as ListenerField[]).map((field) => [keyName(field), field]));
  const listener: Record<string, unknown> = { host: '::' };
  for (const [name, fieldValue] of Object.entries(item)) {
    const field = fields.get(name);
    if (field === undefined) {
      throw new ConfigError(
        `${label}.${name}`,
        `${label}.${name}: unknown listener key ${origin}; expected one of ${[...fields.keys()].join(', ')}` +
          didYouMean(name, fields.keys()),
      );
    }
    listener[field] = checkListenerField(listenerFields[field], fieldValue, `${label}.${name}`, origin, style);
  }
  for (const required of requiredListenerFields) {
    if (listener[required] === undefined) {
      throw new ConfigError(`${label}.${required}`, `${label}.${required}: required in every listener (${origin})`);
    }
  }
  const type = listener['type'] as ListenerType;
  for (const [field, types] of Object.entries(listenerFieldTypes) as Array<[ListenerField, readonly ListenerType[]]>) {
    if (listener[field] !== undefined && !types.includes(type)) {
      throw new ConfigError(`${label}.${keyName(field)}`, `${label}.${keyName(field)}: only for ${types.join('/')} listeners, this one is ${type} (${origin})`);
    }
  }
  for (const required of requiredListenerFieldsByType[type] ?? []) {
    if (listener[required] === undefined) {
      throw new ConfigError(`${label}.${keyName(required)}`, `${label}.${keyName(required)}: required in a ${type} listener (${origin})`);
    }
  }
  return listener as unknown as ListenerConfig;
}

function checkListenerField(setting: ListenerSetting, value: unknown, label: string, origin: string, style: KeyStyle): unknown {
  if (setting.type === 'strings') {
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && entry !== '')) {
      throw new ConfigError(label, `${label}: expected a list of non-empty strings, got ${show(value)} (${origin})`);
    }
    return value;
  }
  if (setting.type === 'authentication') return checkAuthentication(value, label, origin, style);
  if (setting.type === 'sni') {
    if (!Array.isArray(value)) throw new ConfigError(label, `${label}: expected a list of {servername, cert_file, key_file}, got ${show(value)} (${origin})`);
    return value.map((entry: unknown, index) => checkSniEntry(entry, `${label}[${index}]`, origin, style));
  }
  return checkScalar(setting, value, label, origin);
}

export const sniFields = ['servername', 'certFile', 'keyFile', 'keyPassphrase'] as const;
export const requiredSniFields = ['servername', 'certFile', 'keyFile'] as const;

function checkSniEntry(entry: unknown, label: string, origin: string, style: KeyStyle): Record<string, string> {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new ConfigError(label, `${label}: expected {servername, cert_file, key_file}, got ${show(entry)} (${origin})`);
  }
  const names = new Map<string, string>(sniFields.map((field) => [style === 'snake' ? snakeName(field) : field, field]));
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry)) {
    const field = names.get(name);
    if (field === undefined) {
      throw new ConfigError(`${label}.${name}`, `${label}.${name}: unknown key ${origin}; expected one of ${[...names.keys()].join(', ')}` + didYouMean(name, names.keys()));
    }
    if (typeof value !== 'string' || value === '') throw new ConfigError(`${label}.${name}`, `${label}.${name}: expected a non-empty string, got ${show(value)} (${origin})`);
    checked[field] = value;
  }
  for (const required of requiredSniFields) {
    if (checked[required] === undefined) {
      const name = style === 'snake' ? snakeName(required) : required;
      throw new ConfigError(`${label}.${name}`, `${label}.${name}: required in every sni entry (${origin})`);
    }
  }
  return checked;
}

/** The README's configuration table: one row per key, in schema order. */
export function configReference(): string {
  const defaults = defaultConfig();
  const rows = configKeys.map((key) => {
    const setting = configSchema[key];
    const shown = setting.defaultText ?? formatDefault(defaults[key]);
    return `| \`${snakeName(key)}\` | ${formatType(setting)} | ${shown} | ${setting.description.replaceAll('|', '\\|')} |`;
  });
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}

function formatType(setting: Setting): string {
  if (setting.typeText !== undefined) return setting.typeText;
  switch (setting.type) {
    case 'integer':
      return setting.max === unbounded ? `integer ≥ ${setting.min ?? 0}` : `integer ${setting.min ?? 0}–${setting.max}`;
    case 'enum':
      return (setting.enum ?? []).map((value) => `\`${value}\``).join(' \\| ');
    case 'listeners':
      return 'list of listeners';
    case 'section':
      return 'object';
    case 'boolean':
    case 'string':
      return setting.type;
  }
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) {
    const listeners = value.map((listener: ListenerConfig) => `${listener.type} ${listener.host} ${listener.port}`);
    return listeners.length === 0 ? 'none' : `\`${listeners.join(', ')}\``;
  }
  // Shown with the snake_case keys a config file uses.
  if (typeof value === 'object' && value !== null) {
    return `\`${JSON.stringify(value, (_key, nested: unknown) => snakeKeys(nested))}\``;
  }
  return `\`${String(value)}\``;
}

function snakeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, nested]) => [snakeName(key), nested]));
}
