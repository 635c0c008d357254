// A subscription: a topic filter with its options, held by one subscriber. The router stores these.

import type { QoS, RetainHandling } from '../codec/types.js';
import type { Subscriber } from './subscriber.js';
import { parseSharedFilter } from './topic.js';

/** The subscription options as a SUBSCRIBE (or the store) gives them. */
export interface SubscriptionOptions {
  topicFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
}

export interface Subscription<S extends Subscriber = Subscriber> {
  readonly subscriber: S;
  /** The filter as the client sent it, `$share/<group>/...` included: the subscriber's key for it. */
  readonly topicFilter: string;
  /** The filter matched against topics (without the `$share/<group>/` prefix). */
  readonly filter: string;
  /** Shared subscription group, or undefined for an ordinary subscription. */
  readonly group: string | undefined;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: RetainHandling;
  readonly subscriptionIdentifier: number | undefined;
}

export function createSubscription<S extends Subscriber>(
  subscriber: S,
  options: SubscriptionOptions,
  subscriptionIdentifier: number | undefined,
): Subscription<S> {
  const shared = parseSharedFilter(options.topicFilter);
  return {
    subscriber,
    topicFilter: options.topicFilter,
    filter: shared?.filter ?? options.topicFilter,
    group: shared?.group,
    qos: options.qos,
    noLocal: options.noLocal,
    retainAsPublished: options.retainAsPublished,
    retainHandling: options.retainHandling,
    subscriptionIdentifier,
  };
}

/** The key of a shared subscription group: `group/filter`. */
export function sharedKey(group: string, filter: string): string {
  return `${group}/${filter}`;
}
