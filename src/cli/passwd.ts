// `starling passwd FILE USERNAME`: writes a passwords file for the password_file authenticator,
// like mosquitto_passwd. Exit codes: 0 done, 1 failed, 2 usage errors.

import { existsSync } from 'node:fs';
import { checkPassword, checkUsername, UserError } from '../auth/users.js';
import { DEFAULT_PASSWORD_HASH, hashPassword, isPasswordHashAlgorithm, PASSWORD_HASH_ALGORITHMS, type PasswordHashAlgorithm } from '../auth/password-hash.js';
import { PasswordFileError, readPasswordFile, writePasswordFile } from '../auth/password-file.js';
import { parseFlags, UsageError } from './args.js';
import { PasswordMismatch, readPassword } from './read-password.js';

const COMMAND = 'starling passwd';

export const passwdUsage = `Usage: starling passwd [options] FILE USERNAME

Adds USERNAME to the passwords file FILE or changes its password (one username:hash line
per user; argon2id or scrypt hashes, both verify), for an authenticator
{type: password_file, file: FILE}. The broker re-reads the file when it changes.

Options:
  -c, --create          create FILE (overwriting it) instead of updating it
  -D, --delete          remove USERNAME from FILE
  --password PASSWORD   the password (prefer --password-stdin or the prompt)
  --password-stdin      read the password from the first line of standard input
  --force               accept a password shorter than 8 characters
  --hash argon2id|scrypt  the hash for the new password (default argon2id)
  -h, --help            show this help
`;

const spec = { valued: ['password', 'hash'], boolean: ['help', 'create', 'delete', 'password-stdin', 'force'] };

export async function passwdCommand(args: string[]): Promise<void> {
  const normalised = args.map((arg) => (arg === '-c' ? '--create' : arg === '-D' ? '--delete' : arg));
  const { flags, positionals } = parseFlags(normalised, spec, COMMAND);
  if (flags['help'] === true) {
    process.stdout.write(passwdUsage);
    return;
  }
  if (positionals.length !== 2) throw new UsageError('expected FILE and USERNAME', COMMAND);
  if (flags['create'] === true && flags['delete'] === true) throw new UsageError('--create and --delete exclude each other', COMMAND);
  const [file, username] = positionals as [string, string];
  const algorithm = hashAlgorithmFlag(flags, COMMAND);
  try {
    checkUsername(username);
    const entries = flags['create'] === true || (!existsSync(file) && flags['delete'] !== true) ? new Map<string, string>() : await readPasswordFile(file);
    if (flags['delete'] === true) {
      if (!entries.delete(username)) throw new UserError('unknown_user', `unknown user ${username} in ${file}`);
    } else {
      const password = await readPassword(flags, COMMAND);
      checkPassword(password, flags['force'] === true);
      entries.set(username, await hashPassword(password, algorithm));
    }
    await writePasswordFile(file, entries);
  } catch (error) {
    if (error instanceof UserError || error instanceof PasswordFileError || error instanceof PasswordMismatch || (error as NodeJS.ErrnoException).code !== undefined) {
      process.stderr.write(`starling passwd: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

/** The `--hash` flag of `starling passwd` and `starling ctl users`. */
export function hashAlgorithmFlag(flags: Record<string, string | boolean>, command: string): PasswordHashAlgorithm {
  const value = flags['hash'];
  if (value === undefined) return DEFAULT_PASSWORD_HASH;
  if (!isPasswordHashAlgorithm(value)) throw new UsageError(`--hash: expected one of ${PASSWORD_HASH_ALGORITHMS.join(', ')}, got ${String(value)}`, command);
  return value;
}
