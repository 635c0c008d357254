// UNSUBSCRIBE: remove each filter from the session and the router; UNSUBACK with a code per filter.

import { ReasonCode } from '../../codec/constants.js';
import type { UnsubscribePacket } from '../../codec/types.js';
import type { Channel } from '../channel.js';
import { removeSubscriptions } from '../subscription-changes.js';

export function handleUnsubscribe(channel: Channel, packet: UnsubscribePacket): void {
  const removed = removeSubscriptions(channel.context, channel.session!, channel.client!, packet.topicFilters);
  const reasonCodes = removed.map((existed) => (existed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted));
  // [MQTT-3.10.4-4] [MQTT-3.10.4-5] UNSUBACK even when nothing was subscribed
  channel.outbox.send({ type: 'unsuback', packetId: packet.packetId, reasonCodes, properties: {} });
}
