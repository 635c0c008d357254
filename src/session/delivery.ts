// An outgoing QoS 1/2 message owed to one session: queued, in flight, or awaiting PUBCOMP.

import type { QoS } from '../codec/types.js';
import type { Message } from '../core/message.js';

export class Delivery {
  /** 0 until the delivery enters the inflight window. */
  packetId = 0;
  /** QoS 2 only: PUBREC received, PUBREL sent, PUBCOMP awaited. */
  released = false;
  /** Sent at least once: a resend carries DUP [MQTT-3.3.1-1]. */
  sent = false;
  /** Store key of a delivery to a persistent session; 0 while not persisted. */
  sequence = 0;
  /** Store id of the message; 0 while not persisted. */
  messageId = 0;

  constructor(
    readonly message: Message,
    readonly qos: Exclude<QoS, 0>,
    readonly retain: boolean,
    readonly subscriptionIdentifiers: number[] | undefined,
    /** Shared group key (`group/filter`) the message came through, so it can go to another member. */
    readonly sharedGroup: string | undefined,
  ) {}
}
