// MQTT data representations (section 1.5): integers, Variable Byte Integer, UTF-8 strings with
// the [MQTT-1.5.4-x] checks, binary data. Reader walks one complete frame; Writer fills a buffer
// that was sized exactly beforehand.

import { MAX_VARIABLE_BYTE_INTEGER, ReasonCode } from './constants.js';
import { DecodeError } from './decode-error.js';

const EMPTY = Buffer.alloc(0);
// ignoreBOM keeps a leading U+FEFF in the string: it must not be skipped [MQTT-1.5.4-3].
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function malformed(message: string): DecodeError {
  return new DecodeError(ReasonCode.MalformedPacket, message);
}

export function protocolError(message: string): DecodeError {
  return new DecodeError(ReasonCode.ProtocolError, message);
}

/** Reads the fields of one complete frame; every read is bounded by `end`, the frame's end. */
export class Reader {
  buffer: Buffer = EMPTY;
  position = 0;
  end = 0;

  reset(buffer: Buffer, position: number, end: number): void {
    this.buffer = buffer;
    this.position = position;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  readByte(): number {
    if (this.position >= this.end) throw malformed('packet ends inside a byte field');
    return this.buffer[this.position++]!;
  }

  readTwoByteInteger(): number {
    const position = this.position;
    if (position + 2 > this.end) throw malformed('packet ends inside a two byte integer');
    this.position = position + 2;
    return (this.buffer[position]! << 8) | this.buffer[position + 1]!;
  }

  readFourByteInteger(): number {
    const position = this.position;
    if (position + 4 > this.end) throw malformed('packet ends inside a four byte integer');
    this.position = position + 4;
    return this.buffer.readUInt32BE(position);
  }

  readVariableByteInteger(): number {
    let value = 0;
    let multiplier = 1;
    for (let index = 0; index < 4; index++) {
      const byte = this.readByte();
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return value;
      multiplier *= 128;
    }
    throw malformed('variable byte integer longer than 4 bytes');
  }

  /** A UTF-8 Encoded String: well formed [MQTT-1.5.4-1], without U+0000 [MQTT-1.5.4-2]. */
  readUtf8String(): string {
    const length = this.readTwoByteInteger();
    const start = this.position;
    const end = start + length;
    if (end > this.end) throw malformed('string longer than its packet');
    this.position = end;
    const buffer = this.buffer;
    for (let index = start; index < end; index++) {
      const byte = buffer[index]!;
      if (byte === 0) throw malformed('string contains U+0000'); // [MQTT-1.5.4-2]
      if (byte >= 0x80) return decodeNonAscii(buffer, start, index, end);
    }
    return buffer.toString('latin1', start, end);
  }

  readBinaryData(): Buffer {
    const length = this.readTwoByteInteger();
    const start = this.position;
    if (start + length > this.end) throw malformed('binary data longer than its packet');
    this.position = start + length;
    return this.buffer.subarray(start, start + length);
  }

  /** The rest of the frame, shared with the input (no copy). */
  readRest(): Buffer {
    const start = this.position;
    this.position = this.end;
    return this.buffer.subarray(start, this.end);
  }

  expectEnd(): void {
    if (this.position !== this.end) throw malformed('bytes left over after the packet content');
  }
}

function decodeNonAscii(buffer: Buffer, start: number, firstNonAscii: number, end: number): string {
  // In well-formed UTF-8 a 0x00 byte can only encode U+0000, so a byte scan is enough.
  for (let index = firstNonAscii; index < end; index++) {
    if (buffer[index] === 0) throw malformed('string contains U+0000'); // [MQTT-1.5.4-2]
  }
  try {
    return utf8Decoder.decode(buffer.subarray(start, end));
  } catch {
    throw malformed('string is not well-formed UTF-8'); // [MQTT-1.5.4-1]
  }
}

export function variableByteIntegerLength(value: number): number {
  if (value < 128) return 1;
  if (value < 16_384) return 2;
  if (value < 2_097_152) return 3;
  if (value <= MAX_VARIABLE_BYTE_INTEGER) return 4;
  throw new RangeError(`variable byte integer ${value} exceeds ${MAX_VARIABLE_BYTE_INTEGER}`);
}

/** Bytes of a UTF-8 Encoded String on the wire, length prefix included. */
export function utf8StringLength(value: string): number {
  const length = Buffer.byteLength(value, 'utf8');
  if (length > 0xffff) throw new RangeError(`string of ${length} bytes exceeds 65535`);
  return 2 + length;
}

/** Bytes of Binary Data on the wire, length prefix included. */
export function binaryDataLength(value: Buffer): number {
  if (value.length > 0xffff) throw new RangeError(`binary data of ${value.length} bytes exceeds 65535`);
  return 2 + value.length;
}

/** Writes into a buffer sized exactly by the caller; one instance is reused (encoding is synchronous). */
export class Writer {
  buffer: Buffer = EMPTY;
  position = 0;

  /**
   * Allocates the whole packet once and writes its fixed header. `omittedTailLength` bytes at the
   * end are counted in the remaining length but not allocated (a PUBLISH payload written by the caller).
   */
  startPacket(firstByte: number, remainingLength: number, omittedTailLength = 0): Buffer {
    const total = 1 + variableByteIntegerLength(remainingLength) + remainingLength - omittedTailLength;
    this.buffer = Buffer.allocUnsafe(total);
    this.position = 0;
    this.writeByte(firstByte);
    this.writeVariableByteInteger(remainingLength);
    return this.buffer;
  }

  writeByte(value: number): void {
    this.buffer[this.position++] = value;
  }

  writeTwoByteInteger(value: number): void {
    const position = this.position;
    this.buffer[position] = value >>> 8;
    this.buffer[position + 1] = value & 0xff;
    this.position = position + 2;
  }

  writeFourByteInteger(value: number): void {
    this.buffer.writeUInt32BE(value, this.position);
    this.position += 4;
  }

  writeVariableByteInteger(value: number): void {
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value > 0) byte |= 0x80;
      this.buffer[this.position++] = byte;
    } while (value > 0);
  }

  writeUtf8String(value: string): void {
    const start = this.position;
    const length = this.buffer.write(value, start + 2, 'utf8');
    this.buffer[start] = length >>> 8;
    this.buffer[start + 1] = length & 0xff;
    this.position = start + 2 + length;
  }

  writeBinaryData(value: Buffer): void {
    this.writeTwoByteInteger(value.length);
    this.writeBytes(value);
  }

  writeBytes(value: Buffer): void {
    this.buffer.set(value, this.position);
    this.position += value.length;
  }

  /** Hands the filled buffer over and drops the reference. */
  finish(): Buffer {
    const buffer = this.buffer;
    this.buffer = EMPTY;
    return buffer;
  }
}

export const writer = new Writer();
export const EMPTY_BUFFER = EMPTY;
