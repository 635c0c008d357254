// The primitives of the store's hand-written record encodings (delivery-codec.ts, segment-codec.ts):
// unsigned LEB128 varints, length-prefixed UTF-8 strings and bytes. Written byte by byte rather than
// with Buffer's write methods, whose argument checks cost more than the writes themselves.

/** A growable buffer written from the start; `bytes()` is a view valid until the next write or reset. */
export class ByteWriter {
  buffer: Buffer;
  offset = 0;

  constructor(initialSize: number) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.offset = 0;
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  /** Makes room for `bytes` more. */
  ensure(bytes: number): void {
    const needed = this.offset + bytes;
    if (needed <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(larger, 0, 0, this.offset);
    this.buffer = larger;
  }

  writeByte(value: number): void {
    this.ensure(1);
    this.buffer[this.offset++] = value;
  }

  /** A non-negative integer below 2^53. */
  writeVarint(value: number): void {
    this.ensure(8);
    const buffer = this.buffer;
    let offset = this.offset;
    while (value >= 0x80) {
      buffer[offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buffer[offset++] = value;
    this.offset = offset;
  }

  writeString(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.ensure(8 + 3 * value.length);
    const buffer = this.buffer;
    const start = this.offset;
    // One pass for ASCII, the usual case: its byte length is its length.
    this.writeVarint(value.length);
    let offset = this.offset;
    for (let index = 0; index < value.length; index++) {
      const code = value.charCodeAt(index);
      if (code >= 0x80) {
        this.offset = start;
        this.writeVarint(Buffer.byteLength(value, 'utf8'));
        this.offset += buffer.write(value, this.offset, 'utf8');
        return;
      }
      buffer[offset++] = code;
    }
    this.offset = offset;
  }

  writeBytes(value: Uint8Array): void {
    this.writeVarint(value.length);
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }
}

/** Reads what a ByteWriter wrote; every read past the end throws, naming `what` is being read. */
export class ByteReader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buffer: Buffer,
    private readonly what: string,
    start = 0,
    end = buffer.length,
  ) {
    this.offset = start;
    this.end = end;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  readByte(): number {
    if (this.offset >= this.end) throw new Error(`${this.what} ends inside a byte`);
    return this.buffer[this.offset++]!;
  }

  readVarint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.offset >= this.end) throw new Error(`${this.what} ends inside a number`);
      const byte = this.buffer[this.offset++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  readString(): string {
    const length = this.readVarint();
    if (this.offset + length > this.end) throw new Error(`${this.what} ends inside a string`);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A view of the bytes, sharing the reader's buffer. */
  readBytes(): Buffer {
    const length = this.readVarint();
    if (this.offset + length > this.end) throw new Error(`${this.what} ends inside a byte string`);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}
