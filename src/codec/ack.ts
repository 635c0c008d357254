// PUBACK, PUBREC, PUBREL, PUBCOMP (sections 3.4-3.7): a packet identifier, and in MQTT 5 a reason
// code and properties that may be left out when they are Success and empty.

import { ProtocolVersion } from './constants.js';
import { protocolError, writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { AckPacket } from './types.js';

export type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

const FIRST_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;
const CONTEXT = {
  puback: PropertyContext.Puback,
  pubrec: PropertyContext.Pubrec,
  pubrel: PropertyContext.Pubrel,
  pubcomp: PropertyContext.Pubcomp,
} as const;

export function decodeAck<T extends AckType>(reader: Reader, type: T, version: ProtocolVersion): AckPacket<T> {
  const packetId = reader.readTwoByteInteger();
  if (packetId === 0) throw protocolError('packet identifier 0'); // [MQTT-2.2.1-3]
  if (version !== ProtocolVersion.V5) {
    reader.expectEnd();
    return { type, packetId, reasonCode: 0, properties: {} };
  }
  // Remaining length 2: Success and no properties; 3: no properties (section 3.4.2.1).
  const reasonCode = reader.remaining > 0 ? reader.readByte() : 0;
  const properties = reader.remaining > 0 ? readProperties(reader, CONTEXT[type]) : {};
  reader.expectEnd();
  return { type, packetId, reasonCode, properties };
}

export function encodeAck(packet: AckPacket<AckType>, version: ProtocolVersion): Buffer {
  const firstByte = FIRST_BYTE[packet.type];
  if (version !== ProtocolVersion.V5) {
    writer.startPacket(firstByte, 2);
    writer.writeTwoByteInteger(packet.packetId);
    return writer.finish();
  }
  const propertyLength = propertiesLength(packet.properties, CONTEXT[packet.type]);
  const length = propertyLength > 0 ? 3 + propertyListLength(propertyLength) : packet.reasonCode !== 0 ? 3 : 2;
  writer.startPacket(firstByte, length);
  writer.writeTwoByteInteger(packet.packetId);
  if (length > 2) writer.writeByte(packet.reasonCode);
  if (propertyLength > 0) writeProperties(writer, packet.properties, CONTEXT[packet.type], propertyLength);
  return writer.finish();
}

