// One subscription of one session, as stored in the routing trie.

import type { QoS, RetainHandling } from '../codec/types.js';
import { parseSharedFilter } from '../broker/topic.js';
import type { Session } from './session.js';

export interface Subscription {
  readonly session: Session;
  /** The filter as the client sent it, `$share/<group>/...` included: the session's key for it. */
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

/** The subscription options as a SUBSCRIBE (or the store) gives them. */
export interface SubscriptionOptions {
  topicFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
}

export function createSubscription(
  session: Session,
  options: SubscriptionOptions,
  subscriptionIdentifier: number | undefined,
): Subscription {
  const shared = parseSharedFilter(options.topicFilter);
  return {
    session,
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
