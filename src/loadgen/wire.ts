// The load generator's own tiny MQTT encoder (v3.1.1 and v5): only the packets a benchmark client sends.
// Deliberately independent of src/codec so the tool can measure any broker, and our own codec's bugs stay out of it.

export const PacketType = {
  Connect: 1,
  Connack: 2,
  Publish: 3,
  Puback: 4,
  Pubrec: 5,
  Pubrel: 6,
  Pubcomp: 7,
  Subscribe: 8,
  Suback: 9,
  Unsubscribe: 10,
  Unsuback: 11,
  Pingreq: 12,
  Pingresp: 13,
  Disconnect: 14,
  Auth: 15,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** The protocol level byte of CONNECT: 4 is MQTT 3.1.1, 5 is MQTT 5.0. */
export type ProtocolVersion = 4 | 5;
export type QoS = 0 | 1 | 2;

export function variableByteIntegerLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  return 4;
}

export function writeVariableByteInteger(buffer: Buffer, offset: number, value: number): number {
  let remaining = value;
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    buffer[offset++] = byte;
  } while (remaining > 0);
  return offset;
}

function writeString(buffer: Buffer, offset: number, value: Buffer): number {
  buffer.writeUInt16BE(value.length, offset);
  value.copy(buffer, offset + 2);
  return offset + 2 + value.length;
}

function frame(firstByte: number, body: Buffer): Buffer {
  const packet = Buffer.allocUnsafe(1 + variableByteIntegerLength(body.length) + body.length);
  packet[0] = firstByte;
  const offset = writeVariableByteInteger(packet, 1, body.length);
  body.copy(packet, offset);
  return packet;
}

export interface ConnectFields {
  clientId: string;
  protocolVersion: ProtocolVersion;
  keepAlive: number;
  cleanStart: boolean;
  username?: string | undefined;
  password?: string | undefined;
}

export function encodeConnect(fields: ConnectFields): Buffer {
  const clientId = Buffer.from(fields.clientId, 'utf8');
  const username = fields.username === undefined ? undefined : Buffer.from(fields.username, 'utf8');
  const password = fields.password === undefined ? undefined : Buffer.from(fields.password, 'utf8');
  const propertiesLength = fields.protocolVersion === 5 ? 1 : 0;
  let size = 10 + propertiesLength + 2 + clientId.length;
  if (username) size += 2 + username.length;
  if (password) size += 2 + password.length;
  const body = Buffer.allocUnsafe(size);
  let offset = writeString(body, 0, Buffer.from('MQTT'));
  body[offset++] = fields.protocolVersion;
  let flags = fields.cleanStart ? 0x02 : 0;
  if (username) flags |= 0x80;
  if (password) flags |= 0x40;
  body[offset++] = flags;
  body.writeUInt16BE(fields.keepAlive, offset);
  offset += 2;
  if (fields.protocolVersion === 5) body[offset++] = 0; // no CONNECT properties
  offset = writeString(body, offset, clientId);
  if (username) offset = writeString(body, offset, username);
  if (password) writeString(body, offset, password);
  return frame(PacketType.Connect << 4, body);
}

export function encodeSubscribe(packetId: number, filter: string, qos: QoS, protocolVersion: ProtocolVersion): Buffer {
  const topic = Buffer.from(filter, 'utf8');
  const propertiesLength = protocolVersion === 5 ? 1 : 0;
  const body = Buffer.allocUnsafe(2 + propertiesLength + 2 + topic.length + 1);
  body.writeUInt16BE(packetId, 0);
  let offset = 2;
  if (protocolVersion === 5) body[offset++] = 0;
  offset = writeString(body, offset, topic);
  body[offset] = qos; // v5 options no-local/retain-as-published/retain-handling all 0
  // [MQTT-3.8.1-1] SUBSCRIBE fixed header flags are 0010
  return frame((PacketType.Subscribe << 4) | 0x02, body);
}

/** A PUBLISH packet with room for a packet id and a payload, encoded once and patched per message. */
export interface PublishTemplate {
  readonly bytes: Buffer;
  /** Offset of the 2-byte packet identifier, or -1 for QoS 0. */
  readonly packetIdOffset: number;
  readonly payloadOffset: number;
}

export function encodePublishTemplate(
  topic: string,
  qos: QoS,
  protocolVersion: ProtocolVersion,
  payload: Buffer,
): PublishTemplate {
  const topicBytes = Buffer.from(topic, 'utf8');
  const packetIdLength = qos > 0 ? 2 : 0;
  const propertiesLength = protocolVersion === 5 ? 1 : 0;
  const remainingLength = 2 + topicBytes.length + packetIdLength + propertiesLength + payload.length;
  const bytes = Buffer.alloc(1 + variableByteIntegerLength(remainingLength) + remainingLength);
  bytes[0] = (PacketType.Publish << 4) | (qos << 1);
  let offset = writeVariableByteInteger(bytes, 1, remainingLength);
  offset = writeString(bytes, offset, topicBytes);
  const packetIdOffset = qos > 0 ? offset : -1;
  offset += packetIdLength;
  if (protocolVersion === 5) bytes[offset++] = 0; // no PUBLISH properties
  payload.copy(bytes, offset);
  return { bytes, packetIdOffset, payloadOffset: offset };
}

/** Writes a 4-byte PUBACK/PUBREC/PUBREL/PUBCOMP (the v5 short form means reason Success) at offset. */
export function writeAcknowledgement(buffer: Buffer, offset: number, type: PacketType, packetId: number): number {
  // [MQTT-3.6.1-1] PUBREL fixed header flags are 0010
  buffer[offset] = (type << 4) | (type === PacketType.Pubrel ? 0x02 : 0);
  buffer[offset + 1] = 2;
  buffer[offset + 2] = packetId >> 8;
  buffer[offset + 3] = packetId & 0xff;
  return offset + 4;
}

export const ACKNOWLEDGEMENT_SIZE = 4;
export const PINGREQ = Buffer.from([PacketType.Pingreq << 4, 0]);
/** Remaining length 0 is "normal disconnection" in v5 and the only form in v3.1.1. */
export const DISCONNECT = Buffer.from([PacketType.Disconnect << 4, 0]);
