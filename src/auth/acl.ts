// ACL rules: parsing-free compilation of allow/deny rules into per-client matchers.
//
// A rule is {permission, action, topic, username?, client_id?}. For each client the rules that apply to
// it (no username/client_id selector, or a matching one) are compiled once, with the placeholders
// `%u` / `${username}`, `%c` / `${clientid}`, `${cert_cn}` and `${jwt.<claim>}` (a string claim of the
// client's verified JWT; dots reach into nested claims) replaced by the client's values, into split
// topic filters. Topics a JWT's ACL claim grants (jwt-acl-claim.ts) come first, as allow rules. Checks
// walk that short list in order; the first matching rule decides, and the configured default answers
// when none matches.
//
// What "matches" means per action:
// - publish: the rule's filter matches the topic name (MQTT matching, `$` topics need a literal first level);
// - subscribe (also receiving a retained message, whose topic is checked as a filter): an *allow*
//   rule matches when its filter covers the requested filter (every topic the subscription could
//   receive is allowed: `a/#` covers `a/+/b`), a *deny* rule when the two filters overlap (`deny
//   secret/#` stops a subscription to `#`), so a wide subscription cannot slip past a deny rule.
//
// A placeholder whose value is missing (no username, no certificate) or contains `+`, `#` or `/`
// makes an allow rule not apply to that client; a deny rule then applies with the wildcard
// characters kept, which can only deny more.

import type { AclAction, AclPermission, AclRuleConfig } from '../config/types.js';

export type { AclAction, AclPermission, AclRuleConfig };

/** What the placeholders of a client's rules are replaced with, and what its token grants. */
export interface AclIdentity {
  clientId: string;
  username: string | undefined;
  certCommonName: string | undefined;
  /** The verified claims of the client's JWT, for `${jwt.<claim>}`. */
  jwtClaims?: Record<string, unknown> | undefined;
  /** Topics granted by the JWT's ACL claim, checked before every rule. */
  grants?: AclGrants | undefined;
}

/** Filters a client may publish to and subscribe to, whatever the rules say. */
export interface AclGrants {
  publish: readonly string[];
  subscribe: readonly string[];
}

interface CompiledRule {
  allow: boolean;
  publish: boolean;
  subscribe: boolean;
  levels: string[];
}

const PLACEHOLDER = /%u|%c|\$\{username\}|\$\{clientid\}|\$\{cert_cn\}|\$\{jwt\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\}/g;
const JWT_PREFIX = '${jwt.';

/** Checks that a rule's topic is a usable filter; returns an error message or undefined. */
export function ruleTopicError(topic: string): string | undefined {
  if (topic === '') return 'empty topic';
  const levels = topic.split('/');
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!.replace(PLACEHOLDER, 'x');
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) return `'#' must be a whole last level in ${topic}`;
    if (level.includes('+') && level !== '+') return `'+' must be a whole level in ${topic}`;
  }
  return undefined;
}

/** An ordered rule list and the default; compiles per-client views. */
export class AclRuleSet {
  constructor(
    readonly rules: readonly AclRuleConfig[],
    readonly defaultAllow: boolean,
  ) {}

  get size(): number {
    return this.rules.length;
  }

  forClient(identity: AclIdentity): ClientAcl {
    const compiled: CompiledRule[] = [];
    for (const filter of identity.grants?.publish ?? []) compiled.push({ allow: true, publish: true, subscribe: false, levels: filter.split('/') });
    for (const filter of identity.grants?.subscribe ?? []) compiled.push({ allow: true, publish: false, subscribe: true, levels: filter.split('/') });
    for (const rule of this.rules) {
      if (rule.username !== undefined && rule.username !== identity.username) continue;
      if (rule.clientId !== undefined && rule.clientId !== identity.clientId) continue;
      const allow = rule.permission === 'allow';
      const topic = expand(rule.topic, identity, allow);
      if (topic === undefined) continue;
      compiled.push({
        allow,
        publish: rule.action !== 'subscribe',
        subscribe: rule.action !== 'publish',
        levels: topic.split('/'),
      });
    }
    return new ClientAcl(compiled, this.defaultAllow);
  }
}

/** The rules of one client, placeholders expanded. */
export class ClientAcl {
  constructor(
    private readonly rules: readonly CompiledRule[],
    private readonly defaultAllow: boolean,
  ) {}

  get ruleCount(): number {
    return this.rules.length;
  }

  mayPublish(topic: string): boolean {
    const levels = topic.split('/');
    for (const rule of this.rules) {
      if (rule.publish && topicMatches(rule.levels, levels)) return rule.allow;
    }
    return this.defaultAllow;
  }

  /** For a SUBSCRIBE filter, or a topic name the client would receive (retained messages). */
  maySubscribe(filter: string): boolean {
    const levels = filter.split('/');
    for (const rule of this.rules) {
      if (!rule.subscribe) continue;
      if (rule.allow ? covers(rule.levels, levels) : overlaps(rule.levels, levels)) return rule.allow;
    }
    return this.defaultAllow;
  }
}

function expand(topic: string, identity: AclIdentity, allow: boolean): string | undefined {
  if (!topic.includes('%') && !topic.includes('${')) return topic;
  let usable = true;
  const expanded = topic.replace(PLACEHOLDER, (placeholder) => {
    const value = placeholderValue(placeholder, identity);
    if (value === undefined || value === '' || /[+#/]/.test(value)) {
      usable = false;
      return value === undefined || value === '' ? '+' : value.replace(/\//g, '+');
    }
    return value;
  });
  if (!usable && allow) return undefined;
  return expanded;
}

function placeholderValue(placeholder: string, identity: AclIdentity): string | undefined {
  if (placeholder === '%u' || placeholder === '${username}') return identity.username;
  if (placeholder === '%c' || placeholder === '${clientid}') return identity.clientId;
  if (placeholder === '${cert_cn}') return identity.certCommonName;
  // ${jwt.a.b}: claims.a.b, strings only (a number or object does not fill a topic level)
  let value: unknown = identity.jwtClaims;
  for (const name of placeholder.slice(JWT_PREFIX.length, -1).split('.')) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

/** MQTT topic matching of a filter against a topic name [MQTT-4.7]. */
export function topicMatches(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match $-topics
  const first = filter[0];
  if ((first === '#' || first === '+') && topic[0]!.startsWith('$')) return false;
  for (let index = 0; index < filter.length; index++) {
    const level = filter[index]!;
    if (level === '#') return true;
    if (index >= topic.length) return false;
    if (level !== '+' && level !== topic[index]) return false;
  }
  return filter.length === topic.length;
}

/** Whether every topic `inner` can match is matched by `outer`. */
export function covers(outer: readonly string[], inner: readonly string[]): boolean {
  const first = outer[0];
  if ((first === '#' || first === '+') && inner[0]!.startsWith('$')) return false;
  for (let index = 0; index < outer.length; index++) {
    const level = outer[index]!;
    if (level === '#') return true;
    if (index >= inner.length) return false;
    const other = inner[index]!;
    if (level === '+') {
      if (other === '#') return false;
      continue;
    }
    if (level !== other) return false;
  }
  return outer.length === inner.length;
}

/** Whether some topic is matched by both filters. */
export function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a[index];
    const right = b[index];
    if (left === '#' || right === '#') {
      // '#' at the first level never reaches a $-topic named by the other side
      if (index === 0 && (left?.startsWith('$') || right?.startsWith('$'))) return false;
      return true;
    }
    if (left === undefined || right === undefined) return false;
    if (left === '+' || right === '+') {
      if (index === 0 && (left.startsWith('$') || right.startsWith('$'))) return false;
      continue;
    }
    if (left !== right) return false;
  }
  return true;
}
