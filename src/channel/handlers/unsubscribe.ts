// UNSUBSCRIBE: remove each filter from the session and the router; UNSUBACK with a code per filter.

import { ReasonCode } from '../../codec/constants.js';
import type { UnsubscribePacket } from '../../codec/types.js';
import type { Channel } from '../channel.js';

export function handleUnsubscribe(channel: Channel, packet: UnsubscribePacket): void {
  const { broker } = channel.context;
  const session = channel.session!;
  const reasonCodes = packet.topicFilters.map((topicFilter) => {
    const subscription = session.subscriptions.get(topicFilter);
    if (subscription === undefined) return ReasonCode.NoSubscriptionExisted;
    session.subscriptions.delete(topicFilter);
    broker.unsubscribe(subscription);
    if (broker.events.listens('session.unsubscribed')) {
      broker.events.emit('session.unsubscribed', { client: channel.client!, topicFilter });
    }
    return ReasonCode.Success;
  });
  channel.context.registry.persist(session);
  // [MQTT-3.10.4-4] [MQTT-3.10.4-5] UNSUBACK even when nothing was subscribed
  channel.outbox.send({ type: 'unsuback', packetId: packet.packetId, reasonCodes, properties: {} });
}
