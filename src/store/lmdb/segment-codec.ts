// A segment: the QoS 1/2 messages stored in one event-loop turn, with the deliveries each was first
// owed as, in one LMDB record. One write per turn instead of one per message keeps the broker thread
// and LMDB's write thread out of the way of durable throughput. Per message, with bytes.ts's varints,
// strings and byte strings:
//
//   varint message id - segment id, u8 qos | flags, string topic, bytes payload, varint receivedAt,
//   [varint expiresAt]   when flags has ExpiresAt
//   [string from]        when flags has From
//   [bytes properties]   msgpack, when flags has Properties (the message has any)
//   varint delivery count, the deliveries (delivery-codec.ts)
//
// A segment's id (its key) is the id of its first message; ids within one ascend.

import { Packr } from 'msgpackr';
import type { Properties } from '../../codec/types.js';
import type { OwedDelivery, StoredDelivery, StoredMessage } from '../store.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { readDeliveries, writeDeliveries } from './delivery-codec.js';
import { reviveMessage } from './buffers.js';

const Flag = {
  Retain: 4,
  ExpiresAt: 8,
  From: 16,
  Properties: 32,
} as const;

// copyBuffers: binary properties (correlation data) must not be views of lmdb-js's reused read buffer.
const packr = new Packr({ useRecords: false, copyBuffers: true });

export function writeSegmentMessage(
  writer: ByteWriter,
  segmentId: number,
  messageId: number,
  message: StoredMessage,
  clientIds: readonly string[],
  deliveries: readonly StoredDelivery[],
): void {
  writer.writeVarint(messageId - segmentId);
  const hasProperties = hasAny(message.properties);
  let flags = message.qos | (message.retain ? Flag.Retain : 0);
  if (message.expiresAt !== undefined) flags |= Flag.ExpiresAt;
  if (message.from !== undefined) flags |= Flag.From;
  if (hasProperties) flags |= Flag.Properties;
  writer.writeByte(flags);
  writer.writeString(message.topic);
  writer.writeBytes(message.payload);
  writer.writeVarint(message.receivedAt);
  if (message.expiresAt !== undefined) writer.writeVarint(message.expiresAt);
  if (message.from !== undefined) writer.writeString(message.from);
  if (hasProperties) writer.writeBytes(packr.pack(message.properties));
  writer.writeVarint(deliveries.length);
  writeDeliveries(writer, clientIds, deliveries);
}

export interface SegmentMessage {
  messageId: number;
  message: StoredMessage;
  deliveries: OwedDelivery[];
}

/** Decodes a segment; payloads are views of `bytes` (copy those kept). Throws on truncated or invalid bytes. */
export function decodeSegment(bytes: Buffer, segmentId: number): SegmentMessage[] {
  const reader = new ByteReader(bytes, `segment ${segmentId}`);
  const messages: SegmentMessage[] = [];
  while (!reader.done) {
    const messageId = segmentId + reader.readVarint();
    const flags = reader.readByte();
    const qos = flags & 3;
    if (qos > 2) throw new Error(`message ${messageId} in segment ${segmentId} has QoS ${qos}`);
    const topic = reader.readString();
    const payload = reader.readBytes();
    const receivedAt = reader.readVarint();
    const expiresAt = (flags & Flag.ExpiresAt) !== 0 ? reader.readVarint() : undefined;
    const from = (flags & Flag.From) !== 0 ? reader.readString() : undefined;
    const properties = (flags & Flag.Properties) !== 0 ? (packr.unpack(reader.readBytes()) as Properties) : {};
    const message = reviveMessage({ topic, payload, qos: qos as 0 | 1 | 2, retain: (flags & Flag.Retain) !== 0, properties, from, receivedAt, expiresAt });
    const deliveries = readDeliveries(reader, messageId, reader.readVarint());
    messages.push({ messageId, message, deliveries });
  }
  return messages;
}

function hasAny(properties: Properties): boolean {
  for (const key in properties) if ((properties as Record<string, unknown>)[key] !== undefined) return true;
  return false;
}
