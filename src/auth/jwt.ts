// JWT authentication (jose): the token comes from the CONNECT password (or username) and is
// verified with a shared secret (HS*), a PEM public key file, or a JWKS URL (fetched once and
// cached by jose, refetched for an unknown `kid` at most every 30 s). `exp` and `nbf` are checked by
// jwtVerify; the verified claims are handed to ACL rules as `client.attributes.jwt` (for
// `${jwt.<claim>}`), and the topics of the optional ACL claim as `client.attributes.jwtAcl`.

import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { ReasonCode } from '../codec/constants.js';
import type { JwtAuthenticatorConfig } from '../config/types.js';
import type { AuthenticateRequest, AuthenticateResult } from '../hooks/events.js';
import type { Authenticator } from './authenticator.js';
import { parseAclClaim } from './jwt-acl-claim.js';

/** Three base64url parts: anything else in the field is not a token and is left to the next authenticator. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const DEFAULT_JWKS_CACHE_SECONDS = 600;

export class JwtAuthenticator implements Authenticator {
  readonly name = 'jwt';
  private readonly key: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;
  private readonly from: 'password' | 'username';

  constructor(private readonly config: JwtAuthenticatorConfig) {
    this.from = config.from ?? 'password';
    if (config.secret !== undefined) {
      this.key = new TextEncoder().encode(config.secret);
    } else if (config.publicKeyFile !== undefined) {
      this.key = createPublicKey(readFileSync(config.publicKeyFile, 'utf8'));
    } else {
      this.key = createRemoteJWKSet(new URL(config.jwksUrl!), {
        cacheMaxAge: (config.jwksCacheSeconds ?? DEFAULT_JWKS_CACHE_SECONDS) * 1000,
      });
    }
    this.options = {};
    if (config.algorithms !== undefined) this.options.algorithms = config.algorithms;
    else if (config.secret !== undefined) this.options.algorithms = ['HS256', 'HS384', 'HS512'];
    if (config.issuer !== undefined) this.options.issuer = config.issuer;
    if (config.audience !== undefined) this.options.audience = config.audience;
  }

  async authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    const token = this.from === 'password' ? request.password?.toString('utf8') : request.username;
    if (token === undefined || !TOKEN_SHAPE.test(token)) return undefined;
    let payload: JWTPayload;
    try {
      payload = (await jwtVerify(token, this.key as Parameters<typeof jwtVerify>[1], this.options)).payload;
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      return { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: `invalid token (${reason})` };
    }
    const usernameClaim = this.config.usernameClaim ?? (this.from === 'username' ? 'sub' : undefined);
    const claimedUsername = usernameClaim === undefined ? undefined : payload[usernameClaim];
    let username: string | undefined;
    if (this.from === 'username') {
      // The username field held the token; the client is known by the claim from now on.
      if (typeof claimedUsername === 'string') username = claimedUsername;
    } else if (usernameClaim !== undefined && claimedUsername !== request.username) {
      return { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: `the token's ${usernameClaim} is not the username` };
    }
    const attributes: Record<string, unknown> = { jwt: payload };
    if (this.config.aclClaim !== undefined && payload[this.config.aclClaim] !== undefined) {
      const grants = parseAclClaim(payload[this.config.aclClaim], this.config.aclClaim);
      if (typeof grants === 'string') return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: `invalid token (${grants})` };
      attributes['jwtAcl'] = grants;
    }
    const result: AuthenticateResult = {
      result: 'allow',
      superuser: payload[this.config.superuserClaim ?? 'is_superuser'] === true,
      attributes,
    };
    if (username !== undefined) result.username = username;
    return result;
  }
}
