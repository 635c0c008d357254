// Username/password authenticators: the built-in users in the store, and a passwords file.
// An unknown username is "not mine" (the next authenticator may know it); a known one with a
// wrong or missing password is denied.

import { ReasonCode } from '../codec/constants.js';
import type { AuthenticateRequest, AuthenticateResult } from '../hooks/events.js';
import type { Authenticator } from './authenticator.js';
import { verifyPassword } from './password-hash.js';
import { PasswordFileCache } from './password-file.js';
import type { UserDatabase } from './users.js';

const badPassword = { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: 'bad username or password' } as const;

export class BuiltinAuthenticator implements Authenticator {
  readonly name = 'builtin';
  constructor(private readonly users: UserDatabase) {}

  async authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    if (request.username === undefined) return undefined;
    const user = this.users.get(request.username);
    if (user === undefined) return undefined;
    if (request.password === undefined || !(await verifyPassword(request.password, user.passwordHash))) return badPassword;
    if (user.clientId !== undefined && user.clientId !== request.clientId) {
      return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: `user ${user.username} is bound to another client id` };
    }
    return { result: 'allow', superuser: user.superuser };
  }
}

export class PasswordFileAuthenticator implements Authenticator {
  readonly name = 'password_file';
  private readonly cache: PasswordFileCache;

  constructor(file: string) {
    this.cache = new PasswordFileCache(file);
  }

  async authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    if (request.username === undefined) return undefined;
    const hash = this.cache.get(request.username);
    if (hash === undefined) return undefined;
    if (request.password === undefined || !(await verifyPassword(request.password, hash))) return badPassword;
    return { result: 'allow' };
  }
}
