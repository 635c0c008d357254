// Wires authentication into a broker: builds the authenticators the configuration names, registers
// the `authenticate` and `enhancedAuth` hooks (at a low priority, so hooks an embedder adds run
// first), and backs `broker.users` with the store's user records.

import type { AuthenticatorConfig, BrokerConfig } from '../config/types.js';
import type { HookMap } from '../hooks/hooks.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { PolicyResolver, runChain, type Authenticator, type ChainObserver } from './authenticator.js';
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

/** The authentication a broker runs: its built-in users and the chain, which a configuration reload may replace. */
export interface Authentication {
  readonly users: UserDatabase;
  /**
   * Builds the chain and anonymous policy of `config` (throwing, with nothing changed, when an
   * authenticator cannot be built: an unreadable key file) and uses them from the next CONNECT on;
   * connected clients stay. Also takes the new password hash for new built-in user passwords.
   */
  reconfigure(config: Pick<BrokerConfig, 'authentication' | 'allowAnonymous' | 'passwordHash'>): void;
}

/** Throws when an authenticator of the chain cannot be built (a missing public key file, a bad JWKS URL). */
export function checkAuthenticationChain(config: Pick<BrokerConfig, 'authentication' | 'allowAnonymous'>, users: UserDatabase): void {
  void new PolicyResolver(config.authentication, config.allowAnonymous, (authenticatorConfig) => createAuthenticator(authenticatorConfig, users));
}

/** Registers the hooks; returns the user database over `store` and a way to change the chain. */
export function installAuthentication(broker: HookTarget, config: BrokerConfig, store: Store, logger: Logger): Authentication {
  const users = new UserDatabase(store, config.passwordHash);
  const resolverOf = (next: Pick<BrokerConfig, 'authentication' | 'allowAnonymous'>): PolicyResolver =>
    new PolicyResolver(next.authentication, next.allowAnonymous, (authenticatorConfig) => createAuthenticator(authenticatorConfig, users));
  let resolver = resolverOf(config);
  const scram = new ScramServer(users);
  const observer: ChainObserver = {
    onError: (name, error) => logger.error({ authenticator: name, err: error }, 'authenticator failed; the client is refused'),
    onLoopbackOnly: loopbackOnlyLog(logger),
  };
  broker.addHook('authenticate', (request) => runChain(resolver.forPeer(request.peer), request, observer), { priority: AUTHENTICATION_HOOK_PRIORITY });
  broker.addHook(
    'enhancedAuth',
    (request) => (resolver.forPeer(request.peer).scram ? scram.step(request) : undefined),
    { priority: AUTHENTICATION_HOOK_PRIORITY },
  );
  return {
    users,
    reconfigure(next) {
      resolver = resolverOf(next);
      users.passwordHash = next.passwordHash;
    },
  };
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

/** Minimum time between two log lines about clients the loopback-only default refused. */
const LOOPBACK_ONLY_LOG_INTERVAL_MS = 60_000;

/** Logs the first refusal at once, then at most one line a minute with the count since the last. */
function loopbackOnlyLog(logger: Logger): ChainObserver['onLoopbackOnly'] {
  let loggedAt = -Infinity;
  let unlogged = 0;
  return (request) => {
    const now = Date.now();
    if (now - loggedAt < LOOPBACK_ONLY_LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    logger.warn(
      { clientId: request.clientId, peer: request.peer.address, listener: request.peer.listener, refusedSinceLastLine: unlogged },
      'client refused: no authentication is configured, so only loopback clients may connect; set allow_anonymous: true (globally or on the listener) or configure authentication to let others in',
    );
    loggedAt = now;
    unlogged = 0;
  };
}
