// Turns a routed message into the PUBLISH packet one client receives: its QoS and packet id, the
// remaining Message Expiry Interval [MQTT-3.3.2-6], its Subscription Identifiers, an outbound topic
// alias, and the client's Maximum Packet Size [MQTT-3.1.2-24].

import { ProtocolVersion } from '../codec/constants.js';
import { encodedPublishLength } from '../codec/encoder.js';
import type { Properties, PublishPacket, QoS } from '../codec/types.js';
import { remainingExpirySeconds, type Message } from '../core/message.js';
import type { Channel } from './channel.js';

const NO_PROPERTIES: Properties = Object.freeze({}) as Properties;

export function buildOutgoingPublish(
  channel: Channel,
  message: Message,
  qos: QoS,
  packetId: number | undefined,
  dup: boolean,
  retain: boolean,
  subscriptionIdentifiers: number[] | undefined,
): PublishPacket | undefined {
  const v5 = channel.protocolVersion === ProtocolVersion.V5;
  let properties = v5 ? message.properties : NO_PROPERTIES;
  if (v5 && (message.expiresAt !== undefined || subscriptionIdentifiers !== undefined)) {
    properties = { ...properties };
    if (message.expiresAt !== undefined) properties.messageExpiryInterval = remainingExpirySeconds(message, Date.now());
    if (subscriptionIdentifiers !== undefined) properties.subscriptionIdentifiers = subscriptionIdentifiers;
  }
  const packet: PublishPacket = {
    type: 'publish',
    topic: message.topic,
    payload: message.payload,
    qos,
    retain,
    dup,
    packetId: qos === 0 ? undefined : packetId,
    properties,
  };
  const maximum = channel.maximumPacketSize;
  // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size
  if (maximum !== undefined && encodedPublishLength(packet, channel.protocolVersion) > maximum) return undefined;
  const aliases = v5 ? channel.aliases : undefined;
  let alias = aliases?.outboundAlias(message.topic, maximum === undefined);
  if (alias === undefined && maximum !== undefined && aliases?.outboundRoom === true) {
    // A new alias adds a property to a packet that carries its full topic: only if it still fits.
    const withAlias: PublishPacket = { ...packet, properties: { ...packet.properties, topicAlias: 0xffff } };
    if (encodedPublishLength(withAlias, channel.protocolVersion) <= maximum) alias = aliases.outboundAlias(message.topic);
  }
  if (alias !== undefined) {
    packet.properties = { ...packet.properties, topicAlias: alias.alias };
    if (alias.established) packet.topic = '';
  }
  return packet;
}
