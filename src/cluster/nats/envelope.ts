// Messages as the bytes of one NATS message: a batch of entries (what one event-loop turn sent to one node,
// or wrote to the message stream), each one message in a compact binary layout whose topic (and shared group)
// come first, so a node reads the topic, asks its routes whether anyone here wants it, and skips the rest
// of an entry it does not need without decoding it. What the messages of a batch share (their origin, and
// ids and times close together) is written once in the batch's header; entries hold differences.
//
//   batch   u8 version; u16 origin length, origin; f64 first id; f64 first receivedAt; then entries
//   entry   u8 flags (bits 0-1 QoS, 2 retain, 3 group, 4 from, 5 expiry, 6 properties, 7 own origin)
//           varint topic length, topic (UTF-8); [varint group length, group key]
//           varint length of the rest, then the rest:
//             own origin: u16 origin length, origin, f64 id, f64 receivedAt;
//             else zigzag varint id - first id, zigzag varint receivedAt - first receivedAt;
//             [varint expiresAt - receivedAt]; [varint from length, from];
//             [varint properties length, properties (msgpack)]; payload (up to the end of the entry)
//
// Varints are 7 bits a byte, low first, up to 2^53. Strings of ASCII bytes are written and read without
// calling into Buffer (short ones are most topics and client ids, and the native calls cost more).

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
const OWN_ORIGIN = 1 << 7;

/** Strings up to this length are copied byte by byte when they are ASCII. */
const SHORT_STRING = 64;
/** Most bytes a varint takes (2^53). */
const VARINT_BYTES = 8;

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

function hasProperties(properties: Properties): boolean {
  for (const _ in properties) return true;
  return false;
}

/** A rough size of one entry, for batch size caps (no encoding). */
export function entryBytes(message: Message): number {
  return message.payload.length + message.topic.length + 32;
}

/** Most bytes a string takes with its varint length (UTF-8: at most 3 bytes per UTF-16 unit). */
function stringBound(text: string): number {
  return VARINT_BYTES + text.length * 3;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  while (value >= 128) {
    out[offset++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Writes a varint length and the string's UTF-8; returns the offset after it. */
function writeString(out: Buffer, offset: number, text: string): number {
  const length = text.length;
  if (length < 128 && length <= SHORT_STRING) {
    let index = 0;
    for (; index < length; index++) {
      const code = text.charCodeAt(index);
      if (code >= 0x80) break;
      out[offset + 1 + index] = code;
    }
    if (index === length) {
      out[offset] = length;
      return offset + 1 + length;
    }
  }
  const bytes = Buffer.byteLength(text);
  const start = writeVarint(out, offset, bytes);
  return start + out.write(text, start, 'utf8');
}

/**
 * One batch's bytes: `messages[i]` with `groups[i]` (the shared group it is sent to, or undefined), in order.
 * One buffer sized by an upper bound (no pass measuring strings); nothing allocated per message but the
 * properties' msgpack, when there are properties.
 */
export function encodeBatch(messages: readonly Message[], groups?: ReadonlyArray<string | undefined>): Buffer {
  const first = messages[0];
  if (first === undefined) return Buffer.from([VERSION, 0, 0, ...new Array<number>(16).fill(0)]);
  const origin = first.origin;
  let bound = 1 + 2 + origin.length * 3 + 16;
  let packed: Array<Buffer | undefined> | undefined;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    bound += 1 + stringBound(message.topic) + VARINT_BYTES * 4 + message.payload.length;
    const group = groups?.[index];
    if (group !== undefined) bound += stringBound(group);
    if (message.origin !== origin) bound += 2 + message.origin.length * 3 + 16;
    if (message.from !== undefined) bound += stringBound(message.from);
    if (hasProperties(message.properties)) {
      packed ??= [];
      const bytes = packr.pack(message.properties);
      packed[index] = bytes;
      bound += VARINT_BYTES + bytes.length;
    }
  }
  const out = Buffer.allocUnsafe(bound);
  out[0] = VERSION;
  let offset = writeOrigin(out, 1, origin);
  const baseId = first.id;
  const baseTime = first.receivedAt;
  out.writeDoubleLE(baseId, offset);
  out.writeDoubleLE(baseTime, offset + 8);
  offset += 16;
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
    const ownOrigin = message.origin !== origin;
    if (ownOrigin) flags |= OWN_ORIGIN;
    out[offset++] = flags;
    offset = writeString(out, offset, message.topic);
    if (group !== undefined) offset = writeString(out, offset, group);
    // The rest's length goes first but is known only after: write the rest after room for the length of
    // its largest possible size, then close the gap up.
    const lengthAt = offset;
    const restAt = offset + varintLength(message.payload.length + (properties?.length ?? 0) + (message.from?.length ?? 0) * 3 + message.origin.length * 3 + 64);
    offset = restAt;
    if (ownOrigin) {
      offset = writeOrigin(out, offset, message.origin);
      out.writeDoubleLE(message.id, offset);
      out.writeDoubleLE(message.receivedAt, offset + 8);
      offset += 16;
    } else {
      offset = writeVarint(out, offset, zigzag(message.id - baseId));
      offset = writeVarint(out, offset, zigzag(message.receivedAt - baseTime));
    }
    if (message.expiresAt !== undefined) offset = writeVarint(out, offset, Math.max(0, message.expiresAt - message.receivedAt));
    if (message.from !== undefined) offset = writeString(out, offset, message.from);
    if (properties !== undefined) {
      offset = writeVarint(out, offset, properties.length);
      offset += properties.copy(out, offset);
    }
    offset += message.payload.copy(out, offset);
    const restLength = offset - restAt;
    const lengthEnd = writeVarint(out, lengthAt, restLength);
    if (lengthEnd !== restAt) {
      out.copyWithin(lengthEnd, restAt, offset);
      offset -= restAt - lengthEnd;
    }
  }
  return out.subarray(0, offset);
}

function writeOrigin(out: Buffer, offset: number, origin: string): number {
  const length = out.write(origin, offset + 2, 'utf8');
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
  private origin = '';
  private baseId = 0;
  private baseTime = 0;
  private offset = 0;
  private flags = 0;
  private restStart = 0;
  private restEnd = 0;

  /** Starts reading `bytes`; throws EnvelopeError when they are no batch of this version. */
  reset(bytes: Uint8Array): void {
    const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.data = data;
    if (data.length === 0 || data[0] !== VERSION) throw new EnvelopeError(`unknown envelope (version ${data.length === 0 ? 'none' : String(data[0])})`);
    if (data.length < 3) throw new EnvelopeError('truncated batch header');
    const originLength = data.readUInt16LE(1);
    if (3 + originLength + 16 > data.length) throw new EnvelopeError('truncated batch header');
    this.origin = data.toString('utf8', 3, 3 + originLength);
    this.baseId = data.readDoubleLE(3 + originLength);
    this.baseTime = data.readDoubleLE(3 + originLength + 8);
    this.restEnd = 3 + originLength + 16;
  }

  /** Moves to the next entry (reading its topic and group); false at the end. */
  next(): boolean {
    const data = this.data;
    this.offset = this.restEnd;
    if (this.offset >= data.length) return false;
    const flags = data[this.offset++]!;
    this.topic = this.readString();
    this.group = (flags & GROUP) !== 0 ? this.readString() : undefined;
    const restLength = this.readVarint();
    this.flags = flags;
    this.restStart = this.offset;
    this.restEnd = this.offset + restLength;
    if (this.restEnd > data.length) throw new EnvelopeError('truncated entry');
    return true;
  }

  /** The current entry as a Message (its payload copied out of the batch). */
  message(): Message {
    const data = this.data;
    const flags = this.flags;
    this.offset = this.restStart;
    let origin = this.origin;
    let id: number;
    let receivedAt: number;
    if ((flags & OWN_ORIGIN) !== 0) {
      const originLength = data.readUInt16LE(this.offset);
      origin = data.toString('utf8', this.offset + 2, this.offset + 2 + originLength);
      this.offset += 2 + originLength;
      id = data.readDoubleLE(this.offset);
      receivedAt = data.readDoubleLE(this.offset + 8);
      this.offset += 16;
    } else {
      id = this.baseId + unzigzag(this.readVarint());
      receivedAt = this.baseTime + unzigzag(this.readVarint());
    }
    const expiresAt = (flags & EXPIRY) !== 0 ? receivedAt + this.readVarint() : undefined;
    const from = (flags & FROM) !== 0 ? this.readString() : undefined;
    let properties: Properties = {};
    if ((flags & PROPERTIES) !== 0) {
      const length = this.readVarint();
      properties = packr.unpack(data.subarray(this.offset, this.offset + length)) as Properties;
      this.offset += length;
    }
    if (this.offset > this.restEnd) throw new EnvelopeError('truncated entry');
    // A copy: a view would keep the whole batch in memory as long as this message is queued anywhere.
    const payload = Buffer.allocUnsafe(this.restEnd - this.offset);
    data.copy(payload, 0, this.offset, this.restEnd);
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

  private readVarint(): number {
    const data = this.data;
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < VARINT_BYTES; index++) {
      if (this.offset >= data.length) throw new EnvelopeError('truncated varint');
      const byte = data[this.offset++]!;
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw new EnvelopeError('varint longer than 8 bytes');
  }

  private readString(): string {
    const length = this.readVarint();
    const data = this.data;
    const start = this.offset;
    const end = start + length;
    if (end > data.length) throw new EnvelopeError('truncated string');
    this.offset = end;
    for (let index = start; index < end; index++) {
      if (data[index]! >= 0x80) return data.toString('utf8', start, end);
    }
    return data.toString('latin1', start, end);
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
