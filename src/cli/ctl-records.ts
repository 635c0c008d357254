// `starling ctl acl add|del|list` and `starling ctl banned add|del|list`: checks the arguments
// (usage errors exit 2 before anything is contacted), turns them into a management API request
// (src/api/routes/acl.ts, banned.ts) and prints the answer. ctl.ts sends the request to the running
// broker or runs it on the data directory.

import { BAN_KINDS } from '../auth/bans.js';
import { newBanError, ruleError } from '../admin/operations.js';
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
      if (typeof flags['client-id'] === 'string') body['client_id'] = flags['client-id'];
      if (flags['first'] === true) body['position'] = 'first';
      return {
        request: { method: 'POST', path: '/api/v5/acl/rules', body },
        print: (rule) => `rule ${(rule as ApiRule).id} added: ${describeRule(rule as ApiRule)}\n`,
      };
    }
    case 'del': {
      if (args.length !== 1) throw new UsageError('acl del takes exactly one rule ID (see acl list)', COMMAND);
      const id = args[0]!;
      return {
        request: { method: 'DELETE', path: `/api/v5/acl/rules/${encodeURIComponent(id)}` },
        print: () => `rule ${id.replace(/^rule:/, '').padStart(12, '0')} deleted\n`,
      };
    }
    case 'list':
      if (args.length > 0) throw new UsageError('acl list takes no arguments', COMMAND);
      return {
        request: { method: 'GET', path: '/api/v5/acl/rules' },
        print: (rules) =>
          flags['json'] === true
            ? `${JSON.stringify(rules)}\n`
            : (rules as ApiRule[]).map((rule) => `${rule.id}  ${describeRule(rule)}\n`).join(''),
      };
  }
}

/** A rule as the API answers it. */
interface ApiRule {
  id: string;
  permission: string;
  action: string;
  topic: string;
  username?: string;
  client_id?: string;
}

/** A ban as the API answers it (EMQX's shape). */
interface ApiBan {
  as: string;
  who: string;
  reason: string;
  until: string;
}

function describeRule(rule: ApiRule): string {
  const selectors = [rule.username === undefined ? '' : `username ${rule.username}`, rule.client_id === undefined ? '' : `client id ${rule.client_id}`].filter(Boolean);
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
      request: { method: 'GET', path: `/api/v5/banned?limit=${MAX_LISTED}` },
      print: (page) => {
        const bans = (page as { data: ApiBan[] }).data;
        return flags['json'] === true ? `${JSON.stringify(bans)}\n` : bans.map((ban) => `${describeBan(ban, Date.now())}\n`).join('');
      },
    };
  }
  if (args.length !== 2) throw new UsageError(`banned ${action} takes KIND VALUE, e.g. banned ${action} clientid sensor-7`, COMMAND);
  const [kind, value] = args as [string, string];
  if (action === 'del') {
    if (!(BAN_KINDS as readonly string[]).includes(kind)) throw new UsageError(`KIND must be one of ${BAN_KINDS.join(', ')}, got "${kind}"`, COMMAND);
    return {
      request: { method: 'DELETE', path: `/api/v5/banned/${banAs(kind, value)}/${encodeURIComponent(value)}` },
      print: () => `ban on ${kind} ${value} deleted\n`,
    };
  }
  const duration = flags['duration'];
  if (duration !== undefined && (typeof duration !== 'string' || !/^[1-9]\d*$/.test(duration))) {
    throw new UsageError(`--duration takes whole seconds greater than 0, got "${String(duration)}"`, COMMAND);
  }
  const error = newBanError({ kind, value, duration: duration === undefined ? undefined : Number(duration) });
  if (error !== undefined) throw new UsageError(error, COMMAND);
  const body: Record<string, unknown> = { as: banAs(kind, value), who: value };
  if (duration !== undefined) body['until'] = new Date(Date.now() + Number(duration) * 1000).toISOString();
  if (typeof flags['reason'] === 'string') body['reason'] = flags['reason'];
  return {
    request: { method: 'POST', path: '/api/v5/banned', body },
    print: (ban) => {
      const until = (ban as ApiBan).until;
      return `banned ${kind} ${value}${until === 'infinity' ? '' : ` until ${until}`}\n`;
    },
  };
}

/** Bans listed at most (one page of the API). */
const MAX_LISTED = 10_000;

/** Starling's ban kinds as EMQX's `as`: an address is `peerhost`, a range `peerhost_net`. */
function banAs(kind: string, value: string): string {
  return kind === 'address' ? (value.includes('/') ? 'peerhost_net' : 'peerhost') : kind;
}

function describeBan(ban: ApiBan, now: number): string {
  const kind = ban.as === 'peerhost' || ban.as === 'peerhost_net' ? 'address' : ban.as;
  const notes = [
    ban.until === 'infinity' ? 'permanent' : `${Date.parse(ban.until) > now ? 'until' : 'expired'} ${ban.until}`,
    ban.reason === '' ? '' : `reason: ${ban.reason}`,
  ].filter(Boolean);
  return `${kind} ${ban.who}  (${notes.join(', ')})`;
}
