// Administrators: the accounts of the management plane (HTTP API, dashboard, `starling ctl admins`),
// apart from MQTT users. One 'admin' record per username in the store, with an argon2id hash, a
// description and a role: `administrator` may change everything, `viewer` only reads. Usernames and
// passwords follow EMQX's rules and error codes (emqx_dashboard_admin), so its runbooks work here.

import type { RecordStore } from '../store/store.js';
import { hashPassword, verifyPassword } from '../auth/password-hash.js';

export type AdminRole = 'administrator' | 'viewer';
export const ADMIN_ROLES: readonly AdminRole[] = ['administrator', 'viewer'];

export interface AdminRecord {
  username: string;
  /** argon2id hash string; never the password. */
  passwordHash: string;
  description: string;
  role: AdminRole;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Login tokens issued before this (ms) are refused: set by a password or role change. */
  tokensValidFrom?: number;
}

/** What listing shows: no hash. */
export type AdminSummary = Omit<AdminRecord, 'passwordHash'>;

/** EMQX's codes for a refused change (`emqx ctl admins` prints `Error: <code>`). */
export type AdminAccountErrorCode = 'username_already_exists' | 'username_not_found' | 'bad_username' | 'bad_password' | 'bad_role';

export class AdminAccountError extends Error {
  constructor(
    readonly code: AdminAccountErrorCode,
    message: string = code,
  ) {
    super(message);
    this.name = 'AdminAccountError';
  }
}

const USERNAME = /^[_a-zA-Z0-9]+$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 64;

export function checkAdminUsername(username: string): void {
  if (!USERNAME.test(username)) {
    throw new AdminAccountError('bad_username', 'Bad Username. Only upper and lower case letters, numbers and underscores are supported');
  }
}

/** 8 to 64 characters from at least two of: letters, digits, other characters. */
export function checkAdminPassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD || length > MAX_PASSWORD) throw new AdminAccountError('bad_password', `The range of password length is ${MIN_PASSWORD}~${MAX_PASSWORD}`);
  const kinds = [/[a-zA-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((kind) => kind.test(password)).length;
  if (kinds < 2) {
    throw new AdminAccountError(
      'bad_password',
      'The password must contain at least two different kind of characters from groups of letters, numbers, and special characters',
    );
  }
}

export class AdminDatabase {
  constructor(
    private readonly records: RecordStore,
    /** Resolves when the writes made so far are durable. */
    private readonly flushed: () => Promise<void> | undefined,
  ) {}

  get(username: string): AdminRecord | undefined {
    return this.records.get<AdminRecord>('admin', username);
  }

  list(): AdminSummary[] {
    return this.records.list<AdminRecord>('admin').map(([, { passwordHash: _hash, tokensValidFrom: _from, ...summary }]) => summary);
  }

  async add(username: string, password: string, description = '', role: AdminRole = 'administrator'): Promise<AdminSummary> {
    checkAdminUsername(username);
    if (!ADMIN_ROLES.includes(role)) throw new AdminAccountError('bad_role', `role must be ${ADMIN_ROLES.join(' or ')}`);
    if (this.get(username) !== undefined) throw new AdminAccountError('username_already_exists');
    checkAdminPassword(password);
    const record: AdminRecord = { username, passwordHash: await hashPassword(password, 'argon2id'), description, role, createdAt: Date.now() };
    this.records.save('admin', username, record);
    await this.flushed();
    const { passwordHash: _hash, ...summary } = record;
    return summary;
  }

  async setPassword(username: string, password: string): Promise<void> {
    const existing = this.require(username);
    checkAdminPassword(password);
    this.records.save('admin', username, { ...existing, passwordHash: await hashPassword(password, 'argon2id'), tokensValidFrom: Date.now() });
    await this.flushed();
  }

  async update(username: string, change: { description?: string; role?: AdminRole }): Promise<AdminSummary> {
    const existing = this.require(username);
    if (change.role !== undefined && !ADMIN_ROLES.includes(change.role)) throw new AdminAccountError('bad_role', `role must be ${ADMIN_ROLES.join(' or ')}`);
    const updated: AdminRecord = { ...existing, ...(change.description === undefined ? {} : { description: change.description }) };
    if (change.role !== undefined && change.role !== existing.role) Object.assign(updated, { role: change.role, tokensValidFrom: Date.now() });
    this.records.save('admin', username, updated);
    await this.flushed();
    const { passwordHash: _hash, tokensValidFrom: _from, ...summary } = updated;
    return summary;
  }

  async delete(username: string): Promise<void> {
    this.require(username);
    this.records.delete('admin', username);
    await this.flushed();
  }

  /** The administrator when the password is right; undefined otherwise. */
  async verify(username: string, password: string): Promise<AdminRecord | undefined> {
    const admin = this.get(username);
    if (admin === undefined) return undefined;
    return (await verifyPassword(password, admin.passwordHash)) ? admin : undefined;
  }

  private require(username: string): AdminRecord {
    const admin = this.get(username);
    if (admin === undefined) throw new AdminAccountError('username_not_found');
    return admin;
  }
}
