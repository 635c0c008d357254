// Login tokens: a signed JWT (HS256) naming the administrator, with a short lifetime. The signing key
// is a random secret kept in the store (record `api/jwt_secret`), so tokens survive a restart and every
// node sharing the store accepts them. Logging out revokes a token until it would have expired.

import { randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { RecordStore } from '../../store/store.js';
import { AdminError } from '../../admin/operations.js';

const SECRET_KEY = 'jwt_secret';
const ISSUER = 'starling';

export interface IssuedToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface TokenClaims {
  username: string;
  /** The token's id (jti), for logout. */
  id: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export class TokenService {
  /** Revoked token ids, with when they would have expired (then they are forgotten). */
  private readonly revoked = new Map<string, number>();
  private key: Uint8Array | undefined;

  constructor(
    private readonly records: RecordStore,
    /** Token lifetime in seconds. */
    private readonly ttlSeconds: number,
  ) {}

  async issue(username: string, now = Date.now()): Promise<IssuedToken> {
    const expiresAt = now + this.ttlSeconds * 1000;
    const token = await new SignJWT({ iat_ms: now })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(username)
      .setIssuer(ISSUER)
      .setJti(randomUUID())
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(this.signingKey());
    return { token, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
  }

  /** The claims of a valid, unrevoked token; a 401 saying why otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.signingKey(), { issuer: ISSUER, algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AdminError(401, 'the token has expired: log in again', 'TOKEN_TIME_OUT');
      throw new AdminError(401, 'the token is not valid', 'BAD_TOKEN');
    }
    const { sub, jti, exp, iat_ms: issuedAt } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof issuedAt !== 'number') throw new AdminError(401, 'the token is not valid', 'BAD_TOKEN');
    if (this.revoked.has(jti)) throw new AdminError(401, 'the token was logged out', 'BAD_TOKEN');
    return { username: sub, id: jti, issuedAt, expiresAt: exp * 1000 };
  }

  revoke(claims: TokenClaims, now = Date.now()): void {
    for (const [id, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(id);
    this.revoked.set(claims.id, claims.expiresAt);
  }

  private signingKey(): Uint8Array {
    if (this.key !== undefined) return this.key;
    let secret = this.records.get<string>('api', SECRET_KEY);
    if (typeof secret !== 'string') {
      secret = randomBytes(32).toString('base64');
      this.records.save('api', SECRET_KEY, secret);
    }
    this.key = Buffer.from(secret, 'base64');
    return this.key;
  }
}
