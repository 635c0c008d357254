// CONNECT and CONNACK (sections 3.1, 3.2). The protocol level in CONNECT decides the version of
// everything that follows on the connection.

import { ProtocolVersion, ReasonCode } from './constants.js';
import { DecodeError } from './decode-error.js';
import { binaryDataLength, malformed, protocolError, utf8StringLength, writer, type Reader } from './primitives.js';
import { PropertyContext, propertiesLength, propertyListLength, readProperties, writeProperties } from './properties.js';
import type { ConnackPacket, ConnectPacket, QoS, Will } from './types.js';

const ConnectFlag = {
  Reserved: 0x01,
  CleanStart: 0x02,
  Will: 0x04,
  WillQoS: 0x18,
  WillRetain: 0x20,
  Password: 0x40,
  UserName: 0x80,
} as const;

const PROTOCOL_NAME_V31 = 'MQIsdp';
const PROTOCOL_NAME = 'MQTT';

export function decodeConnect(reader: Reader): ConnectPacket {
  const protocolName = reader.readUtf8String();
  const level = reader.readByte();
  if (protocolName !== PROTOCOL_NAME && protocolName !== PROTOCOL_NAME_V31) {
    throw protocolError(`unknown protocol name '${protocolName}'`);
  }
  const expectedName = level === ProtocolVersion.V31 ? PROTOCOL_NAME_V31 : PROTOCOL_NAME;
  if ((level !== ProtocolVersion.V31 && level !== ProtocolVersion.V311 && level !== ProtocolVersion.V5) || protocolName !== expectedName) {
    throw new DecodeError(ReasonCode.UnsupportedProtocolVersion, `protocol '${protocolName}' level ${level} is not supported`);
  }
  const protocolVersion: ProtocolVersion = level;
  const flags = reader.readByte();
  if ((flags & ConnectFlag.Reserved) !== 0) throw malformed('reserved connect flag is set'); // [MQTT-3.1.2-3]
  const hasWill = (flags & ConnectFlag.Will) !== 0;
  const willQoS = (flags & ConnectFlag.WillQoS) >> 3;
  const willRetain = (flags & ConnectFlag.WillRetain) !== 0;
  if (!hasWill && (willQoS !== 0 || willRetain)) {
    throw malformed('will QoS or will retain set without the will flag'); // [MQTT-3.1.2-11], [MQTT-3.1.2-13]
  }
  if (willQoS === 3) throw malformed('will QoS 3'); // [MQTT-3.1.2-12]
  const hasUserName = (flags & ConnectFlag.UserName) !== 0;
  const hasPassword = (flags & ConnectFlag.Password) !== 0;
  if (protocolVersion !== ProtocolVersion.V5 && hasPassword && !hasUserName) {
    throw malformed('password without a user name'); // [MQTT-3.1.2-22]
  }
  const keepAlive = reader.readTwoByteInteger();
  const properties = protocolVersion === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Connect) : {};
  const clientId = reader.readUtf8String();
  const packet: ConnectPacket = {
    type: 'connect',
    protocolName,
    protocolVersion,
    clean: (flags & ConnectFlag.CleanStart) !== 0,
    keepAlive,
    clientId,
    properties,
  };
  if (hasWill) {
    const willProperties = protocolVersion === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Will) : {};
    const topic = reader.readUtf8String();
    const payload = reader.readBinaryData();
    packet.will = { topic, payload, qos: willQoS as QoS, retain: willRetain, properties: willProperties };
  }
  if (hasUserName) packet.username = reader.readUtf8String();
  if (hasPassword) packet.password = reader.readBinaryData();
  reader.expectEnd();
  return packet;
}

export function encodeConnect(packet: ConnectPacket, version: ProtocolVersion): Buffer {
  const isV5 = version === ProtocolVersion.V5;
  const protocolName = version === ProtocolVersion.V31 ? PROTOCOL_NAME_V31 : PROTOCOL_NAME;
  const will: Will | undefined = packet.will;
  const propertyLength = isV5 ? propertiesLength(packet.properties, PropertyContext.Connect) : 0;
  const willPropertyLength = isV5 && will !== undefined ? propertiesLength(will.properties, PropertyContext.Will) : 0;
  let length = utf8StringLength(protocolName) + 1 + 1 + 2 + utf8StringLength(packet.clientId);
  if (isV5) length += propertyListLength(propertyLength);
  let flags = packet.clean ? ConnectFlag.CleanStart : 0;
  if (will !== undefined) {
    flags |= ConnectFlag.Will | (will.qos << 3) | (will.retain ? ConnectFlag.WillRetain : 0);
    length += utf8StringLength(will.topic) + binaryDataLength(will.payload);
    if (isV5) length += propertyListLength(willPropertyLength);
  }
  if (packet.username !== undefined) {
    flags |= ConnectFlag.UserName;
    length += utf8StringLength(packet.username);
  }
  if (packet.password !== undefined) {
    flags |= ConnectFlag.Password;
    length += binaryDataLength(packet.password);
  }
  writer.startPacket(0x10, length);
  writer.writeUtf8String(protocolName);
  writer.writeByte(version);
  writer.writeByte(flags);
  writer.writeTwoByteInteger(packet.keepAlive);
  if (isV5) writeProperties(writer, packet.properties, PropertyContext.Connect, propertyLength);
  writer.writeUtf8String(packet.clientId);
  if (will !== undefined) {
    if (isV5) writeProperties(writer, will.properties, PropertyContext.Will, willPropertyLength);
    writer.writeUtf8String(will.topic);
    writer.writeBinaryData(will.payload);
  }
  if (packet.username !== undefined) writer.writeUtf8String(packet.username);
  if (packet.password !== undefined) writer.writeBinaryData(packet.password);
  return writer.finish();
}

export function decodeConnack(reader: Reader, version: ProtocolVersion): ConnackPacket {
  const acknowledgeFlags = reader.readByte();
  if ((acknowledgeFlags & 0xfe) !== 0) throw malformed('reserved connect acknowledge flags are set'); // [MQTT-3.2.2-1]
  const reasonCode = reader.readByte();
  const properties = version === ProtocolVersion.V5 ? readProperties(reader, PropertyContext.Connack) : {};
  reader.expectEnd();
  return { type: 'connack', sessionPresent: acknowledgeFlags === 1, reasonCode, properties };
}

export function encodeConnack(packet: ConnackPacket, version: ProtocolVersion): Buffer {
  const isV5 = version === ProtocolVersion.V5;
  const propertyLength = isV5 ? propertiesLength(packet.properties, PropertyContext.Connack) : 0;
  const length = 2 + (isV5 ? propertyListLength(propertyLength) : 0);
  writer.startPacket(0x20, length);
  writer.writeByte(packet.sessionPresent ? 1 : 0);
  writer.writeByte(packet.reasonCode);
  if (isV5) writeProperties(writer, packet.properties, PropertyContext.Connack, propertyLength);
  return writer.finish();
}
