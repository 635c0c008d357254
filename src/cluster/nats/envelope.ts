// Messages as the bytes of one NATS message: a batch of entries (what one event-loop turn sent to one node,
// or wrote to the message stream), each one message in a compact binary layout whose topic (and shared group)
// come first, so a node reads the topic, asks its routes whether anyone here wants it, and skips the rest
// of an entry it does not need without decoding it.
//
//   batch   u8 version, then entries
//   entry   u8 flags (bits 0-1 QoS, 2 retain, 3 group, 4 from, 5 expiry, 6 properties)
//           u16 topic length, topic (UTF-8); [u16 group length, group key]
//           u32 length of the rest, then the rest:
//             u16 origin length, origin; f64 id; f64 receivedAt; [f64 expiresAt]; [u16 from length, from];
//             [u32 properties length, properties (msgpack)]; payload (up to the end of the entry)

import { Packr } from 'msgpackr';
import type { Message } from '../../core/message.js';
import type { Properties, QoS } from '../../codec/types.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });
const VERSION = 3;

const RETAIN = 1 << 2;
const GROUP = 1 << 3;
const FROM = 1 << 4;
const EXPIRY = 1 << 5;
const PROPERTIES = 1 << 6;

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

function hasProperties(properties: Properties): boolean {
  for (const _ in properties) return true;
  return false;
}

/** A rough size of one entry, for batch size caps (no encoding). */
export function entryBytes(message: Message): number {
  return message.payload.length + message.topic.length + 64;
}

/**
 * One batch's bytes: `messages[i]` with `groups[i]` (the shared group it is sent to, or undefined), in order.
 * Two passes (sizes, then writes) into one buffer of the exact size: nothing allocated per message but
 * the properties' msgpack, when there are properties.
 */
export function encodeBatch(messages: readonly Message[], groups?: ReadonlyArray<string | undefined>): Buffer {
  let size = 1;
  let packed: Array<Buffer | undefined> | undefined;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    size += 1 + 2 + Buffer.byteLength(message.topic) + 4 + 2 + Buffer.byteLength(message.origin) + 16 + message.payload.length;
    const group = groups?.[index];
    if (group !== undefined) size += 2 + Buffer.byteLength(group);
    if (message.expiresAt !== undefined) size += 8;
    if (message.from !== undefined) size += 2 + Buffer.byteLength(message.from);
    if (hasProperties(message.properties)) {
      packed ??= [];
      const bytes = packr.pack(message.properties);
      packed[index] = bytes;
      size += 4 + bytes.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = VERSION;
  let offset = 1;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const group = groups?.[index];
    const properties = packed?.[index];
    let flags = message.qos;
    if (message.retain) flags |= RETAIN;
    if (group !== undefined) flags |= GROUP;
    if (message.from !== undefined) flags |= FROM;
    if (message.expiresAt !== undefined) flags |= EXPIRY;
    if (properties !== undefined) flags |= PROPERTIES;
    out[offset++] = flags;
    offset = writeString16(out, offset, message.topic);
    if (group !== undefined) offset = writeString16(out, offset, group);
    const restAt = offset;
    offset += 4;
    offset = writeString16(out, offset, message.origin);
    out.writeDoubleLE(message.id, offset);
    out.writeDoubleLE(message.receivedAt, offset + 8);
    offset += 16;
    if (message.expiresAt !== undefined) {
      out.writeDoubleLE(message.expiresAt, offset);
      offset += 8;
    }
    if (message.from !== undefined) offset = writeString16(out, offset, message.from);
    if (properties !== undefined) {
      out.writeUInt32LE(properties.length, offset);
      offset += 4;
      offset += properties.copy(out, offset);
    }
    offset += message.payload.copy(out, offset);
    out.writeUInt32LE(offset - restAt - 4, restAt);
  }
  return out;
}

function writeString16(out: Buffer, offset: number, text: string): number {
  const length = out.write(text, offset + 2, 'utf8');
  out.writeUInt16LE(length, offset);
  return offset + 2 + length;
}

/**
 * Reads a batch entry by entry: next() reads an entry's topic and group only; message() decodes the
 * rest of the current entry when it is wanted.
 */
export class BatchReader {
  topic = '';
  /** The shared group this entry was sent to (live batches), or undefined. */
  group: string | undefined = undefined;
  private data: Buffer = Buffer.alloc(0);
  private flags = 0;
  private restStart = 0;
  private restEnd = 0;

  /** Starts reading `bytes`; throws EnvelopeError when they are no batch of this version. */
  reset(bytes: Uint8Array): void {
    this.data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.data.length === 0 || this.data[0] !== VERSION) {
      throw new EnvelopeError(`unknown envelope (version ${this.data.length === 0 ? 'none' : String(this.data[0])})`);
    }
    this.restEnd = 1;
  }

  /** Moves to the next entry (reading its topic and group); false at the end. */
  next(): boolean {
    const data = this.data;
    let offset = this.restEnd;
    if (offset >= data.length) return false;
    if (offset + 7 > data.length) throw new EnvelopeError('truncated entry');
    const flags = data[offset]!;
    offset++;
    const topicLength = data.readUInt16LE(offset);
    this.topic = data.toString('utf8', offset + 2, offset + 2 + topicLength);
    offset += 2 + topicLength;
    if ((flags & GROUP) !== 0) {
      const groupLength = data.readUInt16LE(offset);
      this.group = data.toString('utf8', offset + 2, offset + 2 + groupLength);
      offset += 2 + groupLength;
    } else {
      this.group = undefined;
    }
    const restLength = data.readUInt32LE(offset);
    this.flags = flags;
    this.restStart = offset + 4;
    this.restEnd = this.restStart + restLength;
    if (this.restEnd > data.length) throw new EnvelopeError('truncated entry');
    return true;
  }

  /** The current entry as a Message (its payload copied out of the batch). */
  message(): Message {
    const data = this.data;
    const flags = this.flags;
    let offset = this.restStart;
    const originLength = data.readUInt16LE(offset);
    const origin = data.toString('utf8', offset + 2, offset + 2 + originLength);
    offset += 2 + originLength;
    const id = data.readDoubleLE(offset);
    const receivedAt = data.readDoubleLE(offset + 8);
    offset += 16;
    let expiresAt: number | undefined;
    if ((flags & EXPIRY) !== 0) {
      expiresAt = data.readDoubleLE(offset);
      offset += 8;
    }
    let from: string | undefined;
    if ((flags & FROM) !== 0) {
      const fromLength = data.readUInt16LE(offset);
      from = data.toString('utf8', offset + 2, offset + 2 + fromLength);
      offset += 2 + fromLength;
    }
    let properties: Properties = {};
    if ((flags & PROPERTIES) !== 0) {
      const propertiesLength = data.readUInt32LE(offset);
      properties = packr.unpack(data.subarray(offset + 4, offset + 4 + propertiesLength)) as Properties;
      offset += 4 + propertiesLength;
    }
    // A copy: a view would keep the whole batch in memory as long as this message is queued anywhere.
    const payload = Buffer.allocUnsafe(this.restEnd - offset);
    data.copy(payload, 0, offset, this.restEnd);
    return {
      id,
      origin,
      topic: this.topic,
      payload,
      qos: (flags & 3) as QoS,
      retain: (flags & RETAIN) !== 0,
      properties,
      from,
      receivedAt,
      expiresAt,
    };
  }
}

/** Every message of a batch, in order (replays, tests). */
export function decodeBatch(bytes: Uint8Array): Array<{ message: Message; group: string | undefined }> {
  const reader = new BatchReader();
  reader.reset(bytes);
  const entries: Array<{ message: Message; group: string | undefined }> = [];
  while (reader.next()) entries.push({ message: reader.message(), group: reader.group });
  return entries;
}

/** One message as a batch of one (tests and tools). */
export function encodeMessage(message: Message): Buffer {
  return encodeBatch([message]);
}

/** The first message of a batch (tests and tools). */
export function decodeMessage(bytes: Uint8Array): Message {
  const [entry] = decodeBatch(bytes);
  if (entry === undefined) throw new EnvelopeError('empty envelope');
  return entry.message;
}
