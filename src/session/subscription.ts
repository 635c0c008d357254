// One subscription of one session, as stored in the routing trie.

import type { QoS, RetainHandling } from '../codec/types.js';
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
