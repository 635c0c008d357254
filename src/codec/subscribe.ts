// SUBSCRIBE and SUBACK (sections 3.8, 3.9). Topic filters are kept as decoded: the broker checks
// each with isValidTopicFilter and answers 0x8F for that filter alone.

import { ProtocolVersion } from './constants.js';
import { malformed, protocolError, utf8StringLength, writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { QoS, RetainHandling, SubackPacket, SubscribePacket, SubscriptionRequest } from './types.js';

const SubscriptionOption = {
  QoS: 0x03,
  NoLocal: 0x04,
  RetainAsPublished: 0x08,
  RetainHandling: 0x30,
} as const;

export function decodeSubscribe(reader: Reader, version: ProtocolVersion): SubscribePacket {
  const packetId = reader.readTwoByteInteger();
  if (packetId === 0) throw protocolError('packet identifier 0'); // [MQTT-2.2.1-3]
  const isV5 = version === ProtocolVersion.V5;
  const properties = isV5 ? readProperties(reader, PropertyContext.Subscribe) : {};
  // Reserved bits: 7-2 before MQTT 5 [MQTT-3.8.3-4], 7-6 in MQTT 5 [MQTT-3.8.3-5].
  const reservedMask = isV5 ? 0xc0 : 0xfc;
  const subscriptions: SubscriptionRequest[] = [];
  while (reader.remaining > 0) {
    const topicFilter = reader.readUtf8String();
    const options = reader.readByte();
    if ((options & reservedMask) !== 0) throw malformed('reserved subscription option bits are set');
    const qos = options & SubscriptionOption.QoS;
    if (qos === 3) throw malformed('subscription QoS 3');
    const retainHandling = (options & SubscriptionOption.RetainHandling) >> 4;
    if (retainHandling === 3) throw malformed('retain handling 3');
    subscriptions.push({
      topicFilter,
      qos: qos as QoS,
      noLocal: (options & SubscriptionOption.NoLocal) !== 0,
      retainAsPublished: (options & SubscriptionOption.RetainAsPublished) !== 0,
      retainHandling: retainHandling as RetainHandling,
    });
  }
  if (subscriptions.length === 0) throw protocolError('SUBSCRIBE without a topic filter'); // [MQTT-3.8.3-3]
  return { type: 'subscribe', packetId, subscriptions, properties };
}

export function encodeSubscribe(packet: SubscribePacket, version: ProtocolVersion): Buffer {
  const isV5 = version === ProtocolVersion.V5;
  const propertyLength = isV5 ? propertiesLength(packet.properties, PropertyContext.Subscribe) : 0;
  let length = 2 + (isV5 ? propertyListLength(propertyLength) : 0);
  for (const subscription of packet.subscriptions) length += utf8StringLength(subscription.topicFilter) + 1;
  writer.startPacket(0x82, length);
  writer.writeTwoByteInteger(packet.packetId);
  if (isV5) writeProperties(writer, packet.properties, PropertyContext.Subscribe, propertyLength);
  for (const subscription of packet.subscriptions) {
    writer.writeUtf8String(subscription.topicFilter);
    let options: number = subscription.qos;
    if (isV5) {
      if (subscription.noLocal) options |= SubscriptionOption.NoLocal;
      if (subscription.retainAsPublished) options |= SubscriptionOption.RetainAsPublished;
      options |= subscription.retainHandling << 4;
    }
    writer.writeByte(options);
  }
  return writer.finish();
}

export function decodeSuback(reader: Reader, version: ProtocolVersion): SubackPacket {
  const packetId = reader.readTwoByteInteger();
  const properties = version === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Suback) : {};
  const reasonCodes: number[] = [];
  while (reader.remaining > 0) reasonCodes.push(reader.readByte());
  return { type: 'suback', packetId, reasonCodes, properties };
}

export function encodeSuback(packet: SubackPacket, version: ProtocolVersion): Buffer {
  const isV5 = version === ProtocolVersion.V5;
  const propertyLength = isV5 ? propertiesLength(packet.properties, PropertyContext.Suback) : 0;
  const length = 2 + (isV5 ? propertyListLength(propertyLength) : 0) + packet.reasonCodes.length;
  writer.startPacket(0x90, length);
  writer.writeTwoByteInteger(packet.packetId);
  if (isV5) writeProperties(writer, packet.properties, PropertyContext.Suback, propertyLength);
  for (const reasonCode of packet.reasonCodes) {
    // 3.1.1 knows a single failure return code, 0x80.
    writer.writeByte(!isV5 && reasonCode >= 0x80 ? 0x80 : reasonCode);
  }
  return writer.finish();
}
