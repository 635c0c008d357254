// The built-in user database: one 'user' record per username in the Store (LMDB, or memory with
// durability 'memory'). Read at every CONNECT, so `starling ctl users` changes made by another
// process on the same data directory apply to the next connection without a restart.

import type { Store } from '../store/store.js';

/** The user records and the commit that makes a change durable. */
export type UserStore = Pick<Store, 'records' | 'flushed'>;
import { DEFAULT_PASSWORD_HASH, hashPassword, verifyPassword, type PasswordHashAlgorithm } from './password-hash.js';
import { scramCredentials, type ScramCredentials } from './scram-credentials.js';

export interface UserRecord {
  username: string;
  /** argon2id or scrypt hash string (password-hash.ts); never the password. */
  passwordHash: string;
  /** When set, this user may only connect with this client id. */
  clientId?: string;
  superuser: boolean;
  /** For MQTT 5 SCRAM enhanced authentication, derived when the password is set. */
  scram?: { sha256: ScramCredentials; sha512: ScramCredentials };
}

/** What `list()` shows: no hashes, no keys. */
export interface UserSummary {
  username: string;
  clientId?: string;
  superuser: boolean;
}

export interface UserOptions {
  superuser?: boolean;
  clientId?: string;
  /** Accept a password shorter than MIN_PASSWORD_LENGTH (an empty one is never accepted). */
  force?: boolean;
  /** The hash for this password; the database's configured one when absent. */
  hash?: PasswordHashAlgorithm;
}

export const MIN_PASSWORD_LENGTH = 8;

export class UserError extends Error {
  constructor(
    readonly code: 'unknown_user' | 'user_exists' | 'empty_password' | 'weak_password' | 'invalid_username',
    message: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Refuses an empty password always and one under MIN_PASSWORD_LENGTH characters unless forced. */
export function checkPassword(password: string, force = false): void {
  if (password.length === 0) throw new UserError('empty_password', 'the password is empty');
  if (!force && [...password].length < MIN_PASSWORD_LENGTH) {
    throw new UserError('weak_password', `the password is shorter than ${MIN_PASSWORD_LENGTH} characters (use --force to accept it anyway)`);
  }
}

export function checkUsername(username: string): void {
  // [MQTT-1.5.4-2] U+0000 cannot appear in an MQTT string; ':' would break the passwords file format.
  if (username.length === 0 || username.includes('\u0000') || username.includes(':') || username.includes('\n')) {
    throw new UserError('invalid_username', `invalid username ${JSON.stringify(username)}: it must be non-empty, without ':', newlines or U+0000`);
  }
}

export class UserDatabase {
  constructor(
    private readonly store: UserStore,
    /** For new and changed passwords; existing hashes of either kind keep verifying. A reload may change it. */
    public passwordHash: PasswordHashAlgorithm = DEFAULT_PASSWORD_HASH,
  ) {}

  get(username: string): UserRecord | undefined {
    return this.store.records.get<UserRecord>('user', username);
  }

  list(): UserSummary[] {
    return this.store.records.list<UserRecord>('user').map(([, user]) => summary(user));
  }

  async add(username: string, password: string, options: UserOptions = {}): Promise<void> {
    checkUsername(username);
    if (this.get(username) !== undefined) throw new UserError('user_exists', `user ${username} already exists (use passwd to change the password)`);
    checkPassword(password, options.force);
    const record: UserRecord = { username, ...(await credentials(password, options.hash ?? this.passwordHash)), superuser: options.superuser ?? false };
    if (options.clientId !== undefined) record.clientId = options.clientId;
    this.store.records.save('user', username, record);
    await this.store.flushed();
  }

  async setPassword(username: string, password: string, options: Pick<UserOptions, 'force' | 'hash'> = {}): Promise<void> {
    const existing = this.require(username);
    checkPassword(password, options.force);
    this.store.records.save('user', username, { ...existing, ...(await credentials(password, options.hash ?? this.passwordHash)) });
    await this.store.flushed();
  }

  /** Changes the superuser flag or the client id binding (null removes it). */
  async update(username: string, changes: { superuser?: boolean; clientId?: string | null }): Promise<void> {
    const record: UserRecord = { ...this.require(username) };
    if (changes.superuser !== undefined) record.superuser = changes.superuser;
    if (changes.clientId === null) delete record.clientId;
    else if (changes.clientId !== undefined) record.clientId = changes.clientId;
    this.store.records.save('user', username, record);
    await this.store.flushed();
  }

  async delete(username: string): Promise<void> {
    this.require(username);
    this.store.records.delete('user', username);
    await this.store.flushed();
  }

  /** The user when the password is right; undefined for an unknown user or a wrong password. */
  async verify(username: string, password: Buffer | string): Promise<UserRecord | undefined> {
    const user = this.get(username);
    if (user === undefined) return undefined;
    return (await verifyPassword(password, user.passwordHash)) ? user : undefined;
  }

  private require(username: string): UserRecord {
    const user = this.get(username);
    if (user === undefined) throw new UserError('unknown_user', `unknown user ${username}`);
    return user;
  }
}

async function credentials(password: string, algorithm: PasswordHashAlgorithm): Promise<Pick<UserRecord, 'passwordHash' | 'scram'>> {
  return {
    passwordHash: await hashPassword(password, algorithm),
    scram: { sha256: scramCredentials('sha256', password), sha512: scramCredentials('sha512', password) },
  };
}

function summary(user: UserRecord): UserSummary {
  const result: UserSummary = { username: user.username, superuser: user.superuser };
  if (user.clientId !== undefined) result.clientId = user.clientId;
  return result;
}
