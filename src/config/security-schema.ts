// Checks for the structured authorization and abuse-protection settings (acl, bans, lockout,
// rate_limits, flapping): each section is an object whose fields are spelled snake_case in files and
// camelCase in library options; a partial section is completed from the defaults.

import { ConfigError, didYouMean, showValue as show } from './config-error.js';
import { checkScalarField, type ScalarField } from './scalar-field.js';
import type { AclRuleConfig, BanConfig } from './types.js';

export type SectionStyle = 'snake' | 'camel';

export interface SectionField {
  readonly type: 'integer' | 'boolean' | 'string' | 'enum' | 'rules' | 'bans';
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly string[];
  readonly emptyAllowed?: boolean;
  /** May be omitted (not filled from the defaults). */
  readonly optional?: boolean;
  readonly description: string;
}
type Field = SectionField;

const seconds = { type: 'integer', min: 1, max: 31_536_000 } as const;
const perSecond = { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER } as const;

export type SectionName = 'acl' | 'lockout' | 'rateLimits' | 'flapping';

export const sections: Record<SectionName, Record<string, Field>> = {
  acl: {
    file: { type: 'string', emptyAllowed: true, description: 'YAML or JSON rules file, reloaded when it changes and on SIGHUP; empty for none.' },
    default: { type: 'enum', enum: ['allow', 'deny'], description: 'The answer when no rule matches.' },
    rules: { type: 'rules', description: 'Rules, first match wins (after the store\'s rules and the file\'s).' },
    disconnectOnDeny: { type: 'boolean', description: 'Disconnect a client whose PUBLISH is denied (MQTT 5: DISCONNECT 0x87).' },
    cacheSize: { type: 'integer', min: 1, max: 1_000_000, description: 'Decisions cached per client; the cache is cleared when full.' },
  },
  lockout: {
    maxFailures: { type: 'integer', min: 0, max: 1_000_000, description: 'Failed authentications within `window` that lock an address or username out; 0 disables.' },
    window: { ...seconds, description: 'Seconds the failures are counted over.' },
    duration: { ...seconds, description: 'Seconds the lock lasts.' },
  },
  rateLimits: {
    connectionsPerSecond: { ...perSecond, description: 'New connections per second per listener; 0 is unlimited.' },
    connectionsPerAddressPerSecond: { ...perSecond, description: 'New connections per second per client address; 0 is unlimited.' },
    messagesPerSecond: { ...perSecond, description: 'PUBLISH packets per second per client; 0 is unlimited.' },
    bytesPerSecond: { ...perSecond, description: 'PUBLISH payload bytes per second per client; 0 is unlimited.' },
    policy: { type: 'enum', enum: ['drop', 'slow', 'disconnect'], description: 'What happens to a client over its message or byte rate.' },
  },
  flapping: {
    maxCount: { type: 'integer', min: 0, max: 1_000_000, description: 'Disconnections of one client id within `window` that get it banned; 0 disables.' },
    window: { ...seconds, description: 'Seconds the disconnections are counted over.' },
    duration: { ...seconds, description: 'Seconds the ban lasts.' },
  },
};

export const ruleFields: Record<string, Field> = {
  permission: { type: 'enum', enum: ['allow', 'deny'], description: 'Allow or deny what matches.' },
  action: { type: 'enum', enum: ['publish', 'subscribe', 'all'], description: '`subscribe` also covers receiving retained messages.' },
  topic: { type: 'string', description: 'Topic filter; `%u`, `%c`, `${cert_cn}` and `${jwt.<claim>}` are replaced per client.' },
  username: { type: 'string', optional: true, description: 'Only for this username.' },
  clientId: { type: 'string', optional: true, description: 'Only for this client id.' },
};
export const requiredRuleFields = ['permission', 'action', 'topic'] as const;

export const banFields: Record<string, Field> = {
  clientId: { type: 'string', optional: true, description: 'The banned client id.' },
  username: { type: 'string', optional: true, description: 'The banned username.' },
  address: { type: 'string', optional: true, description: 'The banned address: an IP or a CIDR range.' },
  until: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, optional: true, description: 'End of the ban in milliseconds since the epoch; absent means never.' },
  reason: { type: 'string', optional: true, description: 'Logged when the ban refuses a client.' },
};
/** A ban names exactly one of these. */
export const banSubjects = ['clientId', 'username', 'address'] as const;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Checks one section (`acl`, `lockout`, `rate_limits`, `flapping`) and fills missing fields from `defaults`. */
export function checkSection(section: SectionName, value: unknown, defaults: object, label: string, origin: string, style: SectionStyle): unknown {
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
      for (const required of requiredRuleFields) {
        if (checked[required] === undefined) throw new ConfigError(`${itemLabel}.${required}`, `${itemLabel}.${required}: required in every rule (${origin})`);
      }
    } else {
      const subjects = banSubjects.filter((name) => checked[name] !== undefined);
      if (subjects.length !== 1) {
        const names = banSubjects.map((name) => (style === 'snake' ? snake(name) : name)).join(', ');
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

