// What CONNACK announces about the broker's limits, and what a connection is then held to. A client was
// told these once, so a configuration reload replaces the object (new connections get the new one)
// instead of changing it under the connections that were told otherwise [MQTT-3.2.2-11] [MQTT-3.3.4-7].

import type { BrokerConfig } from '../config/types.js';

export interface AnnouncedLimits {
  /** Maximum QoS. */
  readonly maxQoS: 0 | 1 | 2;
  /** Retain Available. */
  readonly retainAvailable: boolean;
  /** Receive Maximum: QoS 1/2 PUBLISH packets the client may have unacknowledged. */
  readonly receiveMaximum: number;
}

export function announcedLimits(config: Pick<BrokerConfig, 'maxQoS' | 'retainAvailable' | 'maxInflight'>): AnnouncedLimits {
  return Object.freeze({ maxQoS: config.maxQoS, retainAvailable: config.retainAvailable, receiveMaximum: config.maxInflight });
}
