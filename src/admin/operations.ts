// The admin operations on built-in users, administrators, store ACL rules and store bans: the one implementation
// that both the broker's admin endpoint (a running broker) and `starling ctl` on a stopped broker's
// data directory run. Each checks its input and throws AdminError (with an HTTP status) when the
// request cannot be done; `effects` lets a running broker apply a change at once.
//
// Store rules are keyed `rule:<12-digit id>`, so key order is rule order: `add` appends after the
// last stored rule, `position: 'first'` goes before the first. Every rule or ban change bumps the
// kind's generation record, which a running broker also polls (changes made without the endpoint).

import { ruleTopicError } from '../auth/acl.js';
import { BAN_KINDS, banError, banKey, type Ban, type BanKind } from '../auth/bans.js';
import { bumpGeneration, listEntries, readGeneration, type RecordStore } from '../auth/records.js';
import { UserError, type UserDatabase, type UserOptions, type UserSummary } from '../auth/users.js';
import type { PasswordHashAlgorithm } from '../auth/password-hash.js';
import type { AclAction, AclPermission, AclRuleConfig } from '../config/types.js';
import { AdminAccountError, type AdminDatabase, type AdminRole, type AdminSummary } from './admins.js';

const RULE_PREFIX = 'rule:';
const ID_DIGITS = 12;
/** Ids are spaced so that `position: 'first'` can go before the first rule many times. */
const ID_STEP = 1000;
const FIRST_ID = 10 ** (ID_DIGITS - 1);

export const ACL_PERMISSIONS: readonly AclPermission[] = ['allow', 'deny'];
export const ACL_ACTIONS: readonly AclAction[] = ['publish', 'subscribe', 'all'];

export type AdminErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 429 | 503;

/** EMQX's error code for each status, used when a refusal names none of its own. */
const CODE_BY_STATUS: Readonly<Record<AdminErrorStatus, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'NOT_MATCH',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * A refused admin request: 400 bad input, 404 unknown user/rule/ban, 409 already exists or not
 * possible now, 412 a tested rule's SQL did not match its sample input. `code` is the machine-readable reason the HTTP API answers with (`{code, message}`).
 */
export class AdminError extends Error {
  readonly code: string;

  constructor(
    readonly status: AdminErrorStatus,
    message: string,
    code?: string,
  ) {
    super(message);
    this.name = 'AdminError';
    this.code = code ?? CODE_BY_STATUS[status];
  }
}

/** What a running broker does right after a change (nothing for `starling ctl` on a data directory). */
export interface AdminEffects {
  /** Asks whoever runs the broker to close it; false when nobody listens for that (an embedded broker). */
  stop(): boolean;
  aclChanged(): void;
  banAdded(ban: Ban): void;
  banRemoved(): void;
}

export interface AdminContext {
  users: UserDatabase;
  admins: AdminDatabase;
  records: RecordStore;
  /**
   * Resolves once the writes made so far are committed, so that reads (the broker's refresh, the
   * next CONNECT) see them; `visible` tells when they do. Absent: nothing to wait for.
   */
  committed?: (visible: () => boolean) => Promise<void>;
  effects?: AdminEffects;
  /** Recorded in bans as `by`. */
  actor: string;
}

export interface NewUser {
  username: string;
  password: string;
  superuser?: boolean;
  clientId?: string;
  /** Accept a password shorter than the minimum. */
  force?: boolean;
  /** The hash for this password (default: the broker's password_hash). */
  hash?: PasswordHashAlgorithm;
}

export interface RuleEntry extends AclRuleConfig {
  /** 12 digits; the order of store rules. */
  id: string;
}

export interface NewRule extends AclRuleConfig {
  /** 'last' (default) appends after the stored rules, 'first' inserts before them. */
  position?: 'first' | 'last';
}

export interface NewBan {
  kind: BanKind;
  value: string;
  /** Seconds from now; absent (and no `until`): permanent. */
  duration?: number;
  /** End of the ban, milliseconds since the epoch (instead of `duration`). */
  until?: number;
  reason?: string;
}

// --- the broker itself ------------------------------------------------------------------------

export function requestStop(context: AdminContext): { stopping: true } {
  if (context.effects === undefined) throw new AdminError(409, 'no broker is running on this data directory');
  if (!context.effects.stop()) throw new AdminError(409, 'this broker is embedded in another program, which decides when it stops');
  return { stopping: true };
}

// --- administrators --------------------------------------------------------------------------
// Refusals carry EMQX's codes (username_already_exists, username_not_found) or its messages.

export function listAdmins(context: AdminContext): AdminSummary[] {
  return context.admins.list();
}

export async function addAdmin(context: AdminContext, admin: { username: string; password: string; description?: string; role?: AdminRole }): Promise<AdminSummary> {
  const added = await adminOperation(() => context.admins.add(admin.username, admin.password, admin.description, admin.role));
  await context.committed?.(() => context.admins.get(admin.username) !== undefined);
  return added;
}

export async function setAdminPassword(context: AdminContext, username: string, password: string): Promise<{ username: string }> {
  const before = context.admins.get(username)?.passwordHash;
  await adminOperation(() => context.admins.setPassword(username, password));
  await context.committed?.(() => context.admins.get(username)?.passwordHash !== before);
  return { username };
}

export async function updateAdmin(context: AdminContext, username: string, change: { description?: string; role?: AdminRole }): Promise<AdminSummary> {
  return adminOperation(() => context.admins.update(username, change));
}

export async function deleteAdmin(context: AdminContext, username: string): Promise<{ username: string }> {
  await adminOperation(() => context.admins.delete(username));
  await context.committed?.(() => context.admins.get(username) === undefined);
  return { username };
}

async function adminOperation<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof AdminAccountError)) throw error;
    // EMQX's answers: 404 USER_NOT_FOUND, and 400 BAD_REQUEST for everything else (an existing name too).
    if (error.code === 'username_not_found') throw new AdminError(404, error.message, 'USER_NOT_FOUND');
    throw new AdminError(400, error.message, 'BAD_REQUEST');
  }
}

// --- users -----------------------------------------------------------------------------------

export function listUsers(context: AdminContext): UserSummary[] {
  return context.users.list();
}

export async function addUser(context: AdminContext, user: NewUser): Promise<UserSummary> {
  const options: UserOptions & { superuser: boolean } = { superuser: user.superuser ?? false, force: user.force ?? false };
  if (user.clientId !== undefined) options.clientId = user.clientId;
  if (user.hash !== undefined) options.hash = user.hash;
  await userOperation(() => context.users.add(user.username, user.password, options));
  await context.committed?.(() => context.users.get(user.username) !== undefined);
  const summary: UserSummary = { username: user.username, superuser: options.superuser };
  if (user.clientId !== undefined) summary.clientId = user.clientId;
  return summary;
}

export async function setUserPassword(context: AdminContext, username: string, password: string, options: Pick<UserOptions, 'force' | 'hash'> = {}): Promise<{ username: string }> {
  const before = context.users.get(username)?.passwordHash;
  await userOperation(() => context.users.setPassword(username, password, options));
  await context.committed?.(() => context.users.get(username)?.passwordHash !== before);
  return { username };
}

/** Changes the superuser flag or the client id binding (null removes it). */
export async function updateUser(context: AdminContext, username: string, changes: { superuser?: boolean; clientId?: string | null }): Promise<UserSummary> {
  await userOperation(() => context.users.update(username, changes));
  const user = context.users.get(username)!;
  await context.committed?.(() => context.users.get(username) !== undefined);
  return { username, superuser: user.superuser, ...(user.clientId === undefined ? {} : { clientId: user.clientId }) };
}

/** Connections the user already has stay up: the user database is read at CONNECT only. */
export async function deleteUser(context: AdminContext, username: string): Promise<{ username: string }> {
  await userOperation(() => context.users.delete(username));
  await context.committed?.(() => context.users.get(username) === undefined);
  return { username };
}

async function userOperation(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const status = error.code === 'unknown_user' ? 404 : error.code === 'user_exists' ? 409 : 400;
    throw new AdminError(status, error.message, status === 404 ? 'NOT_FOUND' : status === 409 ? 'ALREADY_EXISTS' : 'BAD_REQUEST');
  }
}

// --- ACL rules -------------------------------------------------------------------------------

/** What is wrong with a rule's permission, action or topic, or undefined. */
export function ruleError(rule: { permission: string; action: string; topic: string }): string | undefined {
  if (!(ACL_PERMISSIONS as readonly string[]).includes(rule.permission)) return `permission must be allow or deny, got "${rule.permission}"`;
  if (!(ACL_ACTIONS as readonly string[]).includes(rule.action)) return `action must be publish, subscribe or all, got "${rule.action}"`;
  const topicError = ruleTopicError(rule.topic);
  return topicError === undefined ? undefined : `topic: ${topicError}`;
}

export function listRules(context: AdminContext): RuleEntry[] {
  return storeRules(context.records).map(([key, rule]) => ({ id: key.slice(RULE_PREFIX.length), ...rule }));
}

export async function addRule(context: AdminContext, input: NewRule): Promise<RuleEntry> {
  const error = ruleError(input);
  if (error !== undefined) throw new AdminError(400, error);
  const rule: AclRuleConfig = { permission: input.permission, action: input.action, topic: input.topic };
  if (input.username !== undefined) rule.username = input.username;
  if (input.clientId !== undefined) rule.clientId = input.clientId;
  const ids = storeRules(context.records).map(([key]) => Number(key.slice(RULE_PREFIX.length))).filter(Number.isSafeInteger);
  const id = ids.length === 0 ? FIRST_ID : input.position === 'first' ? Math.min(...ids) - ID_STEP : Math.max(...ids) + ID_STEP;
  if (id < 1 || id >= 10 ** ID_DIGITS) throw new AdminError(409, 'no rule id left at that end of the list; delete and re-add rules to make room');
  const key = ruleKey(String(id));
  context.records.save('acl', key, rule);
  await recordsChanged(context, 'acl');
  context.effects?.aclChanged();
  return { id: key.slice(RULE_PREFIX.length), ...rule };
}

/** `id` as `list` shows it (leading zeros optional) or with its `rule:` prefix. */
export async function deleteRule(context: AdminContext, id: string): Promise<{ id: string }> {
  const key = ruleKey(id.replace(/^rule:/, ''));
  if (context.records.get('acl', key) === undefined) throw new AdminError(404, `no ACL rule ${id} in the store (see acl list)`);
  context.records.delete('acl', key);
  await recordsChanged(context, 'acl');
  context.effects?.aclChanged();
  return { id: key.slice(RULE_PREFIX.length) };
}

/** Puts the store's rules in the order of `ids` (every rule once); they get new ids in that order. */
export async function reorderRules(context: AdminContext, ids: readonly string[]): Promise<RuleEntry[]> {
  const current = storeRules(context.records);
  const byId = new Map(current.map(([key, rule]) => [key, rule]));
  const keys = ids.map((id) => ruleKey(id.replace(/^rule:/, '')));
  const unknown = keys.filter((key) => !byId.has(key));
  if (unknown.length > 0) throw new AdminError(404, `no ACL rule ${unknown.map((key) => key.slice(RULE_PREFIX.length)).join(', ')} in the store (see acl list)`);
  if (new Set(keys).size !== keys.length || keys.length !== current.length) {
    throw new AdminError(400, `ids: expected each of the ${current.length} stored rules exactly once, got ${ids.length} ids`);
  }
  for (const [key] of current) context.records.delete('acl', key);
  const reordered = keys.map((key, index) => {
    const newKey = ruleKey(String(FIRST_ID + index * ID_STEP));
    const rule = byId.get(key)!;
    context.records.save('acl', newKey, rule);
    return { id: newKey.slice(RULE_PREFIX.length), ...rule };
  });
  await recordsChanged(context, 'acl');
  context.effects?.aclChanged();
  return reordered;
}

/** Bumps the kind's generation (what a running broker polls) and waits for the commit. */
async function recordsChanged(context: AdminContext, kind: 'acl' | 'ban'): Promise<void> {
  const generation = bumpGeneration(context.records, kind);
  await context.committed?.(() => readGeneration(context.records, kind) >= generation);
}

function ruleKey(id: string): string {
  return `${RULE_PREFIX}${/^\d+$/.test(id) ? id.padStart(ID_DIGITS, '0') : id}`;
}

function storeRules(records: RecordStore): Array<[string, AclRuleConfig]> {
  return listEntries<AclRuleConfig>(records, 'acl').filter(([key]) => key.startsWith(RULE_PREFIX));
}

// --- bans ------------------------------------------------------------------------------------

/** What is wrong with a ban request, or undefined. */
export function newBanError(ban: { kind: string; value: string; duration?: unknown }): string | undefined {
  if (!BAN_KINDS.includes(ban.kind as BanKind)) return `KIND must be one of ${BAN_KINDS.join(', ')}, got "${ban.kind}"`;
  const error = banError({ kind: ban.kind as BanKind, value: ban.value });
  if (error !== undefined) return `${ban.kind} ${ban.value}: ${error}`;
  if (ban.duration !== undefined && (typeof ban.duration !== 'number' || !Number.isSafeInteger(ban.duration) || ban.duration < 1)) {
    return `duration takes whole seconds greater than 0, got ${JSON.stringify(ban.duration)}`;
  }
  return undefined;
}

export function listBans(context: AdminContext): Ban[] {
  return listEntries<Ban>(context.records, 'ban').map(([, ban]) => ban);
}

export async function addBan(context: AdminContext, input: NewBan): Promise<Ban> {
  const error = newBanError(input);
  if (error !== undefined) throw new AdminError(400, error);
  const now = Date.now();
  if (input.until !== undefined && input.until <= now) throw new AdminError(400, 'until: the ban would already be over');
  const ban: Ban = { kind: input.kind, value: input.value, createdAt: now, by: context.actor };
  if (input.duration !== undefined) ban.until = now + input.duration * 1000;
  else if (input.until !== undefined) ban.until = input.until;
  if (input.reason !== undefined) ban.reason = input.reason;
  context.records.save('ban', banKey(ban.kind, ban.value), ban);
  await recordsChanged(context, 'ban');
  context.effects?.banAdded(ban);
  return ban;
}

export async function deleteBan(context: AdminContext, kind: string, value: string): Promise<{ kind: string; value: string }> {
  if (!BAN_KINDS.includes(kind as BanKind)) throw new AdminError(400, `KIND must be one of ${BAN_KINDS.join(', ')}, got "${kind}"`);
  const key = banKey(kind as BanKind, value);
  if (context.records.get('ban', key) === undefined) throw new AdminError(404, `no ban on ${kind} ${value} in the store (see banned list)`);
  context.records.delete('ban', key);
  await recordsChanged(context, 'ban');
  context.effects?.banRemoved();
  return { kind, value };
}
