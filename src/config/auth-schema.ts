// Checks the `authentication` list (global and per listener): each entry names its authenticator
// `type` and that type's options, spelled snake_case in files and camelCase in library options.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { checkScalarField, failField, type ScalarField } from './scalar-field.js';
import type { AuthenticatorConfig, AuthenticatorType } from './types.js';

export type AuthenticatorFieldType = 'string' | 'integer' | 'boolean' | 'strings' | 'headers' | 'enum';
export interface AuthenticatorField {
  readonly type: AuthenticatorFieldType;
  readonly enum?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
}
type Field = AuthenticatorField;

const milliseconds = { type: 'integer', min: 1, max: 600_000 } as const;
const seconds = { type: 'integer', min: 0, max: 86_400 } as const;

export const fieldsByType: Record<AuthenticatorType, Record<string, Field>> = {
  builtin: {},
  passwordFile: { file: { type: 'string', description: '`username:hash` lines written by `starling passwd`; re-read when it changes.' } },
  jwt: {
    secret: { type: 'string', description: 'HMAC secret (HS256/384/512).' },
    publicKeyFile: { type: 'string', description: 'PEM public key (RS*, PS*, ES*, EdDSA).' },
    jwksUrl: { type: 'string', description: 'JWKS URL the keys are fetched from.' },
    jwksCacheSeconds: { ...seconds, description: 'Seconds a fetched JWKS is used before it is fetched again.' },
    algorithms: { type: 'strings', description: 'Accepted `alg` values; default any the key type allows.' },
    from: { type: 'enum', enum: ['password', 'username'], description: 'Which CONNECT field carries the token.' },
    issuer: { type: 'string', description: 'Required `iss`.' },
    audience: { type: 'string', description: 'Required `aud`.' },
    superuserClaim: { type: 'string', description: 'Claim that makes the client a superuser when true.' },
    usernameClaim: { type: 'string', description: 'Claim that must equal the CONNECT username (from: password), or becomes it (from: username).' },
    aclClaim: { type: 'string', description: 'Claim `{pub, sub, all}` of topic filters granted to the client.' },
  },
  http: {
    url: { type: 'string', description: 'URL the credentials are POSTed to.' },
    timeoutMs: { ...milliseconds, description: 'Milliseconds to wait for an answer; none in time denies.' },
    cacheSeconds: { ...seconds, description: 'Seconds an answer is reused for the same credentials; 0 disables.' },
    headers: { type: 'headers', description: 'Extra request headers.' },
  },
  certificate: {
    identity: { type: 'enum', enum: ['cn', 'subject'], description: 'The identity taken from the verified client certificate.' },
    matchUsername: { type: 'boolean', description: 'Deny when the CONNECT username is present and differs from the identity.' },
  },
};

export const requiredAuthenticatorFields: Partial<Record<AuthenticatorType, readonly string[]>> = { passwordFile: ['file'], http: ['url'] };
/** A jwt authenticator takes its key from exactly one of these. */
export const jwtKeySources = ['secret', 'publicKeyFile', 'jwksUrl'] as const;

/** File spelling of a type: `passwordFile` is `password_file`. */
export const authenticatorTypeNames: Readonly<Record<string, AuthenticatorType>> = {
  builtin: 'builtin',
  password_file: 'passwordFile',
  passwordFile: 'passwordFile',
  jwt: 'jwt',
  http: 'http',
  certificate: 'certificate',
};

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Checks an `authentication` list. */
export function checkAuthentication(value: unknown, label: string, origin: string, style: 'snake' | 'camel'): AuthenticatorConfig[] {
  if (!Array.isArray(value)) {
    throw new ConfigError(label, `${label}: expected a list of authenticators like [{type: builtin}], got ${show(value)} (${origin})`);
  }
  return value.map((item: unknown, index) => checkAuthenticator(item, `${label}[${index}]`, origin, style));
}

function checkAuthenticator(item: unknown, label: string, origin: string, style: 'snake' | 'camel'): AuthenticatorConfig {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new ConfigError(label, `${label}: expected an authenticator object {type, ...}, got ${show(item)} (${origin})`);
  }
  const record = item as Record<string, unknown>;
  const type = typeof record['type'] === 'string' ? authenticatorTypeNames[record['type']] : undefined;
  if (type === undefined) {
    const names = ['builtin', 'password_file', 'jwt', 'http', 'certificate'];
    throw new ConfigError(`${label}.type`, `${label}.type: expected one of ${names.join(', ')}, got ${show(record['type'])} (${origin})${didYouMean(String(record['type']), names)}`);
  }
  const fields = fieldsByType[type];
  const names = new Map(Object.keys(fields).map((field) => [style === 'snake' ? snake(field) : field, field]));
  const checked: Record<string, unknown> = { type };
  for (const [name, fieldValue] of Object.entries(record)) {
    if (name === 'type' || fieldValue === undefined) continue;
    const field = names.get(name);
    if (field === undefined) {
      const expected = names.size === 0 ? 'no other keys' : `one of ${[...names.keys()].join(', ')}`;
      throw new ConfigError(`${label}.${name}`, `${label}.${name}: unknown key for a ${String(record['type'])} authenticator (${origin}); expected ${expected}${didYouMean(name, names.keys())}`);
    }
    checked[field] = checkField(fields[field]!, fieldValue, `${label}.${name}`, origin);
  }
  for (const field of requiredAuthenticatorFields[type] ?? []) {
    if (checked[field] === undefined) {
      const name = style === 'snake' ? snake(field) : field;
      throw new ConfigError(`${label}.${name}`, `${label}.${name}: required in a ${String(record['type'])} authenticator (${origin})`);
    }
  }
  if (type === 'jwt') {
    const keys = jwtKeySources.filter((field) => checked[field] !== undefined);
    if (keys.length !== 1) {
      const spelled = jwtKeySources.map((field) => (style === 'snake' ? snake(field) : field)).join(', ');
      throw new ConfigError(label, `${label}: a jwt authenticator needs exactly one of ${spelled} (${origin})`);
    }
  }
  return checked as unknown as AuthenticatorConfig;
}

function checkField(field: Field, value: unknown, label: string, origin: string): unknown {
  switch (field.type) {
    case 'strings':
      if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && entry !== '')) failField(label, origin, 'a list of non-empty strings', value);
      return value;
    case 'headers':
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((entry) => typeof entry === 'string')) {
        failField(label, origin, 'an object of header names to strings', value);
      }
      return value;
    default:
      return checkScalarField(field as ScalarField, value, label, origin);
  }
}
