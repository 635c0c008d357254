// The scalar field checks that the authenticator and security sections share: integers in a range,
// booleans, enums and strings, each failing with the key, what was expected and what was given.

import { ConfigError, showValue } from './config-error.js';

export interface ScalarField {
  readonly type: 'integer' | 'boolean' | 'string' | 'enum';
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  /** For strings: '' is accepted (e.g. acl.file, meaning no file). */
  readonly emptyAllowed?: boolean;
}

export function failField(label: string, origin: string, expected: string, value: unknown): never {
  throw new ConfigError(label, `${label}: expected ${expected}, got ${showValue(value)} (${origin})`);
}

export function checkScalarField(field: ScalarField, value: unknown, label: string, origin: string): unknown {
  const fail = (expected: string): never => failField(label, origin, expected, value);
  switch (field.type) {
    case 'integer': {
      const min = field.min ?? 0;
      const max = field.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(`an integer from ${min} to ${max}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('true or false');
      return value;
    case 'string':
      if (field.emptyAllowed === true ? typeof value !== 'string' : typeof value !== 'string' || value === '') {
        fail(field.emptyAllowed === true ? 'a string' : 'a non-empty string');
      }
      return value;
    case 'enum':
      if (typeof value !== 'string' || !(field.enum ?? []).includes(value)) fail(`one of ${(field.enum ?? []).join(', ')}`);
      return value;
  }
}
