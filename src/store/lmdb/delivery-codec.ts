// The deliveries inside a message record, in a compact binary form rather than one msgpack object
// each: a publish owed to N sessions writes N of them on every message, and msgpack's per-object
// encoding was most of the broker thread's cost of durable QoS 1. Small records also keep a publish
// to many sessions on one page (LMDB moves values over about 2 KiB to pages of their own). Per
// delivery, with unsigned LEB128 varints:
//
//   varint client id length, client id (UTF-8), varint distance of the sequence from the previous
//   delivery's (the first: from 0; sequences of one publish are consecutive, so this is usually
//   1 byte; flags has SequenceDown when it is below), u8 qos | flags, varint packet id,
//   [varint count, varint each]   subscription identifiers, when flags has SubscriptionIdentifiers
//   [varint length, UTF-8]        shared group, when flags has SharedGroup
//
// The message id is the record's key, so it is not repeated.

import type { OwedDelivery, StoredDelivery } from '../store.js';

/** Bits above the QoS (bits 0-1) in the qos byte. */
const Flag = {
  Retain: 4,
  Sent: 8,
  Released: 16,
  SubscriptionIdentifiers: 32,
  SharedGroup: 64,
  SequenceDown: 128,
} as const;

/** Reused for every encoding: lmdb-js copies a value while put() runs, so the bytes are free again after it. */
let scratch: Buffer = Buffer.alloc(64 * 1024);

/** Encodes deliveries (`deliveries[i]` owed to `clientIds[i]`) into a view of a shared buffer, valid until the next call. */
export function encodeDeliveries(clientIds: readonly string[], deliveries: readonly StoredDelivery[]): Buffer {
  let offset = 0;
  let previousSequence = 0;
  for (let index = 0; index < deliveries.length; index++) {
    const delivery = deliveries[index]!;
    const clientId = clientIds[index]!;
    // Worst case of this delivery: UTF-8 takes at most 3 bytes per UTF-16 unit, a varint at most 8 here.
    const room = 40 + 3 * clientId.length + 5 * (delivery.subscriptionIdentifiers?.length ?? 0) + 3 * (delivery.sharedGroup?.length ?? 0);
    if (offset + room > scratch.length) scratch = grow(scratch, offset, offset + room);
    // Byte by byte rather than Buffer's write methods: their argument checks cost more than the writes.
    offset = writeString(clientId, offset);
    const down = delivery.sequence < previousSequence;
    offset = writeVarint(down ? previousSequence - delivery.sequence : delivery.sequence - previousSequence, offset);
    previousSequence = delivery.sequence;
    const flagsAt = offset++;
    offset = writeVarint(delivery.packetId, offset);
    let flags = delivery.qos | (delivery.retain ? Flag.Retain : 0) | (delivery.sent ? Flag.Sent : 0) | (delivery.released ? Flag.Released : 0);
    if (down) flags |= Flag.SequenceDown;
    const identifiers = delivery.subscriptionIdentifiers;
    if (identifiers !== undefined) {
      flags |= Flag.SubscriptionIdentifiers;
      offset = writeVarint(identifiers.length, offset);
      for (const identifier of identifiers) offset = writeVarint(identifier, offset);
    }
    if (delivery.sharedGroup !== undefined) {
      flags |= Flag.SharedGroup;
      offset = writeString(delivery.sharedGroup, offset);
    }
    scratch[flagsAt] = flags;
  }
  return scratch.subarray(0, offset);
}

export function decodeDeliveries(bytes: Uint8Array, messageId: number): OwedDelivery[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const deliveries: OwedDelivery[] = [];
  let offset = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (offset >= buffer.length) throw new Error(`deliveries of message ${messageId} end inside a number`);
      const byte = buffer[offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  const readString = (): string => {
    const length = readVarint();
    if (offset + length > buffer.length) throw new Error(`deliveries of message ${messageId} end inside a string`);
    const value = buffer.toString('utf8', offset, offset + length);
    offset += length;
    return value;
  };
  let sequence = 0;
  while (offset < buffer.length) {
    const clientId = readString();
    const distance = readVarint();
    if (offset >= buffer.length) throw new Error(`deliveries of message ${messageId} end inside a delivery`);
    const flags = buffer[offset++]!;
    sequence += (flags & Flag.SequenceDown) !== 0 ? -distance : distance;
    const packetId = readVarint();
    let subscriptionIdentifiers: number[] | undefined;
    if ((flags & Flag.SubscriptionIdentifiers) !== 0) {
      const count = readVarint();
      subscriptionIdentifiers = [];
      for (let index = 0; index < count; index++) subscriptionIdentifiers.push(readVarint());
    }
    const sharedGroup = (flags & Flag.SharedGroup) !== 0 ? readString() : undefined;
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

/** Unsigned LEB128 of a non-negative integer below 2^53. */
function writeVarint(value: number, offset: number): number {
  while (value >= 0x80) {
    scratch[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  scratch[offset++] = value;
  return offset;
}

function writeString(value: string, offset: number): number {
  let ascii = true;
  for (let index = 0; index < value.length; index++) {
    if (value.charCodeAt(index) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    const bytes = Buffer.byteLength(value, 'utf8');
    offset = writeVarint(bytes, offset);
    return offset + scratch.write(value, offset, 'utf8');
  }
  offset = writeVarint(value.length, offset);
  for (let index = 0; index < value.length; index++) scratch[offset++] = value.charCodeAt(index);
  return offset;
}

function grow(buffer: Buffer, used: number, needed: number): Buffer {
  const larger = Buffer.alloc(Math.max(needed, buffer.length * 2));
  buffer.copy(larger, 0, 0, used);
  return larger;
}
