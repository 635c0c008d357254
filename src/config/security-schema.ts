// Checks for the structured authorization and abuse-protection settings (acl, bans, lockout,
// rate_limits, flapping): each section is an object whose fields are spelled snake_case in files and
// camelCase in library options; a partial section is completed from the defaults.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { checkScalarField, type ScalarField } from './scalar-field.js';
import type { AclRuleConfig, BanConfig } from './types.js';

export type SectionStyle = 'snake' | 'camel';

interface Field {
  readonly type: 'integer' | 'boolean' | 'string' | 'enum' | 'rules' | 'bans';
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly emptyAllowed?: boolean;
  /** May be omitted (not filled from the defaults). */
  readonly optional?: boolean;
}

const seconds = { type: 'integer', min: 1, max: 31_536_000 } as const;
const perSecond = { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER } as const;

const sections: Record<string, Record<string, Field>> = {
  acl: {
    file: { type: 'string', emptyAllowed: true }, // '' (the default): no rules file
    default: { type: 'enum', enum: ['allow', 'deny'] },
    rules: { type: 'rules' },
    disconnectOnDeny: { type: 'boolean' },
    cacheSize: { type: 'integer', min: 1, max: 1_000_000 },
  },
  lockout: { maxFailures: { type: 'integer', min: 0, max: 1_000_000 }, window: seconds, duration: seconds },
  rateLimits: {
    connectionsPerSecond: perSecond,
    connectionsPerAddressPerSecond: perSecond,
    messagesPerSecond: perSecond,
    bytesPerSecond: perSecond,
    policy: { type: 'enum', enum: ['drop', 'slow', 'disconnect'] },
  },
  flapping: { maxCount: { type: 'integer', min: 0, max: 1_000_000 }, window: seconds, duration: seconds },
};

const ruleFields: Record<string, Field> = {
  permission: { type: 'enum', enum: ['allow', 'deny'] },
  action: { type: 'enum', enum: ['publish', 'subscribe', 'all'] },
  topic: { type: 'string' },
  username: { type: 'string', optional: true },
  clientId: { type: 'string', optional: true },
};

const banFields: Record<string, Field> = {
  clientId: { type: 'string', optional: true },
  username: { type: 'string', optional: true },
  address: { type: 'string', optional: true },
  until: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, optional: true },
  reason: { type: 'string', optional: true },
};

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Checks one section (`acl`, `lockout`, `rate_limits`, `flapping`) and fills missing fields from `defaults`. */
export function checkSection(section: string, value: unknown, defaults: object, label: string, origin: string, style: SectionStyle): unknown {
  const fields = sections[section];
  if (fields === undefined) throw new Error(`no section ${section}`);
  return { ...defaults, ...checkObject(fields, value, label, origin, style) };
}

/** Checks the `bans` list. */
export function checkBans(value: unknown, label: string, origin: string, style: SectionStyle): BanConfig[] {
  return checkList(value, label, origin, style, banFields, 'ban') as unknown as BanConfig[];
}

/** Checks a list of ACL rules (also used for the rules file). */
export function checkAclRules(value: unknown, label: string, origin: string, style: SectionStyle): AclRuleConfig[] {
  return checkList(value, label, origin, style, ruleFields, 'rule') as unknown as AclRuleConfig[];
}

function checkList(value: unknown, label: string, origin: string, style: SectionStyle, fields: Record<string, Field>, what: 'rule' | 'ban'): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) throw new ConfigError(label, `${label}: expected a list of ${what}s, got ${show(value)} (${origin})`);
  return value.map((item: unknown, index) => {
    const itemLabel = `${label}[${index}]`;
    const checked = checkObject(fields, item, itemLabel, origin, style);
    if (what === 'rule') {
      for (const required of ['permission', 'action', 'topic']) {
        if (checked[required] === undefined) throw new ConfigError(`${itemLabel}.${required}`, `${itemLabel}.${required}: required in every rule (${origin})`);
      }
    } else {
      const subjects = ['clientId', 'username', 'address'].filter((name) => checked[name] !== undefined);
      if (subjects.length !== 1) {
        const names = ['clientId', 'username', 'address'].map((name) => (style === 'snake' ? snake(name) : name)).join(', ');
        throw new ConfigError(itemLabel, `${itemLabel}: expected exactly one of ${names} (${origin})`);
      }
    }
    return checked;
  });
}

function checkObject(fields: Record<string, Field>, value: unknown, label: string, origin: string, style: SectionStyle): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(label, `${label}: expected an object, got ${show(value)} (${origin})`);
  }
  const names = new Map(Object.keys(fields).map((field) => [style === 'snake' ? snake(field) : field, field]));
  const checked: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const field = names.get(name);
    if (field === undefined) {
      throw new ConfigError(
        `${label}.${name}`,
        `${label}.${name}: unknown key (${origin}); expected one of ${[...names.keys()].join(', ')}${didYouMean(name, names.keys())}`,
      );
    }
    if (fieldValue === undefined) continue;
    checked[field] = checkField(fields[field]!, fieldValue, `${label}.${name}`, origin, style);
  }
  return checked;
}

function checkField(field: Field, value: unknown, label: string, origin: string, style: SectionStyle): unknown {
  switch (field.type) {
    case 'rules':
      return checkAclRules(value, label, origin, style);
    case 'bans':
      return checkBans(value, label, origin, style);
    default:
      return checkScalarField(field as ScalarField, value, label, origin);
  }
}

