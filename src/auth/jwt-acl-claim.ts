// The JWT ACL claim (EMQX style): a claim shaped `{"pub": [filters], "sub": [filters], "all": [filters]}`
// whose filters the client may publish to / subscribe to (all: both). The JWT authenticator checks it
// when the token is verified and hands the result to the ACL as `client.attributes.jwtAcl`; the ACL
// checks these grants before any configured rule. Grants only allow: what they do not cover falls
// through to the rules and the configured default.

import type { AclGrants } from './acl.js';
import { ruleTopicError } from './acl.js';

const KEYS = ['pub', 'sub', 'all'] as const;

/** The grants of a claim value, or an error message naming what is wrong with it. */
export function parseAclClaim(value: unknown, claim: string): AclGrants | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `the ${claim} claim must be an object {pub, sub, all}`;
  const lists: Record<(typeof KEYS)[number], string[]> = { pub: [], sub: [], all: [] };
  for (const [key, filters] of Object.entries(value)) {
    if (!(KEYS as readonly string[]).includes(key)) return `the ${claim} claim has an unknown key ${JSON.stringify(key)} (expected pub, sub, all)`;
    if (!Array.isArray(filters)) return `${claim}.${key} must be a list of topic filters`;
    for (const filter of filters) {
      const error = typeof filter === 'string' ? ruleTopicError(filter) : 'not a string';
      if (error !== undefined) return `${claim}.${key}: ${JSON.stringify(filter)}: ${error}`;
      lists[key as (typeof KEYS)[number]].push(filter as string);
    }
  }
  return { publish: [...lists.pub, ...lists.all], subscribe: [...lists.sub, ...lists.all] };
}

/** The grants the JWT authenticator stored on a client, if any. */
export function grantsOf(attributes: Record<string, unknown> | undefined): AclGrants | undefined {
  const grants = attributes?.['jwtAcl'] as AclGrants | undefined;
  return grants !== undefined && Array.isArray(grants.publish) && Array.isArray(grants.subscribe) ? grants : undefined;
}
