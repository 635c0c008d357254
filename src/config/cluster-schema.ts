// The `cluster` section: the NATS servers this node joins and how it uses them. Spelled snake_case in
// files and camelCase in library options like the other sections; missing fields come from the defaults.
// Without the section Starling runs alone.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { checkScalarField, type ScalarField } from './scalar-field.js';
import type { ClusterConfig } from './types.js';

type SectionStyle = 'snake' | 'camel';

export interface ClusterField extends Omit<ScalarField, 'type'> {
  readonly type: ScalarField['type'] | 'urls' | 'tls';
  readonly optional?: boolean;
  readonly description: string;
}

/** Node names, prefixes: NATS subject tokens and KV keys both take them as they are. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const clusterFields: Record<keyof ClusterConfig, ClusterField> = {
  nats: { type: 'urls', description: 'NATS server URLs (`nats://host:port`, `tls://host:port`); this node tries them in order.' },
  node: { type: 'string', optional: true, description: 'This node\'s name in the cluster (letters, digits, `-`, `_`; unique). Default: `node_name` with other characters replaced by `-`.' },
  replicas: { type: 'integer', min: 1, max: 5, description: 'JetStream replicas of every stream and bucket (3 for a 3-server cluster; 1 against a single server).' },
  prefix: { type: 'string', description: 'Prefix of every subject, stream and bucket, so several Starling clusters can share one NATS.' },
  user: { type: 'string', optional: true, description: 'NATS username.' },
  password: { type: 'string', optional: true, description: 'NATS password.' },
  token: { type: 'string', optional: true, description: 'NATS authentication token.' },
  credsFile: { type: 'string', optional: true, description: 'NATS credentials file (JWT + NKey seed).' },
  tls: { type: 'tls', optional: true, description: 'TLS to NATS: `{ca_file, cert_file, key_file}` (all optional; an empty object uses the system CAs).' },
  heartbeatMs: { type: 'integer', min: 100, max: 60_000, description: 'How often this node renews its liveness record.' },
  nodeTtlMs: { type: 'integer', min: 1000, max: 600_000, description: 'A node whose liveness record is older is dead: its wills are published and its sessions adopted.' },
  messageRetention: { type: 'integer', min: 60, max: 31_536_000 * 10, description: 'Seconds QoS 1/2 messages stay in the message stream (what a session can be resumed from).' },
  publishTimeoutMs: { type: 'integer', min: 100, max: 600_000, description: 'How long a QoS 1/2 publish waits for JetStream (retrying) before its connection is closed without an acknowledgement.' },
  connectRetryMs: { type: 'integer', min: 100, max: 60_000, description: 'Pause between attempts to reach NATS at start (each failure is logged).' },
  syncSubscribe: { type: 'boolean', description: 'Hold SUBACK until every other node has read the new route (the route table), so a publish anywhere right after SUBACK reaches it.' },
};

export function defaultClusterConfig(nodeName: string): Omit<ClusterConfig, 'nats'> {
  return {
    node: nodeName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64),
    replicas: 3,
    prefix: 'st',
    heartbeatMs: 1000,
    nodeTtlMs: 5000,
    messageRetention: 7 * 86_400,
    publishTimeoutMs: 30_000,
    connectRetryMs: 2000,
    syncSubscribe: true,
  };
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Checks the `cluster` section; `undefined`/`null` means no cluster. Defaults are applied later (they need node_name). */
export function checkCluster(value: unknown, label: string, origin: string, style: SectionStyle): Partial<ClusterConfig> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(label, `${label}: expected an object with at least \`nats\`, got ${show(value)} (${origin})`);
  const names = new Map(Object.keys(clusterFields).map((field) => [style === 'snake' ? snake(field) : field, field as keyof ClusterConfig]));
  const checked: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = names.get(name);
    const fieldLabel = `${label}.${name}`;
    if (field === undefined) {
      throw new ConfigError(fieldLabel, `${fieldLabel}: unknown key (${origin}); expected one of ${[...names.keys()].join(', ')}${didYouMean(name, names.keys())}`);
    }
    if (fieldValue === undefined) continue;
    checked[field] = checkField(clusterFields[field], fieldValue, fieldLabel, origin, style);
  }
  const natsLabel = `${label}.nats`;
  if (checked['nats'] === undefined) throw new ConfigError(natsLabel, `${natsLabel}: required: the NATS server URLs this node joins (${origin})`);
  for (const key of ['node', 'prefix'] as const) {
    const text = checked[key];
    if (text !== undefined && !NAME_PATTERN.test(text as string)) {
      throw new ConfigError(`${label}.${key}`, `${label}.${key}: expected 1 to 64 letters, digits, '-' or '_', got ${show(text)} (${origin})`);
    }
  }
  return checked as Partial<ClusterConfig>;
}

function checkField(field: ClusterField, value: unknown, label: string, origin: string, style: SectionStyle): unknown {
  if (field.type === 'urls') {
    const list = typeof value === 'string' ? value.split(',').map((url) => url.trim()) : value;
    if (!Array.isArray(list) || list.length === 0 || list.some((url) => typeof url !== 'string' || !/^(nats|tls|wss?):\/\/[^\s]+$/.test(url))) {
      throw new ConfigError(label, `${label}: expected a non-empty list of nats://host:port URLs, got ${show(value)} (${origin})`);
    }
    return list;
  }
  if (field.type === 'tls') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(label, `${label}: expected an object {ca_file, cert_file, key_file}, got ${show(value)} (${origin})`);
    const out: Record<string, string> = {};
    for (const [name, file] of Object.entries(value)) {
      const key = style === 'snake' ? ({ ca_file: 'caFile', cert_file: 'certFile', key_file: 'keyFile' } as Record<string, string>)[name] : ['caFile', 'certFile', 'keyFile'].includes(name) ? name : undefined;
      if (key === undefined) throw new ConfigError(`${label}.${name}`, `${label}.${name}: unknown key (${origin}); expected one of ${style === 'snake' ? 'ca_file, cert_file, key_file' : 'caFile, certFile, keyFile'}`);
      if (typeof file !== 'string' || file === '') throw new ConfigError(`${label}.${name}`, `${label}.${name}: expected a file name, got ${show(file)} (${origin})`);
      out[key] = file;
    }
    return out;
  }
  return checkScalarField(field as ScalarField, value, label, origin);
}

/** The section completed from the defaults (which need the node name). */
export function resolveCluster(partial: Partial<ClusterConfig>, nodeName: string): ClusterConfig {
  return { ...defaultClusterConfig(nodeName), ...partial } as ClusterConfig;
}
