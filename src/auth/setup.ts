// Wires authentication into a broker: builds the authenticators the configuration names, registers
// the `authenticate` and `enhancedAuth` hooks (at a low priority, so hooks an embedder adds run
// first), and backs `broker.users` with the store's user records.

import type { AuthenticatorConfig, BrokerConfig } from '../config/types.js';
import type { HookMap } from '../hooks/hooks.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { PolicyResolver, runChain, type Authenticator } from './authenticator.js';
import { CertificateAuthenticator } from './certificate.js';
import { HttpAuthenticator } from './http-auth.js';
import { JwtAuthenticator } from './jwt.js';
import { BuiltinAuthenticator, PasswordFileAuthenticator } from './password-authenticators.js';
import { ScramServer } from './scram.js';
import { UserDatabase, type UserOptions, type UserSummary } from './users.js';

/** Below the default 0: library hooks decide first, the configured chain (always decisive) last. */
export const AUTHENTICATION_HOOK_PRIORITY = -1000;

interface HookTarget {
  addHook<K extends keyof HookMap>(name: K, fn: HookMap[K], options?: { priority?: number; name?: string }): () => void;
}

export function createAuthenticator(config: AuthenticatorConfig, users: UserDatabase): Authenticator {
  switch (config.type) {
    case 'builtin':
      return new BuiltinAuthenticator(users);
    case 'passwordFile':
      return new PasswordFileAuthenticator(config.file);
    case 'jwt':
      return new JwtAuthenticator(config);
    case 'http':
      return new HttpAuthenticator(config);
    case 'certificate':
      return new CertificateAuthenticator(config);
  }
}

/** Registers the hooks; returns the user database over `store`. */
export function installAuthentication(broker: HookTarget, config: BrokerConfig, store: Store, logger: Logger): UserDatabase {
  const users = new UserDatabase(store, config.passwordHash);
  const resolver = new PolicyResolver(config.authentication, config.allowAnonymous, (authenticatorConfig) => createAuthenticator(authenticatorConfig, users));
  const scram = new ScramServer(users);
  const onError = (name: string, error: unknown): void => {
    logger.error({ authenticator: name, err: error }, 'authenticator failed; the client is refused');
  };
  broker.addHook('authenticate', (request) => runChain(resolver.forPeer(request.peer), request, onError), { priority: AUTHENTICATION_HOOK_PRIORITY });
  broker.addHook(
    'enhancedAuth',
    (request) => (resolver.forPeer(request.peer).scram ? scram.step(request) : undefined),
    { priority: AUTHENTICATION_HOOK_PRIORITY },
  );
  return users;
}

/** `broker.users`: the built-in user database; each call waits for the broker's store to be open. */
export class BrokerUsers {
  constructor(private readonly database: () => Promise<UserDatabase>) {}

  async add(username: string, password: string, options: UserOptions = {}): Promise<void> {
    await (await this.database()).add(username, password, options);
  }

  async setPassword(username: string, password: string, options: { force?: boolean } = {}): Promise<void> {
    await (await this.database()).setPassword(username, password, options);
  }

  async update(username: string, changes: { superuser?: boolean; clientId?: string | null }): Promise<void> {
    await (await this.database()).update(username, changes);
  }

  async delete(username: string): Promise<void> {
    await (await this.database()).delete(username);
  }

  async list(): Promise<UserSummary[]> {
    return (await this.database()).list();
  }
}
