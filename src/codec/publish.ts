// PUBLISH (section 3.3): the hot path. The payload stays a slice of the received chunk, and the
// encoder can write the header alone so one payload Buffer serves every subscriber.

import { ProtocolVersion, ReasonCode } from './constants.js';
import { DecodeError } from './decode-error.js';
import { protocolError, utf8StringLength, variableByteIntegerLength, writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { PublishPacket, QoS } from './types.js';
import { isValidTopicName } from './validate.js';

/** `flags` is the low nibble of the fixed header, already checked by the decoder. */
export function decodePublish(reader: Reader, flags: number, version: ProtocolVersion): PublishPacket {
  const qos = ((flags >> 1) & 3) as QoS;
  const topic = reader.readUtf8String();
  let packetId: number | undefined;
  if (qos > 0) {
    packetId = reader.readTwoByteInteger();
    if (packetId === 0) throw protocolError('packet identifier 0'); // [MQTT-2.2.1-3]
  }
  const properties = version === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Publish) : {};
  // [MQTT-3.3.2-2] no wildcards; an empty topic only with a Topic Alias, resolved by the channel.
  if (!isValidTopicName(topic) && !(topic.length === 0 && properties.topicAlias !== undefined)) {
    throw new DecodeError(ReasonCode.TopicNameInvalid, `invalid topic name '${topic}'`);
  }
  const payload = reader.readRest();
  const packet: PublishPacket = { type: 'publish', topic, payload, qos, retain: (flags & 1) !== 0, dup: (flags & 8) !== 0, properties };
  if (packetId !== undefined) packet.packetId = packetId;
  return packet;
}

/** Bytes after the fixed header, payload excluded; `propertyLength` from propertiesLength (0 below v5). */
function variableHeaderLength(packet: PublishPacket, version: ProtocolVersion, propertyLength: number): number {
  let length = utf8StringLength(packet.topic);
  if (packet.qos > 0) length += 2;
  if (version === ProtocolVersion.V5) length += propertyListLength(propertyLength);
  return length;
}

function firstByte(packet: PublishPacket): number {
  return 0x30 | (packet.dup ? 8 : 0) | (packet.qos << 1) | (packet.retain ? 1 : 0);
}

function writeVariableHeader(packet: PublishPacket, version: ProtocolVersion, propertyLength: number): void {
  writer.writeUtf8String(packet.topic);
  if (packet.qos > 0) writer.writeTwoByteInteger(packet.packetId ?? 0);
  if (version === ProtocolVersion.V5) writeProperties(writer, packet.properties, PropertyContext.Publish, propertyLength);
}

export function encodePublish(packet: PublishPacket, version: ProtocolVersion): Buffer {
  const propertyLength = version === ProtocolVersion.V5 ? propertiesLength(packet.properties, PropertyContext.Publish) : 0;
  writer.startPacket(firstByte(packet), variableHeaderLength(packet, version, propertyLength) + packet.payload.length);
  writeVariableHeader(packet, version, propertyLength);
  writer.writeBytes(packet.payload);
  return writer.finish();
}

export function encodePublishHeader(packet: PublishPacket, version: ProtocolVersion): Buffer {
  const propertyLength = version === ProtocolVersion.V5 ? propertiesLength(packet.properties, PropertyContext.Publish) : 0;
  const payloadLength = packet.payload.length;
  writer.startPacket(firstByte(packet), variableHeaderLength(packet, version, propertyLength) + payloadLength, payloadLength);
  writeVariableHeader(packet, version, propertyLength);
  return writer.finish();
}

export function encodedPublishLength(packet: PublishPacket, version: ProtocolVersion): number {
  const propertyLength = version === ProtocolVersion.V5 ? propertiesLength(packet.properties, PropertyContext.Publish) : 0;
  const remainingLength = variableHeaderLength(packet, version, propertyLength) + packet.payload.length;
  return 1 + variableByteIntegerLength(remainingLength) + remainingLength;
}
