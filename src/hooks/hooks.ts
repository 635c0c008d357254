// Typed hook points the broker asks before acting: authentication and authorization. Each hook is a
// chain; the first decisive answer wins. With no hook registered, the default answer is used without
// any await, so the hot path pays nothing for the feature.

import type {
  AuthenticateRequest,
  AuthenticateResult,
  AuthorizePublishRequest,
  AuthorizeSubscribeRequest,
  EnhancedAuthRequest,
  EnhancedAuthResult,
} from './events.js';

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

  async authenticate(request: AuthenticateRequest): Promise<AuthenticateResult> {
    for (const { fn } of this.chains.authenticate) {
      const result = await fn(request);
      if (result !== undefined) return result;
    }
    return undefined;
  }

  /** Resolves to true when some hook allows; with no hooks, allows. */
  async authorizePublish(request: AuthorizePublishRequest): Promise<boolean> {
    for (const { fn } of this.chains.authorizePublish) {
      const result = await fn(request);
      if (result !== undefined) return result;
    }
    return this.chains.authorizePublish.length === 0;
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
