// The deliveries inside a message record, in a compact binary form rather than one msgpack object
// each: a publish owed to N sessions writes N of them on every message, and msgpack's per-object
// encoding was most of the broker thread's cost of durable QoS 1. Per delivery:
//
//   u32 client id length, client id (UTF-8), f64 sequence, u8 qos, u8 flags, u16 packet id,
//   [u8 count, u32 each]      subscription identifiers, when flags has SUBSCRIPTION_IDENTIFIERS
//   [u32 length, UTF-8]       shared group, when flags has SHARED_GROUP
//
// The message id is the record's key, so it is not repeated.

import type { OwedDelivery, StoredDelivery } from '../store.js';

const Flag = {
  Retain: 1,
  Sent: 2,
  Released: 4,
  SubscriptionIdentifiers: 8,
  SharedGroup: 16,
} as const;

/** Reused for every encoding: lmdb-js copies a value while put() runs, so the bytes are free again after it. */
let scratch: Buffer = Buffer.alloc(64 * 1024);
let view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);

/** Encodes deliveries into a view of a shared buffer, valid until the next call. */
export function encodeDeliveries(clientIds: readonly string[], deliveries: readonly StoredDelivery[]): Buffer {
  let offset = 0;
  for (let index = 0; index < deliveries.length; index++) {
    const delivery = deliveries[index]!;
    const clientId = clientIds[index]!;
    // Worst case of this delivery: UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = 28 + 3 * clientId.length + 5 * (delivery.subscriptionIdentifiers?.length ?? 0) + 3 * (delivery.sharedGroup?.length ?? 0);
    if (offset + room > scratch.length) scratch = grow(scratch, offset, offset + room);
    // Byte by byte rather than Buffer's write methods: their argument checks cost more than the writes.
    offset = writeString(clientId, offset);
    view.setFloat64(offset, delivery.sequence, true);
    scratch[offset + 8] = delivery.qos;
    const flagsAt = offset + 9;
    scratch[offset + 10] = delivery.packetId & 0xff;
    scratch[offset + 11] = delivery.packetId >>> 8;
    offset += 12;
    let flags = (delivery.retain ? Flag.Retain : 0) | (delivery.sent ? Flag.Sent : 0) | (delivery.released ? Flag.Released : 0);
    const identifiers = delivery.subscriptionIdentifiers;
    if (identifiers !== undefined) {
      flags |= Flag.SubscriptionIdentifiers;
      scratch[offset++] = identifiers.length;
      for (const identifier of identifiers) {
        view.setUint32(offset, identifier, true);
        offset += 4;
      }
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
  const readString = (): string => {
    const length = buffer.readUInt32LE(offset);
    const value = buffer.toString('utf8', offset + 4, offset + 4 + length);
    offset += 4 + length;
    return value;
  };
  while (offset < buffer.length) {
    const clientId = readString();
    const sequence = buffer.readDoubleLE(offset);
    const qos = buffer.readUInt8(offset + 8);
    const flags = buffer.readUInt8(offset + 9);
    const packetId = buffer.readUInt16LE(offset + 10);
    offset += 12;
    let subscriptionIdentifiers: number[] | undefined;
    if ((flags & Flag.SubscriptionIdentifiers) !== 0) {
      const count = buffer.readUInt8(offset++);
      subscriptionIdentifiers = [];
      for (let index = 0; index < count; index++, offset += 4) subscriptionIdentifiers.push(buffer.readUInt32LE(offset));
    }
    const sharedGroup = (flags & Flag.SharedGroup) !== 0 ? readString() : undefined;
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

function writeString(value: string, offset: number): number {
  const start = offset + 4;
  let end = start;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0x80) {
      end = start + scratch.write(value, start, 'utf8'); // not ASCII: let Buffer encode it all
      break;
    }
    scratch[end++] = code;
  }
  view.setUint32(offset, end - start, true);
  return end;
}

function grow(buffer: Buffer, used: number, needed: number): Buffer {
  const larger = Buffer.alloc(Math.max(needed, buffer.length * 2));
  buffer.copy(larger, 0, 0, used);
  view = new DataView(larger.buffer, larger.byteOffset, larger.byteLength);
  return larger;
}
