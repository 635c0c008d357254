// The routing seam: which subscribers a published message goes to. LocalRouter (the topic trie and
// shared groups of this node) is the one implementation today; a cluster adds remote nodes as subscribers
// and announces the filters the callbacks report.

import type { QoS } from '../codec/types.js';
import type { Message } from '../core/message.js';
import type { Subscriber } from '../core/subscriber.js';
import type { Subscription } from '../core/subscription.js';

/** Called once per subscriber a message goes to, with the merged outcome of its matching subscriptions. */
export type RouteVisitor = (
  message: Message,
  subscriber: Subscriber,
  qos: QoS,
  retain: boolean,
  subscriptionIdentifiers: number[] | undefined,
  sharedGroup: string | undefined,
) => void;

export interface Router {
  /** Adds a subscription (a `group` makes it a member of that shared group); false when it was there already. */
  add(subscription: Subscription): boolean;
  /** Removes a subscription; false when it was not there. */
  remove(subscription: Subscription): boolean;
  /**
   * Visits every subscriber the message goes to: once per subscriber however many of its filters match (highest
   * QoS, Retain As Published if any says so, every Subscription Identifier), and once per matching shared group
   * for the member it picks. Returns how many subscribers it visited.
   */
  match(message: Message, visit: RouteVisitor): number;
  /** Another member of a shared group (`group/filter`) to hand a leaving member's messages to. */
  pickSharedMember(groupKey: string, except: Subscriber): Subscription | undefined;
  /** Number of subscriptions held (shared members counted one each). */
  readonly size: number;
  /** Called when a filter gets its first subscription (a shared group counts as one), and when it loses its last. */
  onFilterAdded: ((filter: string) => void) | undefined;
  onFilterRemoved: ((filter: string) => void) | undefined;
}
