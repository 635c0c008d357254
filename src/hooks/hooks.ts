// Typed hook points the broker asks before acting: authentication and authorization. Each hook is a
// chain; the first decisive answer wins. With no hook registered, the default answer is used without
// any await, so the hot path pays nothing for the feature.

import type {
  AdmitConnectRequest,
  AdmitConnectResult,
  AuthenticateRequest,
  AuthenticateResult,
  AuthorizePublishRequest,
  AuthorizeReceiveRequest,
  AuthorizeSubscribeRequest,
  EnhancedAuthRequest,
  EnhancedAuthResult,
  LimitPublishRequest,
  PublishLimit,
} from './events.js';
import { isThenable } from './thenable.js';

type MaybePromise<T> = T | Promise<T>;

export interface HookMap {
  /** At CONNECT, before CONNACK. Answer undefined to pass to the next authenticator. */
  authenticate: (request: AuthenticateRequest) => MaybePromise<AuthenticateResult>;
  /** Before a PUBLISH is routed (and before its PUBACK/PUBREC). true allows; false or undefined passes on. */
  authorizePublish: (request: AuthorizePublishRequest) => MaybePromise<boolean | undefined>;
  /** For each filter of a SUBSCRIBE. true allows, false denies, a number grants that QoS or fails with that reason code. */
  authorizeSubscribe: (request: AuthorizeSubscribeRequest) => MaybePromise<boolean | number | undefined>;
  /** MQTT 5 enhanced authentication; the first hook that does not return undefined answers. */
  enhancedAuth: (request: EnhancedAuthRequest) => MaybePromise<EnhancedAuthResult | undefined>;
  /** At CONNECT, before authentication, synchronously (bans, lockout, flapping): a result refuses the connection. */
  admitConnect: (request: AdmitConnectRequest) => AdmitConnectResult;
  /** Whether a client may receive a message on a topic (retained messages sent on SUBSCRIBE). true allows, false denies. */
  authorizeReceive: (request: AuthorizeReceiveRequest) => MaybePromise<boolean | undefined>;
  /** Before a PUBLISH is authorized (rate limits): 'drop', 'disconnect', a promise to wait for, or undefined to go on. */
  limitPublish: (request: LimitPublishRequest) => PublishLimit | Promise<void> | undefined;
}

export type HookName = keyof HookMap;

interface Entry<K extends HookName> {
  fn: HookMap[K];
  priority: number;
}

export class HookBus {
  private readonly chains: { [K in HookName]: Array<Entry<K>> } = {
    authenticate: [],
    authorizePublish: [],
    authorizeSubscribe: [],
    enhancedAuth: [],
    admitConnect: [],
    authorizeReceive: [],
    limitPublish: [],
  };

  /** Registers fn; higher priority runs first. Returns a function that removes it. */
  add<K extends HookName>(name: K, fn: HookMap[K], options: { priority?: number } = {}): () => void {
    const chain = this.chains[name] as Array<Entry<K>>;
    const entry: Entry<K> = { fn, priority: options.priority ?? 0 };
    chain.push(entry);
    chain.sort((a, b) => b.priority - a.priority);
    return () => {
      const index = chain.indexOf(entry);
      if (index >= 0) chain.splice(index, 1);
    };
  }

  has(name: HookName): boolean {
    return this.chains[name].length > 0;
  }

  /** The first decisive answer; synchronous while every hook answers synchronously (anonymous access, no back-end call). */
  authenticate(request: AuthenticateRequest): AuthenticateResult | Promise<AuthenticateResult> {
    return firstAnswer(this.chains.authenticate, request, undefined);
  }

  /**
   * True when some hook allows; with no hooks, allows. Synchronous while every hook answers
   * synchronously (an ACL with its decision cache), so an authorized PUBLISH need not wait a tick.
   */
  authorizePublish(request: AuthorizePublishRequest): boolean | Promise<boolean> {
    const chain = this.chains.authorizePublish;
    return firstAnswer(chain, request, chain.length === 0);
  }

  /** The first refusal, or undefined to admit. */
  admitConnect(request: AdmitConnectRequest): AdmitConnectResult {
    for (const { fn } of this.chains.admitConnect) {
      const result = fn(request);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  /** True unless some hook denies; synchronous while every hook answers synchronously. */
  authorizeReceive(request: AuthorizeReceiveRequest): boolean | Promise<boolean> {
    return firstAnswer(this.chains.authorizeReceive, request, true);
  }

  /** The first hook's limit that is not undefined. */
  limitPublish(request: LimitPublishRequest): PublishLimit | Promise<void> | undefined {
    for (const { fn } of this.chains.limitPublish) {
      const result = fn(request);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  async authorizeSubscribe(request: AuthorizeSubscribeRequest): Promise<boolean | number> {
    for (const { fn } of this.chains.authorizeSubscribe) {
      const result = await fn(request);
      if (result !== undefined) return result;
    }
    return this.chains.authorizeSubscribe.length === 0;
  }

  async enhancedAuth(request: EnhancedAuthRequest): Promise<EnhancedAuthResult | undefined> {
    for (const { fn } of this.chains.enhancedAuth) {
      const result = await fn(request);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}

type AnswerChain<Q, A> = ReadonlyArray<{ fn: (request: Q) => A | undefined | PromiseLike<A | undefined> }>;

/** The first answer that is not undefined, else `fallback`; synchronous while every hook answers synchronously. */
function firstAnswer<Q, A>(chain: AnswerChain<Q, A>, request: Q, fallback: A): A | Promise<A> {
  for (let index = 0; index < chain.length; index++) {
    const result = chain[index]!.fn(request);
    if (isThenable(result)) return firstAnswerFrom(chain, request, index, result, fallback);
    if (result !== undefined) return result;
  }
  return fallback;
}

async function firstAnswerFrom<Q, A>(chain: AnswerChain<Q, A>, request: Q, index: number, pending: PromiseLike<A | undefined>, fallback: A): Promise<A> {
  const first = await pending;
  if (first !== undefined) return first;
  for (let next = index + 1; next < chain.length; next++) {
    const result = await chain[next]!.fn(request);
    if (result !== undefined) return result;
  }
  return fallback;
}
