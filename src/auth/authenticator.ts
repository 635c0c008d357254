// The authenticator chain. Each authenticator answers allow, deny, or undefined ("not mine, ask
// the next one"); the first decisive answer wins. When nobody decides, the listener's anonymous
// policy does: a client without a username is let in only where anonymous access is allowed, and
// one whose credentials nobody recognised is refused. With no authentication configured and no
// allow_anonymous setting, a listener on a network address lets anonymous clients in from loopback
// peers only: a first run just works locally and stays closed to the network.

import { ReasonCode } from '../codec/constants.js';
import type { AuthenticatorConfig, ListenerConfig } from '../config/types.js';
import type { AuthenticateRequest, AuthenticateResult } from '../hooks/events.js';
import type { PeerInfo } from '../core/client.js';
import { isThenable } from '../hooks/thenable.js';

export interface Authenticator {
  /** For log lines: `builtin`, `jwt`, ... */
  readonly name: string;
  authenticate(request: AuthenticateRequest): AuthenticateResult | Promise<AuthenticateResult>;
}

/** What applies to the clients of one listener. */
export interface ListenerPolicy {
  chain: Authenticator[];
  /** `loopback`: only clients whose peer address is loopback (the default with no authentication on a network listener). */
  allowAnonymous: boolean | 'loopback';
  /** The chain holds the builtin authenticator, which also answers SCRAM enhanced authentication. */
  scram: boolean;
}

/** 127.0.0.0/8, ::1, localhost (and ::ffff:127.x): a listener on one of these is not reachable from the network. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost' || lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const v4 = lower.startsWith('::ffff:') ? lower.slice(7) : lower;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Builds (once per listener configuration) and returns the policy for a peer. */
export class PolicyResolver {
  private readonly byListener = new WeakMap<ListenerConfig, ListenerPolicy>();
  private readonly unlisted: ListenerPolicy;

  constructor(
    private readonly globalChain: AuthenticatorConfig[],
    private readonly globalAllowAnonymous: boolean | undefined,
    private readonly build: (config: AuthenticatorConfig) => Authenticator,
  ) {
    // Streams served by handleConnection() have no listener: the broker-wide setting, else open (the embedder owns that transport).
    this.unlisted = this.policy(globalChain, globalAllowAnonymous ?? true);
  }

  forPeer(peer: PeerInfo): ListenerPolicy {
    const listener = peer.listenerConfig;
    if (listener === undefined) return this.unlisted;
    let policy = this.byListener.get(listener);
    if (policy === undefined) {
      const chain = listener.authentication ?? this.globalChain;
      const allowAnonymous = listener.allowAnonymous ?? this.globalAllowAnonymous ?? (isLoopbackHost(listener.host) || (chain.length === 0 ? 'loopback' : false));
      policy = this.policy(chain, allowAnonymous);
      this.byListener.set(listener, policy);
    }
    return policy;
  }

  private policy(configs: AuthenticatorConfig[], allowAnonymous: boolean | 'loopback'): ListenerPolicy {
    // The same configuration object (the global list) yields the same authenticators, so caches are shared.
    return { chain: configs.map((config) => this.buildOnce(config)), allowAnonymous, scram: configs.some((config) => config.type === 'builtin') };
  }

  private readonly built = new Map<AuthenticatorConfig, Authenticator>();
  private buildOnce(config: AuthenticatorConfig): Authenticator {
    let authenticator = this.built.get(config);
    if (authenticator === undefined) {
      authenticator = this.build(config);
      this.built.set(config, authenticator);
    }
    return authenticator;
  }
}

type Decision = Exclude<AuthenticateResult, undefined>;

export interface ChainObserver {
  /** An authenticator threw or rejected: the client is refused. */
  onError(name: string, error: unknown): void;
  /** A client from a non-loopback address was refused by the loopback-only default. */
  onLoopbackOnly(request: AuthenticateRequest): void;
}

/**
 * Runs a listener's chain, then its anonymous policy. Always decisive. Synchronous while every
 * authenticator answers synchronously (an empty chain, a cached password check), so such a CONNECT
 * is answered without waiting for a microtask.
 */
export function runChain(policy: ListenerPolicy, request: AuthenticateRequest, observer: ChainObserver): Decision | Promise<Decision> {
  const chain = policy.chain;
  for (let index = 0; index < chain.length; index++) {
    const authenticator = chain[index]!;
    let result: AuthenticateResult | Promise<AuthenticateResult>;
    try {
      result = authenticator.authenticate(request);
    } catch (error) {
      return unavailable(authenticator, error, observer);
    }
    if (isThenable(result)) return runChainFrom(policy, request, observer, index, Promise.resolve(result));
    if (result !== undefined) return result;
  }
  return fallback(policy, request, observer);
}

async function runChainFrom(
  policy: ListenerPolicy,
  request: AuthenticateRequest,
  observer: ChainObserver,
  index: number,
  pending: Promise<AuthenticateResult>,
): Promise<Decision> {
  for (let next = index; next < policy.chain.length; next++) {
    const authenticator = policy.chain[next]!;
    let result: AuthenticateResult;
    try {
      result = await (next === index ? pending : authenticator.authenticate(request));
    } catch (error) {
      return unavailable(authenticator, error, observer);
    }
    if (result !== undefined) return result;
  }
  return fallback(policy, request, observer);
}

/** A broken back-end (unreadable passwords file, ...) refuses rather than letting a client through. */
function unavailable(authenticator: Authenticator, error: unknown, observer: ChainObserver): Decision {
  observer.onError(authenticator.name, error);
  return { result: 'deny', reasonCode: ReasonCode.ServerUnavailable, reasonString: 'authentication unavailable' };
}

/** No authenticator answered: the listener's anonymous policy decides. */
function fallback(policy: ListenerPolicy, request: AuthenticateRequest, observer: ChainObserver): Decision {
  if (policy.allowAnonymous === 'loopback') {
    // Only with an empty chain: nobody could check a username either, so loopback peers are let in as they are.
    if (isLoopbackHost(request.peer.address)) return { result: 'allow' };
    observer.onLoopbackOnly(request);
    return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: 'no authentication is configured: anonymous access is allowed from loopback addresses only' };
  }
  const anonymous = request.username === undefined && request.password === undefined;
  if (policy.chain.length === 0 && policy.allowAnonymous) return { result: 'allow' };
  if (anonymous) {
    return policy.allowAnonymous ? { result: 'allow' } : { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: 'anonymous access is not allowed on this listener' };
  }
  if (policy.chain.length === 0) return { result: 'deny', reasonCode: ReasonCode.NotAuthorized, reasonString: 'no authenticator is configured and anonymous access is not allowed' };
  return { result: 'deny', reasonCode: ReasonCode.BadUserNameOrPassword, reasonString: 'bad username or password' };
}
