// Password hashes: scrypt with a random per-password salt, stored as a PHC-like string
// `scrypt$N$r$p$<salt base64>$<hash base64>` so parameters can be raised later without breaking
// existing hashes. Verification recomputes with the stored parameters and compares in constant time.

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** 2^14: about 16 MiB and a few tens of milliseconds per hash (the OWASP minimum for scrypt is 2^17 with r=8 at p=1; raise with care, every CONNECT pays it). */
const DEFAULT_N = 16_384;
const DEFAULT_R = 8;
const DEFAULT_P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

function derive(password: Buffer | string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

export async function hashPassword(password: string | Buffer): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, DEFAULT_N, DEFAULT_R, DEFAULT_P, HASH_BYTES);
  return `scrypt$${DEFAULT_N}$${DEFAULT_R}$${DEFAULT_P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when the string is a hash this module can verify. */
export function isPasswordHash(text: string): boolean {
  return parse(text) !== undefined;
}

/** False for a wrong password and for a hash it cannot read (never throws on bad input). */
export async function verifyPassword(password: string | Buffer, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (parsed === undefined) return false;
  const actual = await derive(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(encoded: string): ParsedHash | undefined {
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
