// `starling ctl users|acl|banned ...`: manages the built-in users, ACL rules and bans in the data
// directory's store. LMDB is safe for several processes, so this works whether or not the broker
// runs: the broker reads users at each CONNECT and sees rule and ban changes within a second.
// Exit codes: 0 done, 1 failed (unknown user or rule, weak password, no data directory), 2 usage errors.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { readConfigFile } from '../config/load.js';
import { UserDatabase, UserError } from '../auth/users.js';
import type { RecordStore } from '../auth/records.js';
import { DATA_FILE } from '../store/lmdb/layout.js';
import { StoreError } from '../store/store.js';
import { parseFlags, UsageError } from './args.js';
import { aclCommand, bannedCommand, checkAclArgs, checkBannedArgs, RecordError } from './ctl-records.js';
import { PasswordMismatch, readPassword } from './read-password.js';
import { hashAlgorithmFlag } from './passwd.js';
import type { PasswordHashAlgorithm } from '../auth/password-hash.js';

const COMMAND = 'starling ctl';

export const ctlUsage = `Usage: starling ctl users <action> [options]

Manages the built-in users (the 'builtin' authenticator and SCRAM) in the broker's data directory.
Works while the broker runs (it sees the change at the next CONNECT) and while it is stopped.

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
  --hash argon2id|scrypt  the hash for the new password (default argon2id)

Usage: starling ctl acl <action> [options]

Manages the ACL rules kept in the store (checked before the rules file and the config's rules,
first match wins). A running broker applies changes within a second.

Actions:
  add PERMISSION ACTION TOPIC   append a rule: allow|deny publish|subscribe|all TOPIC
                                [--username NAME] [--client-id ID] [--first (insert before all)]
  del ID                        delete a rule (ids as shown by list)
  list                          list rules in order   [--json]

Usage: starling ctl banned <action> [options]

Manages bans kept in the store; a banned client's CONNECT is refused (MQTT 5: 0x8A Banned).

Actions:
  add KIND VALUE    ban a clientid, username or address (IP or CIDR range)
                    [--duration SECONDS (default: permanent)] [--reason TEXT]
  del KIND VALUE    lift a ban
  list              list bans   [--json]

Where the store is:
  --data-dir DIR        the broker's data directory (default ./data)
  --config FILE         read data_dir from the broker's config file
  -h, --help            show this help
`;

const spec = {
  valued: ['data-dir', 'config', 'password', 'client-id', 'username', 'duration', 'reason', 'hash'],
  boolean: ['help', 'password-stdin', 'superuser', 'force', 'json', 'first'],
};

export class CtlError extends Error {}

export async function ctlCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, spec, COMMAND);
  if (flags['help'] === true || positionals.length === 0) {
    process.stdout.write(ctlUsage);
    return;
  }
  const [group, action, username, ...extra] = positionals;
  if (group === 'acl' || group === 'banned') {
    await recordsCommand(group, action, positionals.slice(2), flags);
    return;
  }
  if (group !== 'users') throw new UsageError(`unknown ctl command "${group}" (expected: users, acl, banned)`, COMMAND);
  for (const flag of ['username', 'duration', 'reason', 'first']) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} is not an option of ctl users`, COMMAND);
  }
  if (action === undefined) throw new UsageError('missing action: add, passwd, del or list', COMMAND);
  if (!['add', 'passwd', 'del', 'list'].includes(action)) throw new UsageError(`unknown action "${action}" (expected: add, passwd, del, list)`, COMMAND);
  if (action === 'list' ? username !== undefined : username === undefined || extra.length > 0) {
    throw new UsageError(action === 'list' ? 'list takes no username' : `${action} takes exactly one USERNAME`, COMMAND);
  }
  for (const flag of ['superuser', 'client-id']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for add`, COMMAND);
  }
  if (flags['hash'] !== undefined && action !== 'add' && action !== 'passwd') throw new UsageError('--hash is only for add and passwd', COMMAND);
  const passwordHash = hashAlgorithmFlag(flags, COMMAND);
  try {
    const password = action === 'add' || action === 'passwd' ? await readPassword(flags, COMMAND) : '';
    await withUsers(dataDirectory(flags), passwordHash, async (users) => {
      const force = flags['force'] === true;
      switch (action) {
        case 'add': {
          const options: { superuser: boolean; force: boolean; clientId?: string } = { superuser: flags['superuser'] === true, force };
          if (typeof flags['client-id'] === 'string') options.clientId = flags['client-id'];
          await users.add(username!, password, options);
          process.stdout.write(`user ${username!} added\n`);
          return;
        }
        case 'passwd':
          await users.setPassword(username!, password, { force });
          process.stdout.write(`password of ${username!} changed\n`);
          return;
        case 'del':
          await users.delete(username!);
          process.stdout.write(`user ${username!} deleted\n`);
          return;
        default: {
          const list = users.list();
          if (flags['json'] === true) process.stdout.write(`${JSON.stringify(list)}\n`);
          else for (const user of list) {
            const notes = [user.superuser ? 'superuser' : '', user.clientId === undefined ? '' : `client id ${user.clientId}`].filter(Boolean);
            process.stdout.write(`${user.username}${notes.length > 0 ? `  (${notes.join(', ')})` : ''}\n`);
          }
        }
      }
    });
  } catch (error) {
    if (error instanceof UserError || error instanceof CtlError || error instanceof StoreError || error instanceof ConfigError || error instanceof PasswordMismatch) {
      process.stderr.write(`starling ctl: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

async function recordsCommand(group: 'acl' | 'banned', action: string | undefined, args: string[], flags: Record<string, string | boolean>): Promise<void> {
  if (group === 'acl') checkAclArgs(action, args, flags);
  else checkBannedArgs(action, args, flags);
  const write = (text: string): void => void process.stdout.write(text);
  try {
    await withStore(dataDirectory(flags), async (records) => {
      if (group === 'acl') aclCommand(records, action!, args, flags, write);
      else bannedCommand(records, action!, args, flags, write);
    });
  } catch (error) {
    if (error instanceof RecordError || error instanceof CtlError || error instanceof StoreError || error instanceof ConfigError) {
      process.stderr.write(`starling ctl: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

function dataDirectory(flags: Record<string, string | boolean>): string {
  if (typeof flags['data-dir'] === 'string') return resolve(flags['data-dir']);
  if (typeof flags['config'] === 'string') {
    const config = readConfigFile(flags['config']);
    if (config.durability === 'memory') {
      throw new CtlError(`${flags['config']} sets durability: memory, so the broker keeps no users, rules or bans on disk; manage them through the library (broker.users, broker.authorization.records)`);
    }
    return resolve(config.dataDir ?? './data');
  }
  return resolve('./data');
}

async function withUsers(dataDir: string, passwordHash: PasswordHashAlgorithm, body: (users: UserDatabase) => Promise<void>): Promise<void> {
  await withStore(dataDir, (store) => body(new UserDatabase(store, passwordHash)));
}

async function withStore(dataDir: string, body: (store: import('../store/lmdb/lmdb-store.js').LmdbStore & RecordStore) => Promise<void>): Promise<void> {
  if (!existsSync(dataDir)) {
    throw new CtlError(`data directory ${dataDir} does not exist (start the broker once, or pass --data-dir / --config)`);
  }
  if (!existsSync(resolve(dataDir, DATA_FILE))) {
    throw new CtlError(`${dataDir} holds no Starling store (${DATA_FILE}); pass the broker's --data-dir or --config`);
  }
  const { LmdbStore } = await import('../store/lmdb/lmdb-store.js'); // lazily: the native module only when needed
  const store = new LmdbStore({ path: dataDir, durability: 'sync', batchIntervalMs: 10 });
  await store.openRecords();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}
