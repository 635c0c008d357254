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
  MessagePublishedEvent,
} from './events.js';
import type { ClientInfo } from '../core/client.js';
import type { Message } from '../core/message.js';
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
  /**
   * Before a message is routed (after authorization), synchronously, in priority order: return a Message to
   * route instead (make it with withChanges() to keep its id and origin), null to drop it, undefined to keep it.
   * Each hook sees what the one before it returned. Costs nothing while none is registered.
   */
  'message.publish': (event: MessagePublishedEvent) => Message | null | undefined;
}

export type HookName = keyof HookMap;

interface Entry<K extends HookName> {
  fn: HookMap[K];
  priority: number;
  /** Who this hook is, for the `client.authorized` event's `source` ('acl', 'jwt-acl', ...; 'hook' when unnamed). */
  name: string;
}

/** Told which hook decided an authorization ('default' when none answered); passed only while someone listens. */
export type DecisionReport = (source: string, answer: unknown) => void;

export class HookBus {
  private readonly chains: { [K in HookName]: Array<Entry<K>> } = {
    authenticate: [],
    authorizePublish: [],
    authorizeSubscribe: [],
    enhancedAuth: [],
    admitConnect: [],
    authorizeReceive: [],
    limitPublish: [],
    'message.publish': [],
  };

  /** Registers fn; higher priority runs first. Returns a function that removes it. */
  add<K extends HookName>(name: K, fn: HookMap[K], options: { priority?: number; name?: string } = {}): () => void {
    const chain = this.chains[name] as Array<Entry<K>>;
    const entry: Entry<K> = { fn, priority: options.priority ?? 0, name: options.name ?? 'hook' };
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
  authorizePublish(request: AuthorizePublishRequest, report?: DecisionReport): boolean | Promise<boolean> {
    const chain = this.chains.authorizePublish;
    return firstAnswer(chain, request, chain.length === 0, report);
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

  /** Runs the 'message.publish' hooks over a message: the message to route, or null when one dropped it. */
  foldPublish(message: Message, publisher: ClientInfo | undefined): Message | null {
    let current = message;
    for (const { fn } of this.chains['message.publish']) {
      const result = fn({ message: current, publisher });
      if (result === null) return null;
      if (result !== undefined) current = result;
    }
    return current;
  }

  async authorizeSubscribe(request: AuthorizeSubscribeRequest, report?: DecisionReport): Promise<boolean | number> {
    for (const { fn, name } of this.chains.authorizeSubscribe) {
      const result = await fn(request);
      if (result !== undefined) {
        report?.(name, result);
        return result;
      }
    }
    const fallback = this.chains.authorizeSubscribe.length === 0;
    report?.('default', fallback);
    return fallback;
  }

  async enhancedAuth(request: EnhancedAuthRequest): Promise<EnhancedAuthResult | undefined> {
    for (const { fn } of this.chains.enhancedAuth) {
      const result = await fn(request);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}

type AnswerChain<Q, A> = ReadonlyArray<{ fn: (request: Q) => A | undefined | PromiseLike<A | undefined>; name: string }>;

/** The first answer that is not undefined, else `fallback`; synchronous while every hook answers synchronously. */
function firstAnswer<Q, A>(chain: AnswerChain<Q, A>, request: Q, fallback: A, report?: DecisionReport): A | Promise<A> {
  for (let index = 0; index < chain.length; index++) {
    const entry = chain[index]!;
    const result = entry.fn(request);
    if (isThenable(result)) return firstAnswerFrom(chain, request, index, result, fallback, report);
    if (result !== undefined) {
      report?.(entry.name, result);
      return result;
    }
  }
  report?.('default', fallback);
  return fallback;
}

async function firstAnswerFrom<Q, A>(
  chain: AnswerChain<Q, A>,
  request: Q,
  index: number,
  pending: PromiseLike<A | undefined>,
  fallback: A,
  report: DecisionReport | undefined,
): Promise<A> {
  const first = await pending;
  if (first !== undefined) {
    report?.(chain[index]!.name, first);
    return first;
  }
  for (let next = index + 1; next < chain.length; next++) {
    const result = await chain[next]!.fn(request);
    if (result !== undefined) {
      report?.(chain[next]!.name, result);
      return result;
    }
  }
  report?.('default', fallback);
  return fallback;
}
