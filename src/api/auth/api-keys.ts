// API keys: credentials for scripts and Prometheus, used as HTTP basic auth `key:secret`. One
// 'api_key' record per name, holding the key, a SHA-256 hash of the secret (the secret is shown once,
// when the key is made), and its role, expiry and enabled flag. A random 256-bit secret needs no slow
// hash: there is nothing to guess, and verifying stays cheap on every request.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RecordStore } from '../../store/store.js';
import { AdminError } from '../../admin/operations.js';
import { ADMIN_ROLES, type AdminRole } from '../../admin/admins.js';

export interface ApiKeyRecord {
  name: string;
  apiKey: string;
  /** SHA-256 of the secret, hex. */
  secretHash: string;
  description: string;
  enabled: boolean;
  /** Milliseconds since the epoch; absent: never expires. */
  expiresAt?: number;
  role: AdminRole;
  createdAt: number;
}

export type ApiKeySummary = Omit<ApiKeyRecord, 'secretHash'>;

export interface NewApiKey {
  name: string;
  description?: string;
  enabled?: boolean;
  expiresAt?: number;
  role?: AdminRole;
}

export type ApiKeyChange = Partial<Pick<ApiKeyRecord, 'description' | 'enabled' | 'role'>> & { expiresAt?: number | null };

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,255}$/;

export class ApiKeyDatabase {
  constructor(
    private readonly records: RecordStore,
    /** Resolves when the writes made so far are durable. */
    private readonly flushed: () => Promise<void> | undefined,
  ) {}

  list(): ApiKeySummary[] {
    return this.records.list<ApiKeyRecord>('api_key').map(([, record]) => summary(record));
  }

  get(name: string): ApiKeySummary | undefined {
    const record = this.records.get<ApiKeyRecord>('api_key', name);
    return record === undefined ? undefined : summary(record);
  }

  /** Makes a key; the answer holds the secret, which is never shown again. */
  async add(input: NewApiKey, now = Date.now()): Promise<ApiKeySummary & { apiSecret: string }> {
    if (!NAME.test(input.name)) throw new AdminError(400, 'name: a letter, then up to 255 letters, digits, "_" or "-"');
    if (this.records.get('api_key', input.name) !== undefined) throw new AdminError(400, `name_already_existed: an API key named ${input.name} exists`, 'BAD_REQUEST');
    checkRole(input.role);
    if (input.expiresAt !== undefined && input.expiresAt <= now) throw new AdminError(400, 'expired_at: must be in the future');
    const apiSecret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      name: input.name,
      apiKey: randomBytes(8).toString('hex'),
      secretHash: hashSecret(apiSecret),
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      role: input.role ?? 'administrator',
      createdAt: now,
    };
    if (input.expiresAt !== undefined) record.expiresAt = input.expiresAt;
    this.records.save('api_key', record.name, record);
    await this.flushed();
    return { ...summary(record), apiSecret };
  }

  async update(name: string, change: ApiKeyChange): Promise<ApiKeySummary> {
    const record = this.require(name);
    checkRole(change.role);
    const updated: ApiKeyRecord = { ...record };
    if (change.description !== undefined) updated.description = change.description;
    if (change.enabled !== undefined) updated.enabled = change.enabled;
    if (change.role !== undefined) updated.role = change.role;
    if (change.expiresAt === null) delete updated.expiresAt;
    else if (change.expiresAt !== undefined) updated.expiresAt = change.expiresAt;
    this.records.save('api_key', name, updated);
    await this.flushed();
    return summary(updated);
  }

  async delete(name: string): Promise<void> {
    this.require(name);
    this.records.delete('api_key', name);
    await this.flushed();
  }

  /** The key when `apiKey:secret` is right and the key is enabled and unexpired; undefined otherwise. */
  verify(apiKey: string, secret: string, now = Date.now()): ApiKeySummary | undefined {
    const record = this.records.list<ApiKeyRecord>('api_key').find(([, candidate]) => candidate.apiKey === apiKey)?.[1];
    if (record === undefined) return undefined;
    const given = Buffer.from(hashSecret(secret), 'hex');
    const expected = Buffer.from(record.secretHash, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (!record.enabled || (record.expiresAt !== undefined && record.expiresAt <= now)) return undefined;
    return summary(record);
  }

  private require(name: string): ApiKeyRecord {
    const record = this.records.get<ApiKeyRecord>('api_key', name);
    if (record === undefined) throw new AdminError(404, `Name NOT FOUND: no API key named ${name}`, 'NOT_FOUND');
    return record;
  }
}

function checkRole(role: string | undefined): void {
  if (role !== undefined && !(ADMIN_ROLES as readonly string[]).includes(role)) throw new AdminError(400, `role: must be ${ADMIN_ROLES.join(' or ')}, got "${role}"`);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function summary({ secretHash: _hash, ...rest }: ApiKeyRecord): ApiKeySummary {
  return rest;
}
