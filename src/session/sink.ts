// The interface through which a session reaches its client while one is connected (the channel).

import type { QoS } from '../codec/types.js';
import type { Message } from '../core/message.js';

export interface DeliverySink {
  /** The client's Receive Maximum: how many QoS 1/2 messages may be unacknowledged at once. */
  readonly receiveMaximum: number;
  /** False while the socket's outgoing buffer is over its cap: QoS 0 is dropped, QoS 1/2 wait. */
  readonly writable: boolean;
  /** Sends a PUBLISH; false when it cannot be sent to this client (e.g. over its Maximum Packet Size). */
  sendPublish(
    message: Message,
    qos: QoS,
    packetId: number | undefined,
    dup: boolean,
    retain: boolean,
    subscriptionIdentifiers: number[] | undefined,
  ): boolean;
  sendPubrel(packetId: number): void;
}
