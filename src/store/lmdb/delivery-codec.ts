// The deliveries a message was first owed as, stored beside the message in a compact binary form
// rather than one msgpack object each: a publish owed to N sessions writes N of them on every
// message, and msgpack's per-object encoding was most of the broker thread's cost of durable QoS 1.
// Per delivery, with the varints and strings of bytes.ts:
//
//   string client id, varint distance of the sequence from the previous delivery's (the first: from
//   0; sequences of one publish are consecutive, so this is usually 1 byte; flags has SequenceDown
//   when it is below), u8 qos | flags, varint packet id,
//   [varint count, varint each]   subscription identifiers, when flags has SubscriptionIdentifiers
//   [string]                      shared group, when flags has SharedGroup
//
// The message id is known from where the deliveries are stored, so it is not repeated.

import type { OwedDelivery, StoredDelivery } from '../store.js';
import { ByteReader, type ByteWriter } from './bytes.js';

/** Bits above the QoS (bits 0-1) in the qos byte. */
const Flag = {
  Retain: 4,
  Sent: 8,
  Released: 16,
  SubscriptionIdentifiers: 32,
  SharedGroup: 64,
  SequenceDown: 128,
} as const;

/** Writes deliveries (`deliveries[i]` owed to `clientIds[i]`), without a count. */
export function writeDeliveries(writer: ByteWriter, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void {
  let previousSequence = 0;
  for (let index = 0; index < deliveries.length; index++) {
    const delivery = deliveries[index]!;
    writer.writeString(clientIds[index]!);
    const down = delivery.sequence < previousSequence;
    writer.writeVarint(down ? previousSequence - delivery.sequence : delivery.sequence - previousSequence);
    previousSequence = delivery.sequence;
    let flags = delivery.qos | (delivery.retain ? Flag.Retain : 0) | (delivery.sent ? Flag.Sent : 0) | (delivery.released ? Flag.Released : 0);
    if (down) flags |= Flag.SequenceDown;
    const identifiers = delivery.subscriptionIdentifiers;
    if (identifiers !== undefined) flags |= Flag.SubscriptionIdentifiers;
    if (delivery.sharedGroup !== undefined) flags |= Flag.SharedGroup;
    writer.writeByte(flags);
    writer.writeVarint(delivery.packetId);
    if (identifiers !== undefined) {
      writer.writeVarint(identifiers.length);
      for (const identifier of identifiers) writer.writeVarint(identifier);
    }
    if (delivery.sharedGroup !== undefined) writer.writeString(delivery.sharedGroup);
  }
}

/** Reads `count` deliveries of a message, or all up to the reader's end when count is undefined. */
export function readDeliveries(reader: ByteReader, messageId: number, count?: number): OwedDelivery[] {
  const deliveries: OwedDelivery[] = [];
  let sequence = 0;
  while (count === undefined ? !reader.done : deliveries.length < count) {
    const clientId = reader.readString();
    const distance = reader.readVarint();
    const flags = reader.readByte();
    sequence += (flags & Flag.SequenceDown) !== 0 ? -distance : distance;
    const packetId = reader.readVarint();
    let subscriptionIdentifiers: number[] | undefined;
    if ((flags & Flag.SubscriptionIdentifiers) !== 0) {
      const identifiers = reader.readVarint();
      subscriptionIdentifiers = [];
      for (let index = 0; index < identifiers; index++) subscriptionIdentifiers.push(reader.readVarint());
    }
    const sharedGroup = (flags & Flag.SharedGroup) !== 0 ? reader.readString() : undefined;
    const qos = flags & 3;
    if (qos !== 1 && qos !== 2) throw new Error(`delivery of message ${messageId} has QoS ${qos}`);
    deliveries.push({
      clientId,
      sequence,
      messageId,
      qos,
      retain: (flags & Flag.Retain) !== 0,
      subscriptionIdentifiers,
      sharedGroup,
      packetId,
      sent: (flags & Flag.Sent) !== 0,
      released: (flags & Flag.Released) !== 0,
    });
  }
  return deliveries;
}

/** Decodes deliveries written by writeDeliveries without a count (a format 2 message record's `deliveries`). */
export function decodeDeliveries(bytes: Uint8Array, messageId: number): OwedDelivery[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readDeliveries(new ByteReader(buffer, `deliveries of message ${messageId}`), messageId);
}
