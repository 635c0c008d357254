// UNSUBSCRIBE and UNSUBACK (sections 3.10, 3.11). Before MQTT 5, UNSUBACK carries only the packet
// identifier.

import { ProtocolVersion } from './constants.js';
import { protocolError, utf8StringLength, writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { UnsubackPacket, UnsubscribePacket } from './types.js';

export function decodeUnsubscribe(reader: Reader, version: ProtocolVersion): UnsubscribePacket {
  const packetId = reader.readTwoByteInteger();
  if (packetId === 0) throw protocolError('packet identifier 0'); // [MQTT-2.2.1-3]
  const properties = version === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Unsubscribe) : {};
  const topicFilters: string[] = [];
  while (reader.remaining > 0) topicFilters.push(reader.readUtf8String());
  if (topicFilters.length === 0) throw protocolError('UNSUBSCRIBE without a topic filter'); // [MQTT-3.10.3-2]
  return { type: 'unsubscribe', packetId, topicFilters, properties };
}

export function encodeUnsubscribe(packet: UnsubscribePacket, version: ProtocolVersion): Buffer {
  const isV5 = version === ProtocolVersion.V5;
  const propertyLength = isV5 ? propertiesLength(packet.properties, PropertyContext.Unsubscribe) : 0;
  let length = 2 + (isV5 ? propertyListLength(propertyLength) : 0);
  for (const topicFilter of packet.topicFilters) length += utf8StringLength(topicFilter);
  writer.startPacket(0xa2, length);
  writer.writeTwoByteInteger(packet.packetId);
  if (isV5) writeProperties(writer, packet.properties, PropertyContext.Unsubscribe, propertyLength);
  for (const topicFilter of packet.topicFilters) writer.writeUtf8String(topicFilter);
  return writer.finish();
}

export function decodeUnsuback(reader: Reader, version: ProtocolVersion): UnsubackPacket {
  const packetId = reader.readTwoByteInteger();
  if (version !== ProtocolVersion.V5) {
    reader.expectEnd();
    return { type: 'unsuback', packetId, reasonCodes: [], properties: {} };
  }
  const properties = readProperties(reader, PropertyContext.Unsuback);
  const reasonCodes: number[] = [];
  while (reader.remaining > 0) reasonCodes.push(reader.readByte());
  return { type: 'unsuback', packetId, reasonCodes, properties };
}

export function encodeUnsuback(packet: UnsubackPacket, version: ProtocolVersion): Buffer {
  if (version !== ProtocolVersion.V5) {
    writer.startPacket(0xb0, 2);
    writer.writeTwoByteInteger(packet.packetId);
    return writer.finish();
  }
  const propertyLength = propertiesLength(packet.properties, PropertyContext.Unsuback);
  writer.startPacket(0xb0, 2 + propertyListLength(propertyLength) + packet.reasonCodes.length);
  writer.writeTwoByteInteger(packet.packetId);
  writeProperties(writer, packet.properties, PropertyContext.Unsuback, propertyLength);
  for (const reasonCode of packet.reasonCodes) writer.writeByte(reasonCode);
  return writer.finish();
}
