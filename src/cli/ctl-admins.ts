// `starling ctl admins add|passwd|del|list`: the management plane's administrators, with the words,
// positional arguments and answers of `emqx ctl admins` (`ok`, or `Error: <reason>`), so EMQX runbooks
// work. The password may also come from --password, --password-stdin or a prompt, as for ctl users.

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';
import { readPassword } from './read-password.js';

const COMMAND = 'starling ctl admins';

export const adminsUsage = `Usage: starling ctl admins <action> [options]

Manages the administrators of the HTTP API and dashboard (not MQTT users). Works while the broker runs
and while it is stopped (a forgotten password can be reset offline). Prints ok, or Error: <reason>.

Actions:
  add USERNAME [PASSWORD] [DESCRIPTION]   create an administrator   [--role administrator|viewer]
  passwd USERNAME [PASSWORD]              change a password
  del USERNAME                            delete an administrator
  list                                    list administrators (no passwords)   [--json]

Usernames: letters, digits and underscores. Passwords: 8 to 64 characters, from at least two of
letters, digits and other characters. Without PASSWORD (or with --password / --password-stdin, after
which every positional after USERNAME is the description) the password is read as for ctl users.
`;

type Flags = Record<string, string | boolean>;

export async function adminsCommand(action: string | undefined, args: string[], flags: Flags): Promise<CtlCommand> {
  for (const flag of ['username', 'duration', 'reason', 'first', 'superuser', 'client-id', 'hash', 'force']) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} is not an option of ctl admins`, COMMAND);
  }
  if (flags['role'] !== undefined && action !== 'add') throw new UsageError('--role is only for add', COMMAND);
  const ok = (): string => 'ok\n';
  const passwordFlag = flags['password'] !== undefined || flags['password-stdin'] === true;
  const [username, ...rest] = args;
  switch (action) {
    case 'add': {
      if (username === undefined) throw new UsageError('add takes USERNAME [PASSWORD] [DESCRIPTION]', COMMAND);
      const positionalPassword = passwordFlag ? undefined : rest[0];
      const descriptionWords = passwordFlag ? rest : rest.slice(1);
      const password = positionalPassword ?? (await readPassword(flags, COMMAND));
      const body: Record<string, unknown> = { username, password, description: descriptionWords.join(' ') };
      if (typeof flags['role'] === 'string') body['role'] = flags['role'];
      else if (flags['role'] === true) throw new UsageError('--role needs a value', COMMAND);
      return { request: { method: 'POST', path: '/api/v5/users', body }, print: ok };
    }
    case 'passwd': {
      if (username === undefined || rest.length > (passwordFlag ? 0 : 1)) throw new UsageError('passwd takes USERNAME [PASSWORD]', COMMAND);
      const password = passwordFlag || rest[0] === undefined ? await readPassword(flags, COMMAND) : rest[0];
      return { request: { method: 'POST', path: `/api/v5/users/${encodeURIComponent(username)}/change_pwd`, body: { new_pwd: password } }, print: ok };
    }
    case 'del':
      if (username === undefined || rest.length > 0) throw new UsageError('del takes exactly one USERNAME', COMMAND);
      return { request: { method: 'DELETE', path: `/api/v5/users/${encodeURIComponent(username)}` }, print: ok };
    case 'list':
      if (username !== undefined) throw new UsageError('list takes no username', COMMAND);
      return {
        request: { method: 'GET', path: '/api/v5/users' },
        print: (admins) => (flags['json'] === true ? `${JSON.stringify(admins)}\n` : (admins as ApiAdmin[]).map(describeAdmin).join('')),
      };
    default:
      throw new UsageError(action === undefined ? 'missing action: add, passwd, del or list' : `unknown action "${action}" (expected: add, passwd, del, list)`, COMMAND);
  }
}

/** An administrator as the API answers it. */
interface ApiAdmin {
  username: string;
  role: string;
  description: string;
}

function describeAdmin(admin: ApiAdmin): string {
  return `${admin.username}  ${admin.role}${admin.description === '' ? '' : `  ${admin.description}`}\n`;
}
