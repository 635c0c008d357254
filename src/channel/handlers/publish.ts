// Inbound PUBLISH (client -> broker) and PUBREL: topic alias, limits, authorization, routing, and
// the QoS 1 / QoS 2 acknowledgements. QoS 2 is exactly-once on the inbound side: the packet id is
// kept until PUBREL, and a resent PUBLISH with that id is acknowledged but not routed again.

import { ReasonCode } from '../../codec/constants.js';
import type { PublishPacket, PubrelPacket } from '../../codec/types.js';
import { topicLevelCount } from '../../codec/validate.js';
import { messageFromPublish } from '../../core/message.js';
import type { Channel } from '../channel.js';
import type { DecisionReport } from '../../hooks/hooks.js';
import { ProtocolError } from '../protocol-error.js';

export function handlePublish(channel: Channel, packet: PublishPacket): void | Promise<void> {
  const config = channel.config;
  // [MQTT-3.3.4-6] Subscription Identifiers go from server to client only
  if (packet.properties.subscriptionIdentifiers !== undefined) {
    throw new ProtocolError(ReasonCode.ProtocolError, 'subscription identifier in a PUBLISH from a client');
  }
  const topic = resolveTopic(channel, packet);
  const announced = channel.announced;
  // [MQTT-3.2.2-11] [MQTT-3.2.2-14] QoS or retain above what CONNACK announced
  if (packet.qos > announced.maxQoS) throw new ProtocolError(ReasonCode.QoSNotSupported, `QoS ${packet.qos} not supported`);
  if (packet.retain && !announced.retainAvailable) throw new ProtocolError(ReasonCode.RetainNotSupported, 'retain not supported');
  if (topicLevelCount(topic) > config.maxTopicLevels) {
    throw new ProtocolError(ReasonCode.TopicNameInvalid, `topic has more than ${config.maxTopicLevels} levels`);
  }
  const session = channel.session!;
  if (packet.qos === 2 && session.incomingQos2.has(packet.packetId!)) {
    // A resend of a PUBLISH we already hold: acknowledge again, deliver once (4.3.3).
    sendAck(channel, 'pubrec', packet.packetId!, ReasonCode.Success);
    return;
  }
  if (packet.qos > 0) {
    // [MQTT-3.3.4-7] more unacknowledged QoS 1/2 PUBLISH packets than our Receive Maximum
    if (channel.inboundInFlight >= announced.receiveMaximum) {
      throw new ProtocolError(ReasonCode.ReceiveMaximumExceeded, 'receive maximum exceeded');
    }
  }
  // Clients may not publish into the broker's own $SYS tree.
  if (topic.startsWith('$SYS')) {
    refusePublish(channel, packet, 'publishing to $SYS is not allowed');
    return dropRefused(channel, packet, topic, 'not_authorized');
  }
  const hooks = channel.context.broker.hooks;
  if (hooks.has('limitPublish')) {
    const limit = hooks.limitPublish({ client: channel.client!, qos: packet.qos, bytes: packet.payload.length });
    if (limit === 'drop') {
      refusePublish(channel, packet, 'message rate too high', ReasonCode.QuotaExceeded);
      return dropRefused(channel, packet, topic, 'rate_limited');
    }
    if (limit === 'disconnect') {
      dropRefused(channel, packet, topic, 'rate_limited');
      return channel.disconnect(ReasonCode.MessageRateTooHigh, 'message rate too high');
    }
    // Over the rate: reading pauses (and the acknowledgement waits) until the limiter lets it through.
    if (limit !== undefined) return limit.then(() => authorizeThenRoute(channel, packet, topic));
  }
  return authorizeThenRoute(channel, packet, topic);
}

export function handlePubrel(channel: Channel, packet: PubrelPacket): void {
  const known = channel.session!.releaseIncomingQos2(packet.packetId);
  if (known) channel.inboundInFlight--;
  // [MQTT-4.3.3-11] PUBCOMP even for an unknown id (MQTT 5 says which case it was)
  sendAck(channel, 'pubcomp', packet.packetId, known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound);
}

function resolveTopic(channel: Channel, packet: PublishPacket): string {
  const alias = packet.properties.topicAlias;
  if (alias === undefined) return packet.topic;
  if (channel.aliases === undefined) throw new ProtocolError(ReasonCode.TopicAliasInvalid, 'topic aliases are disabled');
  return channel.aliases.resolveInbound(packet.topic, alias);
}

function authorizeThenRoute(channel: Channel, packet: PublishPacket, topic: string): void | Promise<void> {
  if (channel.state !== 'connected') return;
  const hooks = channel.context.broker.hooks;
  if (!hooks.has('authorizePublish')) {
    routePublish(channel, packet, topic);
    return;
  }
  // Synchronous when every hook answers synchronously (the ACL's cached decisions): no tick lost.
  const allowed = hooks.authorizePublish({ client: channel.client!, topic, qos: packet.qos, retain: packet.retain }, decisionReport(channel, 'publish', topic));
  if (typeof allowed === 'boolean') return routeIfAllowed(channel, packet, topic, allowed);
  return allowed.then((answer) => routeIfAllowed(channel, packet, topic, answer));
}

/** A reporter for the `client.authorized` event, made only while someone listens for it. */
export function decisionReport(channel: Channel, action: 'publish' | 'subscribe', topic: string): DecisionReport | undefined {
  const events = channel.context.broker.events;
  if (!events.listens('client.authorized')) return undefined;
  return (source, answer) => {
    // A subscribe answer may be a granted QoS (allowed) or a failure reason code (0x80 and up).
    const allowed = answer === true || (typeof answer === 'number' && answer < 0x80);
    events.emit('client.authorized', { client: channel.client!, action, topic, result: allowed ? 'allow' : 'deny', source });
  };
}

function routeIfAllowed(channel: Channel, packet: PublishPacket, topic: string, allowed: boolean): void {
  const counters = channel.context.broker.counters;
  if (allowed) counters.authorizationAllow++;
  else counters.authorizationDeny++;
  if (channel.state !== 'connected') return;
  if (allowed) return routePublish(channel, packet, topic);
  refusePublish(channel, packet, 'not authorized');
  dropRefused(channel, packet, topic, 'not_authorized');
  if (channel.config.acl?.disconnectOnDeny) channel.disconnect(ReasonCode.NotAuthorized, 'not authorized');
}

function routePublish(channel: Channel, packet: PublishPacket, topic: string): void {
  const broker = channel.context.broker;
  const message = messageFromPublish(packet, topic, channel.clientId, channel.config.nodeName, Date.now());
  const delivered = broker.publish(message, channel.client);
  if (packet.qos === 0) return;
  const reasonCode = delivered === 0 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  if (packet.qos === 1) {
    sendAck(channel, 'puback', packet.packetId!, reasonCode);
    return;
  }
  channel.session!.addIncomingQos2(packet.packetId!);
  channel.inboundInFlight++;
  sendAck(channel, 'pubrec', packet.packetId!, reasonCode);
}

/** Counts a PUBLISH the broker refused, and reports it to 'message.dropped' listeners (only then is its Message built). */
function dropRefused(channel: Channel, packet: PublishPacket, topic: string, reason: 'not_authorized' | 'rate_limited'): void {
  const broker = channel.context.broker;
  if (!broker.events.listens('message.dropped')) return broker.countDroppedBeforeRouting(reason);
  broker.droppedBeforeRouting(messageFromPublish(packet, topic, channel.clientId, channel.config.nodeName, Date.now()), channel.client, reason);
}

/** A PUBLISH the broker will not route: MQTT 5 acks it with 0x87 (or the given code), 3.x acks it silently. */
function refusePublish(channel: Channel, packet: PublishPacket, reason: string, reasonCode: number = ReasonCode.NotAuthorized): void {
  channel.context.logger.debug({ clientId: channel.clientId, topic: packet.topic, reason }, 'publish refused');
  if (packet.qos === 1) sendAck(channel, 'puback', packet.packetId!, reasonCode, reason);
  else if (packet.qos === 2) sendAck(channel, 'pubrec', packet.packetId!, reasonCode, reason);
}

export function sendAck(
  channel: Channel,
  type: 'puback' | 'pubrec' | 'pubcomp',
  packetId: number,
  reasonCode: number,
  reasonString?: string,
): void {
  const properties = reasonString !== undefined && channel.requestProblemInformation ? { reasonString } : {};
  channel.outbox.send({ type, packetId, reasonCode, properties } as never);
}
