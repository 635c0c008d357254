// `starling ctl acl add|del|list` and `starling ctl banned add|del|list`: ACL rules and bans kept as
// records in the data directory's store. Every change bumps the kind's generation record, which a
// running broker reads once a second; bans by client id or username are also read at each CONNECT.
//
// Store rules are keyed `rule:<12-digit id>`, so key order is rule order: `add` appends after the
// last stored rule, `add --first` goes before the first. Store rules are checked before the rules
// file and the config's rules; the first match decides.

import { ruleTopicError } from '../auth/acl.js';
import { BAN_KINDS, banError, banKey, isActive, type Ban, type BanKind } from '../auth/bans.js';
import { bumpGeneration, listEntries, type RecordStore } from '../auth/records.js';
import type { AclAction, AclPermission, AclRuleConfig } from '../config/types.js';
import { UsageError } from './args.js';

const COMMAND = 'starling ctl';
const RULE_PREFIX = 'rule:';
const ID_DIGITS = 12;
/** Ids are spaced so that `--first` can go before the first rule many times. */
const ID_STEP = 1000;
const FIRST_ID = 10 ** (ID_DIGITS - 1);

export class RecordError extends Error {}

type Flags = Record<string, string | boolean>;

/** Checks the arguments before the store is opened, so usage errors exit 2 without touching it. */
export function checkAclArgs(action: string | undefined, args: string[], flags: Flags): void {
  if (action === undefined) throw new UsageError('missing action: add, del or list', COMMAND);
  if (!['add', 'del', 'list'].includes(action)) throw new UsageError(`unknown action "${action}" (expected: add, del, list)`, COMMAND);
  for (const flag of ['username', 'client-id', 'first']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for acl add`, COMMAND);
  }
  if (action === 'list' && args.length > 0) throw new UsageError('acl list takes no arguments', COMMAND);
  if (action === 'del' && args.length !== 1) throw new UsageError('acl del takes exactly one rule ID (see acl list)', COMMAND);
  if (action === 'add') {
    if (args.length !== 3) throw new UsageError('acl add takes PERMISSION ACTION TOPIC, e.g. acl add deny publish "secret/#"', COMMAND);
    const [permission, ruleAction, topic] = args as [string, string, string];
    if (permission !== 'allow' && permission !== 'deny') throw new UsageError(`permission must be allow or deny, got "${permission}"`, COMMAND);
    if (!['publish', 'subscribe', 'all'].includes(ruleAction)) throw new UsageError(`action must be publish, subscribe or all, got "${ruleAction}"`, COMMAND);
    const error = ruleTopicError(topic);
    if (error !== undefined) throw new UsageError(`topic: ${error}`, COMMAND);
  }
}

export function aclCommand(records: RecordStore, action: string, args: string[], flags: Flags, write: (text: string) => void): void {
  const entries = listEntries<AclRuleConfig>(records, 'acl').filter(([key]) => key.startsWith(RULE_PREFIX));
  switch (action) {
    case 'add': {
      const [permission, ruleAction, topic] = args as [AclPermission, AclAction, string];
      const rule: AclRuleConfig = { permission, action: ruleAction, topic };
      if (typeof flags['username'] === 'string') rule.username = flags['username'];
      if (typeof flags['client-id'] === 'string') rule.clientId = flags['client-id'];
      const ids = entries.map(([key]) => Number(key.slice(RULE_PREFIX.length))).filter(Number.isSafeInteger);
      const id = ids.length === 0 ? FIRST_ID : flags['first'] === true ? Math.min(...ids) - ID_STEP : Math.max(...ids) + ID_STEP;
      if (id < 1 || id >= 10 ** ID_DIGITS) throw new RecordError('no rule id left at that end of the list; delete and re-add rules to make room');
      const key = `${RULE_PREFIX}${String(id).padStart(ID_DIGITS, '0')}`;
      records.saveRecord('acl', key, rule);
      bumpGeneration(records, 'acl');
      write(`rule ${key.slice(RULE_PREFIX.length)} added: ${describeRule(rule)}\n`);
      return;
    }
    case 'del': {
      const id = args[0]!.replace(/^rule:/, '');
      const key = `${RULE_PREFIX}${/^\d+$/.test(id) ? id.padStart(ID_DIGITS, '0') : id}`;
      if (records.getRecord('acl', key) === undefined) throw new RecordError(`no ACL rule ${id} in the store (see acl list)`);
      records.deleteRecord('acl', key);
      bumpGeneration(records, 'acl');
      write(`rule ${key.slice(RULE_PREFIX.length)} deleted\n`);
      return;
    }
    default:
      if (flags['json'] === true) {
        write(`${JSON.stringify(entries.map(([key, rule]) => ({ id: key.slice(RULE_PREFIX.length), ...rule })))}\n`);
        return;
      }
      for (const [key, rule] of entries) write(`${key.slice(RULE_PREFIX.length)}  ${describeRule(rule)}\n`);
  }
}

function describeRule(rule: AclRuleConfig): string {
  const selectors = [rule.username === undefined ? '' : `username ${rule.username}`, rule.clientId === undefined ? '' : `client id ${rule.clientId}`].filter(Boolean);
  return `${rule.permission} ${rule.action} ${rule.topic}${selectors.length > 0 ? `  (${selectors.join(', ')})` : ''}`;
}

export function checkBannedArgs(action: string | undefined, args: string[], flags: Flags): void {
  if (action === undefined) throw new UsageError('missing action: add, del or list', COMMAND);
  if (!['add', 'del', 'list'].includes(action)) throw new UsageError(`unknown action "${action}" (expected: add, del, list)`, COMMAND);
  for (const flag of ['duration', 'reason']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for banned add`, COMMAND);
  }
  if (action === 'list') {
    if (args.length > 0) throw new UsageError('banned list takes no arguments', COMMAND);
    return;
  }
  if (args.length !== 2) throw new UsageError(`banned ${action} takes KIND VALUE, e.g. banned ${action} clientid sensor-7`, COMMAND);
  const [kind, value] = args as [string, string];
  if (!BAN_KINDS.includes(kind as BanKind)) throw new UsageError(`KIND must be one of ${BAN_KINDS.join(', ')}, got "${kind}"`, COMMAND);
  const error = banError({ kind: kind as BanKind, value });
  if (error !== undefined) throw new UsageError(`${kind} ${value}: ${error}`, COMMAND);
  const duration = flags['duration'];
  if (duration !== undefined && (typeof duration !== 'string' || !/^[1-9]\d*$/.test(duration))) {
    throw new UsageError(`--duration takes whole seconds greater than 0, got "${String(duration)}"`, COMMAND);
  }
}

export function bannedCommand(records: RecordStore, action: string, args: string[], flags: Flags, write: (text: string) => void): void {
  const now = Date.now();
  switch (action) {
    case 'add': {
      const [kind, value] = args as [BanKind, string];
      const ban: Ban = { kind, value, createdAt: now, by: 'ctl' };
      if (typeof flags['duration'] === 'string') ban.until = now + Number(flags['duration']) * 1000;
      if (typeof flags['reason'] === 'string') ban.reason = flags['reason'];
      records.saveRecord('ban', banKey(kind, value), ban);
      bumpGeneration(records, 'ban');
      write(`banned ${kind} ${value}${ban.until === undefined ? '' : ` until ${new Date(ban.until).toISOString()}`}\n`);
      return;
    }
    case 'del': {
      const [kind, value] = args as [BanKind, string];
      if (records.getRecord('ban', banKey(kind, value)) === undefined) throw new RecordError(`no ban on ${kind} ${value} in the store (see banned list)`);
      records.deleteRecord('ban', banKey(kind, value));
      bumpGeneration(records, 'ban');
      write(`ban on ${kind} ${value} deleted\n`);
      return;
    }
    default: {
      const bans = listEntries<Ban>(records, 'ban').map(([, ban]) => ban);
      if (flags['json'] === true) {
        write(`${JSON.stringify(bans)}\n`);
        return;
      }
      for (const ban of bans) {
        const notes = [
          ban.until === undefined ? 'permanent' : `${isActive(ban, now) ? 'until' : 'expired'} ${new Date(ban.until).toISOString()}`,
          ban.reason === undefined ? '' : `reason: ${ban.reason}`,
        ].filter(Boolean);
        write(`${ban.kind} ${ban.value}  (${notes.join(', ')})\n`);
      }
    }
  }
}
