// SUBSCRIBE: validate and authorize each filter, store the subscriptions, SUBACK, then send the
// retained messages each new subscription asked for (Retain Handling, MQTT 5).

import { ProtocolVersion, ReasonCode } from '../../codec/constants.js';
import type { QoS, SubscribePacket, SubscriptionRequest } from '../../codec/types.js';
import { isValidTopicFilter, topicLevelCount } from '../../codec/validate.js';
import { minQoS } from '../../broker/local-router.js';
import { isExpired, type Message } from '../../core/message.js';
import type { Session } from '../../session/session.js';
import { hasWildcard, parseSharedFilter } from '../../core/topic.js';
import { createSubscription, type Subscription } from '../../core/subscription.js';
import type { Channel } from '../channel.js';
import { decisionReport } from './publish.js';
import { ProtocolError } from '../protocol-error.js';

export function handleSubscribe(channel: Channel, packet: SubscribePacket): void | Promise<void> {
  const subscriptionIdentifier = packet.properties.subscriptionIdentifiers?.[0];
  if (!channel.context.broker.hooks.has('authorizeSubscribe')) {
    const reasonCodes = packet.subscriptions.map((request) => check(channel, request));
    finish(channel, packet, reasonCodes, subscriptionIdentifier);
    return;
  }
  return authorizeThenSubscribe(channel, packet, subscriptionIdentifier);
}

async function authorizeThenSubscribe(channel: Channel, packet: SubscribePacket, subscriptionIdentifier: number | undefined): Promise<void> {
  const hooks = channel.context.broker.hooks;
  const reasonCodes: number[] = [];
  for (const request of packet.subscriptions) {
    let code = check(channel, request);
    if (code < 0x80) {
      const answer = await hooks.authorizeSubscribe({ client: channel.client!, subscription: request }, decisionReport(channel, 'subscribe', request.topicFilter));
      if (answer === false) code = ReasonCode.NotAuthorized;
      else if (typeof answer === 'number') code = answer < 0x80 ? Math.min(code, answer) : answer;
      if (code < 0x80) channel.context.broker.counters.authorizationAllow++;
      else channel.context.broker.counters.authorizationDeny++;
    }
    reasonCodes.push(code);
  }
  if (channel.state !== 'connected') return;
  finish(channel, packet, reasonCodes, subscriptionIdentifier);
}

/** The granted QoS for a filter, or the failure reason code. */
function check(channel: Channel, request: SubscriptionRequest): number {
  const config = channel.config;
  const filter = request.topicFilter;
  if (!isValidTopicFilter(filter) || topicLevelCount(filter) > config.maxTopicLevels) {
    return ReasonCode.TopicFilterInvalid;
  }
  const shared = parseSharedFilter(filter);
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
  if (shared !== undefined && request.noLocal && channel.isV5) {
    throw new ProtocolError(ReasonCode.ProtocolError, 'No Local on a shared subscription');
  }
  return minQoS(request.qos, channel.announced.maxQoS);
}

function finish(channel: Channel, packet: SubscribePacket, reasonCodes: number[], subscriptionIdentifier: number | undefined): void {
  const { broker } = channel.context;
  const session = channel.session!;
  const retainedToSend: Array<Subscription<Session>> = [];
  packet.subscriptions.forEach((request, index) => {
    const code = reasonCodes[index]!;
    if (code >= 0x80) return;
    const subscription = createSubscription(session, { ...request, qos: code as QoS }, subscriptionIdentifier);
    const existing = session.subscriptions.get(request.topicFilter);
    // [MQTT-3.8.4-3] a subscription to the same filter replaces the old one
    if (existing !== undefined) broker.unsubscribe(existing);
    session.subscriptions.set(request.topicFilter, subscription);
    broker.subscribe(subscription);
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling; shared subscriptions get no retained messages
    if (subscription.group === undefined && (request.retainHandling === 0 || (request.retainHandling === 1 && existing === undefined))) {
      retainedToSend.push(subscription);
    }
    if (broker.events.listens('session.subscribed')) {
      broker.events.emit('session.subscribed', { client: channel.client!, subscription: request, grantedQoS: code });
    }
  });
  channel.context.registry.persist(session);
  channel.outbox.send({
    type: 'suback',
    packetId: packet.packetId,
    reasonCodes: channel.protocolVersion === ProtocolVersion.V5 ? reasonCodes : reasonCodes.map(v3SubackCode),
    properties: {},
  });
  for (const subscription of retainedToSend) sendRetained(channel, subscription);
}

function v3SubackCode(code: number): number {
  return code >= 0x80 ? 0x80 : code;
}

function sendRetained(channel: Channel, subscription: Subscription<Session>): void {
  const broker = channel.context.broker;
  const session = subscription.subscriber;
  const now = Date.now();
  const hooks = broker.hooks;
  const checkReceive = hooks.has('authorizeReceive');
  const deliver = (message: Message): void => {
    const ids = subscription.subscriptionIdentifier === undefined ? undefined : [subscription.subscriptionIdentifier];
    // [MQTT-3.3.1-8] retained messages sent on subscribe carry RETAIN 1
    session.deliver(message, minQoS(message.qos, subscription.qos), true, ids);
  };
  const visit = (topic: string, message: Message): void => {
    if (isExpired(message, now)) return;
    if (!checkReceive) return deliver(message);
    // A retained message on a topic the client may not receive (ACL) is not sent.
    const allowed = hooks.authorizeReceive({ client: channel.client!, topic });
    if (allowed === true) deliver(message);
    else if (allowed !== false) void allowed.then((answer) => answer && channel.state === 'connected' && deliver(message));
  };
  if (hasWildcard(subscription.filter)) {
    broker.retained.match(subscription.filter, visit);
  } else {
    const message = broker.retained.get(subscription.filter);
    if (message !== undefined) visit(subscription.filter, message);
  }
}
