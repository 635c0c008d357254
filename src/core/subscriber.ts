// What the router delivers to: a session today; a remote node, a bridge or a rule tomorrow.

import type { QoS } from '../codec/types.js';
import type { Message } from './message.js';

export interface Subscriber {
  /** The client whose own messages No Local keeps away [MQTT-3.8.3-3]; undefined for subscribers that are not clients. */
  readonly clientId: string | undefined;
  /** Shared groups prefer members that are connected now. */
  readonly connected: boolean;
  /**
   * Takes one routed copy at the QoS the subscription grants (already the minimum of both), with the RETAIN flag
   * to send and every matching Subscription Identifier; `sharedGroup` is the `group/filter` key of the shared
   * subscription it came through.
   */
  deliver(message: Message, qos: QoS, retain: boolean, subscriptionIdentifiers: number[] | undefined, sharedGroup?: string): void;
}
