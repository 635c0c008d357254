// SUBSCRIBE: validate and authorize each filter, store the subscriptions, SUBACK, then send the
// retained messages each new subscription asked for (Retain Handling, MQTT 5): subscription-changes.ts.

import { ProtocolVersion, ReasonCode } from '../../codec/constants.js';
import type { QoS, SubscribePacket, SubscriptionRequest } from '../../codec/types.js';
import { isValidTopicFilter, topicLevelCount } from '../../codec/validate.js';
import { minQoS } from '../../broker/local-router.js';
import { parseSharedFilter } from '../../core/topic.js';
import type { Channel } from '../channel.js';
import { addSubscriptions, sendRetained, type GrantedSubscription } from '../subscription-changes.js';
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
  const granted: GrantedSubscription[] = [];
  packet.subscriptions.forEach((request, index) => {
    const code = reasonCodes[index]!;
    if (code < 0x80) granted.push({ request, grantedQoS: code as QoS });
  });
  const client = channel.client!;
  const retainedWanted = addSubscriptions(channel.context, channel.session!, client, granted, subscriptionIdentifier);
  channel.outbox.send({
    type: 'suback',
    packetId: packet.packetId,
    reasonCodes: channel.protocolVersion === ProtocolVersion.V5 ? reasonCodes : reasonCodes.map(v3SubackCode),
    properties: {},
  });
  const stillConnected = (): boolean => channel.state === 'connected';
  for (const subscription of retainedWanted) sendRetained(channel.context.broker, client, subscription, stillConnected);
}

function v3SubackCode(code: number): number {
  return code >= 0x80 ? 0x80 : code;
}
