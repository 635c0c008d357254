// Checks the `management` section (HTTP API, dashboard, Prometheus): `false`, or an object whose
// missing fields come from the defaults, with a list of HTTP(S) listeners. Keys are snake_case in
// files and camelCase in library options, as in the other sections.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { checkScalarField, type ScalarField } from './scalar-field.js';
import type { KeyStyle } from './schema.js';
import type { ManagementConfig, ManagementListenerConfig } from './types.js';

export interface ManagementField extends ScalarField {
  readonly description: string;
}

export const managementFields = {
  allowInsecureHttp: { type: 'boolean', description: 'Let a listener without TLS bind a non-loopback address (logged as a warning).' },
  bootstrapAdmin: { type: 'boolean', description: 'With no administrator in the store, create `admin` with a random password printed once to the log.' },
  tokenTtl: { type: 'integer', min: 60, max: 30 * 86_400, description: 'Lifetime of a login token, in seconds.' },
  metricsAuth: { type: 'boolean', description: 'Require credentials for `/metrics` and `/api/v5/prometheus/stats` (Prometheus then uses basic auth with an API key).' },
} as const satisfies Record<Exclude<keyof ManagementConfig, 'listeners'>, ManagementField>;

export const managementListenerFields = {
  host: { type: 'string', description: 'Address to bind.' },
  port: { type: 'integer', min: 0, max: 65_535, description: 'Port to bind; 0 picks a free one.' },
  certFile: { type: 'string', description: 'PEM certificate chain: with key_file, the listener serves HTTPS.' },
  keyFile: { type: 'string', description: 'PEM private key.' },
  keyPassphrase: { type: 'string', description: 'Passphrase of an encrypted key.' },
  caFile: { type: 'string', description: 'PEM CA bundle: clients must present a certificate it verifies (mutual TLS).' },
  minTlsVersion: { type: 'enum', enum: ['TLSv1.2', 'TLSv1.3'], description: 'Lowest TLS version accepted.' },
  ciphers: { type: 'string', description: 'OpenSSL cipher list.' },
} as const satisfies Record<keyof ManagementListenerConfig, ManagementField>;

export const managementDefaults: Omit<ManagementConfig, 'listeners'> = {
  allowInsecureHttp: false,
  bootstrapAdmin: false,
  tokenTtl: 3600,
  metricsAuth: false,
};

/** The management plane `starling start` runs when the config says nothing: loopback only. */
export const defaultManagementListener: ManagementListenerConfig = { host: '127.0.0.1', port: 18083 };

export function defaultManagementConfig(): ManagementConfig {
  return { listeners: [{ ...defaultManagementListener }], ...managementDefaults };
}

export function checkManagement(value: unknown, label: string, origin: string, style: KeyStyle): ManagementConfig | false {
  if (value === false || value === 'false') return false;
  const key = (field: string): string => (style === 'snake' ? field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`) : field);
  const fields = checkObject(value, label, origin, key, { ...managementFields, listeners: undefined }, (name, fieldValue, fieldLabel) =>
    name === 'listeners' ? checkListeners(fieldValue, fieldLabel, origin, key) : checkScalarField(managementFields[name as keyof typeof managementFields], fieldValue, fieldLabel, origin),
  );
  return { listeners: [{ ...defaultManagementListener }], ...managementDefaults, ...fields } as ManagementConfig;
}

function checkListeners(value: unknown, label: string, origin: string, key: (field: string) => string): ManagementListenerConfig[] {
  if (!Array.isArray(value)) throw new ConfigError(label, `${label}: expected a list of listeners {host, port, cert_file?, key_file?}, got ${show(value)} (${origin})`);
  return value.map((item: unknown, index) => {
    const itemLabel = `${label}[${index}]`;
    const listener = checkObject(item, itemLabel, origin, key, managementListenerFields, (name, fieldValue, fieldLabel) =>
      checkScalarField(managementListenerFields[name as keyof ManagementListenerConfig], fieldValue, fieldLabel, origin),
    );
    if (listener['port'] === undefined) throw new ConfigError(`${itemLabel}.port`, `${itemLabel}.port: required in every management listener (${origin})`);
    if ((listener['certFile'] === undefined) !== (listener['keyFile'] === undefined)) {
      const missing = listener['certFile'] === undefined ? 'certFile' : 'keyFile';
      throw new ConfigError(`${itemLabel}.${key(missing)}`, `${itemLabel}.${key(missing)}: cert_file and key_file go together (HTTPS) (${origin})`);
    }
    return { host: defaultManagementListener.host, ...listener } as unknown as ManagementListenerConfig;
  });
}

function checkObject(
  value: unknown,
  label: string,
  origin: string,
  key: (field: string) => string,
  fields: Record<string, unknown>,
  checkField: (name: string, value: unknown, label: string) => unknown,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(label, `${label}: expected an object, or false to turn it off, got ${show(value)} (${origin})`);
  }
  const names = new Map(Object.keys(fields).map((field) => [key(field), field]));
  const checked: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = names.get(name);
    if (field === undefined) {
      throw new ConfigError(`${label}.${name}`, `${label}.${name}: unknown key (${origin}); expected one of ${[...names.keys()].join(', ')}${didYouMean(name, names.keys())}`);
    }
    if (fieldValue !== undefined) checked[field] = checkField(field, fieldValue, `${label}.${name}`);
  }
  return checked;
}
