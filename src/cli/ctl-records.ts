// `starling ctl acl add|del|list` and `starling ctl banned add|del|list`: checks the arguments
// (usage errors exit 2 before anything is contacted), turns them into an admin request
// (src/admin/routes.ts) and prints the answer. ctl.ts sends the request to the running broker or
// runs it on the data directory.

import { BAN_KINDS, isActive, type Ban } from '../auth/bans.js';
import { newBanError, ruleError, type RuleEntry } from '../admin/operations.js';
import type { AclRuleConfig } from '../config/types.js';
import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';

const COMMAND = 'starling ctl';

type Flags = Record<string, string | boolean>;

function checkAction(action: string | undefined): asserts action is 'add' | 'del' | 'list' {
  if (action === undefined) throw new UsageError('missing action: add, del or list', COMMAND);
  if (!['add', 'del', 'list'].includes(action)) throw new UsageError(`unknown action "${action}" (expected: add, del, list)`, COMMAND);
}

export function aclCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  checkAction(action);
  for (const flag of ['username', 'client-id', 'first']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for acl add`, COMMAND);
  }
  switch (action) {
    case 'add': {
      if (args.length !== 3) throw new UsageError('acl add takes PERMISSION ACTION TOPIC, e.g. acl add deny publish "secret/#"', COMMAND);
      const [permission, ruleAction, topic] = args as [string, string, string];
      const error = ruleError({ permission, action: ruleAction, topic });
      if (error !== undefined) throw new UsageError(error, COMMAND);
      const body: Record<string, unknown> = { permission, action: ruleAction, topic };
      if (typeof flags['username'] === 'string') body['username'] = flags['username'];
      if (typeof flags['client-id'] === 'string') body['clientId'] = flags['client-id'];
      if (flags['first'] === true) body['position'] = 'first';
      return {
        request: { method: 'POST', path: '/acl/rules', body },
        print: (rule) => `rule ${(rule as RuleEntry).id} added: ${describeRule(rule as RuleEntry)}\n`,
      };
    }
    case 'del':
      if (args.length !== 1) throw new UsageError('acl del takes exactly one rule ID (see acl list)', COMMAND);
      return {
        request: { method: 'DELETE', path: `/acl/rules/${encodeURIComponent(args[0]!)}` },
        print: (answer) => `rule ${(answer as { id: string }).id} deleted\n`,
      };
    case 'list':
      if (args.length > 0) throw new UsageError('acl list takes no arguments', COMMAND);
      return {
        request: { method: 'GET', path: '/acl/rules' },
        print: (rules) =>
          flags['json'] === true
            ? `${JSON.stringify(rules)}\n`
            : (rules as RuleEntry[]).map((rule) => `${rule.id}  ${describeRule(rule)}\n`).join(''),
      };
  }
}

function describeRule(rule: AclRuleConfig): string {
  const selectors = [rule.username === undefined ? '' : `username ${rule.username}`, rule.clientId === undefined ? '' : `client id ${rule.clientId}`].filter(Boolean);
  return `${rule.permission} ${rule.action} ${rule.topic}${selectors.length > 0 ? `  (${selectors.join(', ')})` : ''}`;
}

export function bannedCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  checkAction(action);
  for (const flag of ['duration', 'reason']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for banned add`, COMMAND);
  }
  if (action === 'list') {
    if (args.length > 0) throw new UsageError('banned list takes no arguments', COMMAND);
    return {
      request: { method: 'GET', path: '/bans' },
      print: (bans) => (flags['json'] === true ? `${JSON.stringify(bans)}\n` : (bans as Ban[]).map((ban) => `${describeBan(ban, Date.now())}\n`).join('')),
    };
  }
  if (args.length !== 2) throw new UsageError(`banned ${action} takes KIND VALUE, e.g. banned ${action} clientid sensor-7`, COMMAND);
  const [kind, value] = args as [string, string];
  if (action === 'del') {
    if (!(BAN_KINDS as readonly string[]).includes(kind)) throw new UsageError(`KIND must be one of ${BAN_KINDS.join(', ')}, got "${kind}"`, COMMAND);
    return {
      request: { method: 'DELETE', path: `/bans/${encodeURIComponent(kind)}/${encodeURIComponent(value)}` },
      print: () => `ban on ${kind} ${value} deleted\n`,
    };
  }
  const duration = flags['duration'];
  if (duration !== undefined && (typeof duration !== 'string' || !/^[1-9]\d*$/.test(duration))) {
    throw new UsageError(`--duration takes whole seconds greater than 0, got "${String(duration)}"`, COMMAND);
  }
  const body: Record<string, unknown> = { kind, value };
  if (duration !== undefined) body['duration'] = Number(duration);
  if (typeof flags['reason'] === 'string') body['reason'] = flags['reason'];
  const error = newBanError({ kind, value, duration: body['duration'] });
  if (error !== undefined) throw new UsageError(error, COMMAND);
  return {
    request: { method: 'POST', path: '/bans', body },
    print: (ban) => {
      const until = (ban as Ban).until;
      return `banned ${kind} ${value}${until === undefined ? '' : ` until ${new Date(until).toISOString()}`}\n`;
    },
  };
}

function describeBan(ban: Ban, now: number): string {
  const notes = [
    ban.until === undefined ? 'permanent' : `${isActive(ban, now) ? 'until' : 'expired'} ${new Date(ban.until).toISOString()}`,
    ban.reason === undefined ? '' : `reason: ${ban.reason}`,
  ].filter(Boolean);
  return `${ban.kind} ${ban.value}  (${notes.join(', ')})`;
}
