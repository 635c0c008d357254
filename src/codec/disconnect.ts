// DISCONNECT and AUTH (sections 3.14, 3.15): a reason code and properties, both left out when
// they are Success and empty. Before MQTT 5, DISCONNECT is the bare fixed header and AUTH does not exist.

import { ProtocolVersion } from './constants.js';
import { writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { AuthPacket, DisconnectPacket } from './types.js';

type ReasonPacket = DisconnectPacket | AuthPacket;

function decodeReasonPacket(reader: Reader, context: PropertyContext): { reasonCode: number; properties: ReasonPacket['properties'] } {
  // Remaining length 0: reason code 0; below 2: no properties (section 3.14.2.1).
  const reasonCode = reader.remaining > 0 ? reader.readByte() : 0;
  const properties = reader.remaining > 0 ? readProperties(reader, context) : {};
  reader.expectEnd();
  return { reasonCode, properties };
}

function encodeReasonPacket(firstByte: number, packet: ReasonPacket, context: PropertyContext): Buffer {
  const propertyLength = propertiesLength(packet.properties, context);
  const length = propertyLength > 0 ? 1 + propertyListLength(propertyLength) : packet.reasonCode !== 0 ? 1 : 0;
  writer.startPacket(firstByte, length);
  if (length > 0) writer.writeByte(packet.reasonCode);
  if (propertyLength > 0) writeProperties(writer, packet.properties, context, propertyLength);
  return writer.finish();
}

export function decodeDisconnect(reader: Reader, version: ProtocolVersion): DisconnectPacket {
  if (version !== ProtocolVersion.V5) {
    reader.expectEnd();
    return { type: 'disconnect', reasonCode: 0, properties: {} };
  }
  const { reasonCode, properties } = decodeReasonPacket(reader, PropertyContext.Disconnect);
  return { type: 'disconnect', reasonCode, properties };
}

export function encodeDisconnect(packet: DisconnectPacket, version: ProtocolVersion): Buffer {
  if (version !== ProtocolVersion.V5) {
    writer.startPacket(0xe0, 0);
    return writer.finish();
  }
  return encodeReasonPacket(0xe0, packet, PropertyContext.Disconnect);
}

/** The decoder refuses AUTH below MQTT 5 from the fixed header already. */
export function decodeAuth(reader: Reader): AuthPacket {
  const { reasonCode, properties } = decodeReasonPacket(reader, PropertyContext.Auth);
  return { type: 'auth', reasonCode, properties };
}

export function encodeAuth(packet: AuthPacket, version: ProtocolVersion): Buffer {
  if (version !== ProtocolVersion.V5) throw new RangeError('AUTH exists only in MQTT 5');
  return encodeReasonPacket(0xf0, packet, PropertyContext.Auth);
}
