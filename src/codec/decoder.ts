// The stateful half of the codec: frames a byte stream into packets. It owns only the partial
// frame; whole frames are decoded in place from the chunk they arrived in, so payloads are slices
// of the input. Only a frame that spans chunks is copied, into a buffer of its own size.
//
// A broker holds one Decoder per connection, most of them idle, so an idle Decoder holds no
// buffers of its own: the Reader is shared (decoding is synchronous, so one frame is read at a
// time in the whole process) and the list of pending chunks exists only while a frame spans chunks.

import { ProtocolVersion, ReasonCode } from './constants.js';
import { decodeAck } from './ack.js';
import { decodeConnack, decodeConnect } from './connect.js';
import { DecodeError } from './decode-error.js';
import { decodeAuth, decodeDisconnect } from './disconnect.js';
import { EMPTY_BUFFER, Reader, malformed } from './primitives.js';
import { decodePublish } from './publish.js';
import { decodeSuback, decodeSubscribe } from './subscribe.js';
import type { Packet, PacketTypeName } from './types.js';
import { decodeUnsuback, decodeUnsubscribe } from './unsubscribe.js';

export { DecodeError } from './decode-error.js';

export interface DecoderOptions {
  /** Largest whole packet (fixed header included) accepted; default 268435460, the protocol's limit. */
  maximumPacketSize?: number;
  protocolVersion?: ProtocolVersion;
}

const PROTOCOL_MAXIMUM_PACKET_SIZE = 268_435_460;

const PACKET_TYPE_NAMES: ReadonlyArray<PacketTypeName | undefined> = [
  undefined, 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth',
];

// The low nibble each packet type must carry (section 2.1.3); PUBLISH (-1) carries dup/qos/retain.
const REQUIRED_FLAGS: readonly number[] = [0, 0, 0, -1, 0, 0, 0b0010, 0, 0b0010, 0, 0b0010, 0, 0, 0, 0, 0];

/** Shared by every Decoder: a frame is read start to end within one call of next(). */
const sharedReader = new Reader();

export class Decoder {
  /** Version used for non-CONNECT packets (3.1.1 when unset); set when a CONNECT is decoded; set it on a client. */
  protocolVersion: ProtocolVersion | undefined;
  maximumPacketSize: number;

  // Bytes not yet decoded: head[offset..] then the pending chunks, in order.
  private head: Buffer = EMPTY_BUFFER;
  private offset = 0;
  /** Chunks received after `head`; undefined (not an empty list) while there are none. */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  private failed = false;

  constructor(options: DecoderOptions = {}) {
    this.maximumPacketSize = options.maximumPacketSize ?? PROTOCOL_MAXIMUM_PACKET_SIZE;
    this.protocolVersion = options.protocolVersion;
  }

  get bufferedBytes(): number {
    return this.head.length - this.offset + this.pendingBytes;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (this.offset >= this.head.length && this.pending === undefined) {
      this.head = chunk;
      this.offset = 0;
    } else {
      (this.pending ??= []).push(chunk);
      this.pendingBytes += chunk.length;
    }
  }

  /** The next complete packet, a DecodeError (then undefined forever), or undefined when more bytes are needed. */
  next(): Packet | DecodeError | undefined {
    if (this.failed) return undefined;
    let available = this.head.length - this.offset;
    if (available === 0) {
      if (this.pending === undefined) {
        // Drop our reference to the last chunk (packets still hold their slices).
        this.head = EMPTY_BUFFER;
        this.offset = 0;
        return undefined;
      }
      this.head = this.takePending();
      this.offset = 0;
      this.pendingBytes -= this.head.length;
      available = this.head.length;
    }
    const firstByte = this.head[this.offset]!;
    const type = firstByte >> 4;
    const headerError = this.checkFirstByte(type, firstByte & 0x0f);
    if (headerError !== undefined) return this.fail(headerError, type);

    // Remaining Length: the common case has it in one byte of the head chunk.
    let remainingLength: number;
    let headerLength: number;
    const secondByte = available >= 2 ? this.head[this.offset + 1]! : 0x80;
    if (secondByte < 0x80) {
      remainingLength = secondByte;
      headerLength = 2;
    } else {
      remainingLength = 0;
      headerLength = 0;
      let multiplier = 1;
      for (let index = 1; ; index++) {
        if (index > 4) return this.fail(malformed('remaining length longer than 4 bytes'), type);
        const byte = this.byteAt(index);
        if (byte === undefined) return undefined;
        remainingLength += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if (byte < 0x80) {
          headerLength = index + 1;
          break;
        }
      }
    }
    const frameLength = headerLength + remainingLength;
    if (frameLength > this.maximumPacketSize) {
      return this.fail(
        new DecodeError(ReasonCode.PacketTooLarge, `packet of ${frameLength} bytes exceeds the maximum of ${this.maximumPacketSize}`),
        type,
      );
    }
    if (available < frameLength) {
      if (available + this.pendingBytes < frameLength) return undefined;
      this.joinFrame(frameLength);
    }
    const start = this.offset + headerLength;
    const end = this.offset + frameLength;
    this.offset = end;
    sharedReader.reset(this.head, start, end);
    if (end === this.head.length && this.pending === undefined) {
      // Drop our reference; packets still hold their slices.
      this.head = EMPTY_BUFFER;
      this.offset = 0;
    }
    try {
      return this.decodeFrame(type, firstByte & 0x0f);
    } catch (error) {
      if (error instanceof DecodeError) return this.fail(error, type);
      throw error;
    }
  }

  private decodeFrame(type: number, flags: number): Packet {
    const reader = sharedReader;
    const version = this.protocolVersion ?? ProtocolVersion.V311;
    switch (type) {
      case 3:
        return decodePublish(reader, flags, version);
      case 4:
        return decodeAck(reader, 'puback', version);
      case 5:
        return decodeAck(reader, 'pubrec', version);
      case 6:
        return decodeAck(reader, 'pubrel', version);
      case 7:
        return decodeAck(reader, 'pubcomp', version);
      case 12:
        reader.expectEnd();
        return { type: 'pingreq' };
      case 13:
        reader.expectEnd();
        return { type: 'pingresp' };
      case 1: {
        const packet = decodeConnect(reader);
        this.protocolVersion = packet.protocolVersion;
        return packet;
      }
      case 2:
        return decodeConnack(reader, version);
      case 8:
        return decodeSubscribe(reader, version);
      case 9:
        return decodeSuback(reader, version);
      case 10:
        return decodeUnsubscribe(reader, version);
      case 11:
        return decodeUnsuback(reader, version);
      case 14:
        return decodeDisconnect(reader, version);
      default:
        return decodeAuth(reader);
    }
  }

  private checkFirstByte(type: number, flags: number): DecodeError | undefined {
    if (type === 0) return malformed('reserved packet type 0');
    const required = REQUIRED_FLAGS[type]!;
    if (required === -1) {
      const qos = (flags >> 1) & 3;
      if (qos === 3) return malformed('PUBLISH with QoS 3'); // [MQTT-3.3.1-4]
      if (qos === 0 && (flags & 8) !== 0) return malformed('DUP set on a QoS 0 PUBLISH'); // [MQTT-3.3.1-2]
      return undefined;
    }
    if (flags !== required) return malformed('reserved fixed header flags are wrong'); // [MQTT-2.1.3-1]
    if (type === 15 && this.protocolVersion !== ProtocolVersion.V5) return malformed('AUTH before MQTT 5');
    return undefined;
  }

  /** The byte `index` bytes after the current frame's start, looking into pending chunks; undefined if not received. */
  private byteAt(index: number): number | undefined {
    const inHead = this.head.length - this.offset;
    if (index < inHead) return this.head[this.offset + index];
    index -= inHead;
    for (const chunk of this.pending ?? []) {
      if (index < chunk.length) return chunk[index];
      index -= chunk.length;
    }
    return undefined;
  }

  /** Copies the frame that spans chunks into one buffer; bytes after the frame stay in their chunk. */
  private joinFrame(frameLength: number): void {
    const joined = Buffer.allocUnsafe(frameLength);
    let written = this.head.copy(joined, 0, this.offset);
    const pending = this.pending!;
    while (written < frameLength) {
      const chunk = pending[0]!;
      const needed = frameLength - written;
      if (chunk.length <= needed) {
        written += chunk.copy(joined, written);
        this.takePending();
        this.pendingBytes -= chunk.length;
      } else {
        written += chunk.copy(joined, written, 0, needed);
        pending[0] = chunk.subarray(needed);
        this.pendingBytes -= needed;
      }
    }
    this.head = joined;
    this.offset = 0;
  }

  /** Removes and returns the oldest pending chunk; the list goes away with its last chunk. */
  private takePending(): Buffer {
    const pending = this.pending!;
    const chunk = pending.shift()!;
    if (pending.length === 0) this.pending = undefined;
    return chunk;
  }

  private fail(error: DecodeError, type?: number): DecodeError {
    this.failed = true;
    this.head = EMPTY_BUFFER;
    this.offset = 0;
    this.pending = undefined;
    this.pendingBytes = 0;
    const packetType = type === undefined ? undefined : PACKET_TYPE_NAMES[type];
    if (error.packetType !== undefined || packetType === undefined) return error;
    return new DecodeError(error.reasonCode, error.message, packetType);
  }
}
