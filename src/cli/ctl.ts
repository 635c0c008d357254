// `starling ctl users|admins|acl|banned|rules|connectors ...`: manages the built-in users, administrators, ACL rules, bans,
// rule-engine rules and connectors of a broker,
// through its admin socket while it runs (changes apply at once), or in its data directory while
// it is stopped (ctl-target.ts decides). Every failure is one `starling ctl: ...` line.
// Exit codes: 0 done, 1 failed (unknown user or rule, weak password, broker not reachable, no data
// directory), 2 usage errors.

import { ConfigError } from '../config/config-error.js';
import { StoreError } from '../store/store.js';
import { parseFlags, UsageError } from './args.js';
import { aclCommand, bannedCommand } from './ctl-records.js';
import { adminsCommand, adminsUsage } from './ctl-admins.js';
import { connectorsCommand, rulesCommand, rulesUsage } from './ctl-rules.js';
import { apiKeysCommand, apiKeysUsage } from './ctl-api-keys.js';
import { logCommand, opsUsage, reloadCommand, traceCommand } from './ctl-ops.js';
import { brokerCommand, brokerUsage, statusCommand } from './ctl-broker.js';
import { clientsCommand, clientsUsage, subscriptionsCommand, topicsCommand } from './ctl-clients.js';
import { retainedCommand, retainedUsage } from './ctl-retained.js';
import { CtlError, runCtlCommand, type CtlCommand } from './ctl-target.js';
import { hashAlgorithmFlag } from './passwd.js';
import { PasswordMismatch, readPassword } from './read-password.js';

const COMMAND = 'starling ctl';

export const ctlUsage = `Usage: starling ctl users <action> [options]

Manages the built-in users (the 'builtin' authenticator and SCRAM). Works while the broker runs
(through its admin socket; the change applies to the next CONNECT) and while it is stopped.

Actions:
  add USERNAME      create a user       [--superuser] [--client-id ID] [password options]
  passwd USERNAME   change a password   [password options]
  del USERNAME      delete a user
  list              list users (no passwords)   [--json]

Password options:
  --password PASSWORD   the password (visible in the process list; prefer the next two)
  --password-stdin      read the password from the first line of standard input
  (neither)             prompt twice on a terminal, else read standard input
  --force               accept a password shorter than 8 characters
  --hash argon2id|scrypt  the hash for the new password (default: the running broker's password_hash;
                        argon2id when ctl writes the data directory itself)

${adminsUsage}
${apiKeysUsage}
${brokerUsage}
${clientsUsage}
${retainedUsage}
Usage: starling ctl acl <action> [options]

Manages the ACL rules kept in the store (checked before the rules file and the config's rules,
first match wins). A running broker applies changes at once.

Actions:
  add PERMISSION ACTION TOPIC   append a rule: allow|deny publish|subscribe|all TOPIC
                                [--username NAME] [--client-id ID] [--first (insert before all)]
  del ID                        delete a rule (ids as shown by list)
  list                          list rules in order   [--json]

Usage: starling ctl banned <action> [options]

Manages bans kept in the store; a banned client's CONNECT is refused (MQTT 5: 0x8A Banned), and a
running broker disconnects the connected clients a new ban matches (MQTT 5: DISCONNECT 0x98).

Actions:
  add KIND VALUE    ban a clientid, username or address (IP or CIDR range)
                    [--duration SECONDS (default: permanent)] [--reason TEXT]
  del KIND VALUE    lift a ban
  list              list bans   [--json]

${opsUsage}
${rulesUsage}
Which broker:
  --data-dir DIR        the broker's data directory (default ./data)
  --config FILE         read data_dir (and admin_socket) from the broker's config file
  --socket PATH         the running broker's admin socket, and nothing else (also STARLING_ADMIN_SOCKET)
  --url URL             a broker's management listener, e.g. http://127.0.0.1:18083 (also STARLING_API_URL),
                        with --api-key KEY:SECRET (also STARLING_API_KEY)
  -h, --help            show this help

Without --socket, ctl sends the command to the broker listening on <data-dir>/starling.sock (or the
config's admin_socket); when nothing listens there, it changes the data directory itself.
`;

const spec = {
  valued: [
    'data-dir', 'config', 'socket', 'url', 'api-key', 'password', 'client-id', 'username', 'duration', 'reason', 'hash', 'role', 'description', 'expires',
    'max-bytes', 'payload-encode', 'formatter', 'start', 'clientid', 'page', 'limit', 'topic', 'sql', 'actions', 'context', 'file',
  ],
  boolean: ['help', 'password-stdin', 'superuser', 'force', 'json', 'first', 'dry-run', 'disabled'],
};

type Flags = Record<string, string | boolean>;

export async function ctlCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, spec, COMMAND);
  if (flags['help'] === true || positionals.length === 0) {
    process.stdout.write(ctlUsage);
    return;
  }
  const [group, action, ...rest] = positionals;
  try {
    let command: CtlCommand;
    if (group === 'acl') command = aclCommand(action, rest, flags);
    else if (group === 'banned') command = bannedCommand(action, rest, flags);
    else if (group === 'users') command = await usersCommand(action, rest, flags);
    else if (group === 'admins') command = await adminsCommand(action, rest, flags);
    else if (group === 'api_keys') command = apiKeysCommand(action, rest, flags);
    else if (group === 'trace') command = traceCommand(action, rest, flags);
    else if (group === 'log') command = logCommand(action, rest);
    else if (group === 'reload') command = reloadCommand(action === undefined ? rest : [action, ...rest], flags);
    else if (group === 'status') command = statusCommand(action, flags);
    else if (group === 'broker') command = brokerCommand(action, rest, flags);
    else if (group === 'clients') command = clientsCommand(action, rest, flags);
    else if (group === 'subscriptions') command = subscriptionsCommand(action, rest, flags);
    else if (group === 'topics') command = topicsCommand(action, rest, flags);
    else if (group === 'retained') command = retainedCommand(action, rest, flags);
    else if (group === 'rules') command = rulesCommand(action, rest, flags);
    else if (group === 'connectors') command = connectorsCommand(action, rest, flags);
    else {
      throw new UsageError(
        `unknown ctl command "${group}" (expected: users, admins, api_keys, acl, banned, status, broker, clients, subscriptions, topics, retained, trace, log, reload, rules, connectors)`,
        COMMAND,
      );
    }
    let response = await runCtlCommand(command, flags);
    const refusal = response.status >= 400 ? command.refused?.(response.status, response.body) : undefined;
    if (refusal !== undefined) {
      process.stdout.write(refusal);
      process.exitCode = 1;
      return;
    }
    if (response.status >= 400 && group === 'admins') {
      // emqx ctl admins answers `Error: <reason>` on standard output.
      process.stdout.write(`Error: ${errorMessage(response.body, response.status)}\n`);
      process.exitCode = 1;
      return;
    }
    if (response.status >= 400) throw new CtlError(errorMessage(response.body, response.status));
    process.stdout.write(command.print(response.body));
    for (let next = command.next?.(response.body); next !== undefined; next = command.next?.(response.body)) {
      response = await runCtlCommand({ ...command, request: next }, flags);
      if (response.status >= 400) throw new CtlError(errorMessage(response.body, response.status));
      process.stdout.write(command.print(response.body));
    }
  } catch (error) {
    if (error instanceof CtlError || error instanceof StoreError || error instanceof ConfigError || error instanceof PasswordMismatch) {
      process.stderr.write(`starling ctl: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

async function usersCommand(action: string | undefined, args: string[], flags: Flags): Promise<CtlCommand> {
  for (const flag of ['username', 'duration', 'reason', 'first']) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} is not an option of ctl users`, COMMAND);
  }
  if (action === undefined) throw new UsageError('missing action: add, passwd, del or list', COMMAND);
  if (!['add', 'passwd', 'del', 'list'].includes(action)) throw new UsageError(`unknown action "${action}" (expected: add, passwd, del, list)`, COMMAND);
  const [username] = args;
  if (action === 'list' ? username !== undefined : username === undefined || args.length > 1) {
    throw new UsageError(action === 'list' ? 'list takes no username' : `${action} takes exactly one USERNAME`, COMMAND);
  }
  for (const flag of ['superuser', 'client-id']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for add`, COMMAND);
  }
  if (flags['hash'] !== undefined && action !== 'add' && action !== 'passwd') throw new UsageError('--hash is only for add and passwd', COMMAND);
  const hash = flags['hash'] === undefined ? {} : { hash: hashAlgorithmFlag(flags, COMMAND) };
  const force = flags['force'] === true;
  const path = username === undefined ? '' : `${USERS_PATH}/${encodeURIComponent(username)}`;
  switch (action) {
    case 'add': {
      const body: Record<string, unknown> = { user_id: username, password: await readPassword(flags, COMMAND), is_superuser: flags['superuser'] === true, force, ...hash };
      if (typeof flags['client-id'] === 'string') body['client_id'] = flags['client-id'];
      return { request: { method: 'POST', path: USERS_PATH, body }, print: () => `user ${username!} added\n` };
    }
    case 'passwd':
      return {
        request: { method: 'PUT', path, body: { password: await readPassword(flags, COMMAND), force, ...hash } },
        print: () => `password of ${username!} changed\n`,
      };
    case 'del':
      return { request: { method: 'DELETE', path }, print: () => `user ${username!} deleted\n` };
    default:
      return {
        request: { method: 'GET', path: `${USERS_PATH}?limit=${MAX_LISTED}` },
        print: (page) => {
          const users = (page as { data: ApiUser[] }).data;
          return flags['json'] === true ? `${JSON.stringify(users)}\n` : users.map(describeUser).join('');
        },
      };
  }
}

/** The built-in users' route, as a client writes it (one colon). */
const USERS_PATH = '/api/v5/authentication/password_based:built_in_database/users';
/** Users listed at most (one page of the API). */
const MAX_LISTED = 10_000;

/** A user as the API answers it (EMQX's shape). */
interface ApiUser {
  user_id: string;
  is_superuser: boolean;
  client_id?: string;
}

function describeUser(user: ApiUser): string {
  const notes = [user.is_superuser ? 'superuser' : '', user.client_id === undefined ? '' : `client id ${user.client_id}`].filter(Boolean);
  return `${user.user_id}${notes.length > 0 ? `  (${notes.join(', ')})` : ''}\n`;
}

function errorMessage(body: unknown, status: number): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : `the broker refused the request (HTTP ${status})`;
}
