// Password hashes, with a random per-password salt, in one of two self-describing formats:
// - argon2id (the default for new hashes): the PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`
//   (@node-rs/argon2; m=19 MiB, t=2, p=1 is OWASP's recommended minimum);
// - scrypt: `scrypt$N$r$p$<salt base64>$<hash base64>` with N=2^14, r=8, p=1.
// Both carry their parameters, so they can be raised later without breaking existing hashes, and a
// file or store may mix them. Verification uses the stored parameters and compares in constant time.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, parseOptions as argon2Parameters, verify as argon2Verify } from '@node-rs/argon2';
import type { PasswordHashAlgorithm } from '../config/types.js';

export type { PasswordHashAlgorithm };
export const PASSWORD_HASH_ALGORITHMS: readonly PasswordHashAlgorithm[] = ['argon2id', 'scrypt'];
export const DEFAULT_PASSWORD_HASH: PasswordHashAlgorithm = 'argon2id';

/** @node-rs/argon2's Algorithm.Argon2id (a const enum, which isolated modules cannot import). */
const ARGON2ID = 2;
// OWASP: m=19456 KiB, t=2, p=1 (also the package's defaults, spelled out so they cannot drift).
const ARGON2_MEMORY_KIB = 19_456;
const ARGON2_TIME = 2;
const ARGON2_PARALLELISM = 1;

/** 2^14: about 16 MiB and a few tens of milliseconds per hash (the OWASP minimum for scrypt is 2^17 with r=8 at p=1; raise with care, every CONNECT pays it). */
const SCRYPT_N = 16_384;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export function isPasswordHashAlgorithm(value: unknown): value is PasswordHashAlgorithm {
  return PASSWORD_HASH_ALGORITHMS.includes(value as PasswordHashAlgorithm);
}

export async function hashPassword(password: string | Buffer, algorithm: PasswordHashAlgorithm = DEFAULT_PASSWORD_HASH): Promise<string> {
  if (algorithm === 'argon2id') {
    return argon2Hash(password, { algorithm: ARGON2ID, memoryCost: ARGON2_MEMORY_KIB, timeCost: ARGON2_TIME, parallelism: ARGON2_PARALLELISM });
  }
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveScrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES);
  return `scrypt$${SCRYPT_N}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when the string is a hash this module can verify. */
export function isPasswordHash(text: string): boolean {
  return parseArgon2(text) || parseScrypt(text) !== undefined;
}

/** False for a wrong password and for a hash it cannot read (never throws on bad input). */
export async function verifyPassword(password: string | Buffer, encoded: string): Promise<boolean> {
  if (parseArgon2(encoded)) return argon2Verify(encoded, password).catch(() => false);
  const parsed = parseScrypt(encoded);
  if (parsed === undefined) return false;
  const actual = await deriveScrypt(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

/** An argon2id PHC string with parameters a CONNECT can afford (a hand-edited file must not make one allocate gigabytes). */
function parseArgon2(encoded: string): boolean {
  if (!encoded.startsWith('$argon2id$')) return false;
  try {
    const { algorithm, memoryCost, timeCost, parallelism, outputLen, saltLen } = argon2Parameters(encoded);
    return algorithm === ARGON2ID && memoryCost <= 1_048_576 && timeCost <= 16 && parallelism <= 16 && outputLen >= 16 && saltLen >= 8;
  } catch {
    return false;
  }
}

function deriveScrypt(password: Buffer | string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseScrypt(encoded: string): ScryptHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // Bounded so a hand-edited file cannot make one CONNECT allocate gigabytes.
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}
