// The load generator's minimal streaming decoder: splits a byte stream into MQTT frames without copying,
// plus readers for the few fields the benchmark needs (CONNACK result, PUBLISH packet id and payload).

import type { ProtocolVersion } from './wire.js';

/** Receives each complete frame as a view into the buffer; the view is valid only during the call. */
export interface FrameSink {
  onFrame(type: number, flags: number, buffer: Buffer, start: number, end: number): void;
}

export class MalformedFrameError extends Error {}

export class FrameDecoder {
  private pending: Buffer | undefined;

  constructor(private readonly sink: FrameSink) {}

  /** Bytes held back waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.pending === undefined ? 0 : this.pending.length;
  }

  push(chunk: Buffer): void {
    let buffer = chunk;
    if (this.pending !== undefined) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let offset = 0;
    const length = buffer.length;
    while (length - offset >= 2) {
      const firstByte = buffer[offset]!;
      let remainingLength = 0;
      let multiplier = 1;
      let position = offset + 1;
      let complete = false;
      for (let index = 0; index < 4 && position < length; index++) {
        const byte = buffer[position++]!;
        remainingLength += (byte & 0x7f) * multiplier;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
        multiplier *= 128;
      }
      if (!complete) {
        if (position - offset > 4) throw new MalformedFrameError('remaining length longer than 4 bytes');
        break;
      }
      const end = position + remainingLength;
      if (end > length) break;
      this.sink.onFrame(firstByte >> 4, firstByte & 0x0f, buffer, position, end);
      offset = end;
    }
    // Socket chunks are never reused by Node, so keeping a view is safe.
    if (offset < length) this.pending = buffer.subarray(offset);
  }
}

export function readVariableByteInteger(buffer: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let multiplier = 1;
  let position = offset;
  for (let index = 0; index < 4; index++) {
    const byte = buffer[position++];
    if (byte === undefined) throw new MalformedFrameError('truncated variable byte integer');
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, next: position };
    multiplier *= 128;
  }
  throw new MalformedFrameError('variable byte integer longer than 4 bytes');
}

/** Offset just past a v5 property block (or `offset` itself for v3.1.1); the benchmark ignores what it skips. */
export function skipProperties(buffer: Buffer, offset: number, protocolVersion: ProtocolVersion): number {
  if (protocolVersion !== 5) return offset;
  let position = offset;
  let value = 0;
  let multiplier = 1;
  for (let index = 0; index < 4; index++) {
    const byte = buffer[position++];
    if (byte === undefined) throw new MalformedFrameError('truncated property length');
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return position + value;
    multiplier *= 128;
  }
  throw new MalformedFrameError('property length longer than 4 bytes');
}

/** Property identifiers whose values the benchmark reads from CONNACK. */
const ReceiveMaximumProperty = 0x21;

/** Byte width per property id for fixed-size properties; strings/binary/pairs/varints handled below. */
const fixedPropertySize: Readonly<Record<number, number>> = {
  0x01: 1, 0x02: 4, 0x11: 4, 0x13: 2, 0x17: 1, 0x19: 1, 0x21: 2, 0x22: 2, 0x23: 2,
  0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1,
};
const lengthPrefixedProperties = new Set([0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1a, 0x1c, 0x1f]);
const UserPropertyId = 0x26;
const SubscriptionIdentifierId = 0x0b;

export interface ConnackFields {
  sessionPresent: boolean;
  reasonCode: number;
  /** From the v5 Receive Maximum property; 65535 when absent [MQTT-3.2.2.3.3]. */
  receiveMaximum: number;
}

export function readConnack(buffer: Buffer, start: number, end: number, protocolVersion: ProtocolVersion): ConnackFields {
  if (end - start < 2) throw new MalformedFrameError('CONNACK shorter than 2 bytes');
  const fields: ConnackFields = {
    sessionPresent: (buffer[start]! & 0x01) === 1,
    reasonCode: buffer[start + 1]!,
    receiveMaximum: 65_535,
  };
  if (protocolVersion !== 5 || end - start === 2) return fields;
  const { value: propertiesLength, next } = readVariableByteInteger(buffer, start + 2);
  const propertiesEnd = next + propertiesLength;
  let position = next;
  while (position < propertiesEnd && position < end) {
    const id = buffer[position++]!;
    const fixed = fixedPropertySize[id];
    if (id === ReceiveMaximumProperty) fields.receiveMaximum = buffer.readUInt16BE(position);
    if (fixed !== undefined) position += fixed;
    else if (lengthPrefixedProperties.has(id)) position += 2 + buffer.readUInt16BE(position);
    else if (id === UserPropertyId) {
      position += 2 + buffer.readUInt16BE(position);
      position += 2 + buffer.readUInt16BE(position);
    } else if (id === SubscriptionIdentifierId) position = readVariableByteInteger(buffer, position).next;
    else throw new MalformedFrameError(`unknown CONNACK property 0x${id.toString(16)}`);
  }
  return fields;
}

/** Return codes of a SUBACK (v3.1.1) or reason codes (v5), one per filter. */
export function readSubackCodes(buffer: Buffer, start: number, end: number, protocolVersion: ProtocolVersion): number[] {
  const codesStart = skipProperties(buffer, start + 2, protocolVersion);
  const codes: number[] = [];
  for (let position = codesStart; position < end; position++) codes.push(buffer[position]!);
  return codes;
}

/** Offset of the payload inside a PUBLISH frame; the packet id (QoS > 0) sits just after the topic. */
export function publishPayloadOffset(buffer: Buffer, start: number, qos: number, protocolVersion: ProtocolVersion): number {
  const afterTopic = start + 2 + buffer.readUInt16BE(start);
  return skipProperties(buffer, qos > 0 ? afterTopic + 2 : afterTopic, protocolVersion);
}

export function publishPacketId(buffer: Buffer, start: number): number {
  return buffer.readUInt16BE(start + 2 + buffer.readUInt16BE(start));
}

/** The v5 reason code of an acknowledgement; absent means Success [MQTT-3.4.2.1]. */
export function acknowledgementReasonCode(buffer: Buffer, start: number, end: number): number {
  return end - start > 2 ? buffer[start + 2]! : 0;
}
