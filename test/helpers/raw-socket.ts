// A tiny raw-socket MQTT peer for tests that need exact bytes: connect, write bytes, collect what
// the broker sends back, wait for the connection to close. Plus builders for the few packets such
// tests need to be well formed (CONNECT, PUBLISH) so each test can break exactly one thing.

import { connect as netConnect, type Socket } from 'node:net';

export class RawClient {
  private readonly chunks: Buffer[] = [];
  private readonly closed: Promise<void>;
  private closedFlag = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      for (const waiter of this.waiters) waiter();
    });
    socket.on('error', () => {
      /* a reset by the broker is an answer too; 'close' follows */
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedFlag = true;
        for (const waiter of this.waiters) waiter();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw socket: no TCP connection to ${host}:${port} after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Everything received so far, in one buffer. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  write(bytes: Buffer | readonly number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Resolves with the received bytes once at least `count` arrived; rejects on close or timeout. */
  waitForBytes(count: number, timeoutMs = 5000): Promise<Buffer> {
    return this.waitUntil(() => this.received.length >= count, `${count} bytes`, timeoutMs, true);
  }

  /** Resolves with the first `count` complete frames received; rejects on close or timeout. */
  async nextFrames(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    await this.waitUntil(() => splitFrames(this.received).frames.length >= count, `${count} frames`, timeoutMs, true);
    return splitFrames(this.received).frames.slice(0, count);
  }

  /** Resolves with every byte received once the broker closed the connection; rejects after timeoutMs. */
  async waitForClose(timeoutMs = 5000): Promise<Buffer> {
    await this.waitUntil(() => this.closedFlag, 'the connection to close', timeoutMs, false);
    await this.closed;
    return this.received;
  }

  /** Sends a CONNECT and waits for a CONNACK; returns the CONNACK frame. */
  async handshake(connectPacket: Buffer, timeoutMs = 5000): Promise<Buffer> {
    this.write(connectPacket);
    const [connack] = await this.nextFrames(1, timeoutMs);
    if (connack === undefined || connack[0] !== 0x20) throw new Error(`expected CONNACK, got ${hex(this.received)}`);
    const rest = this.received.subarray(connack.length);
    this.chunks.length = 0;
    if (rest.length > 0) this.chunks.push(rest);
    return connack;
  }

  /** Forgets what was received so far (e.g. the CONNACK), so later assertions see only what follows. */
  clearReceived(): void {
    this.chunks.length = 0;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitUntil(condition: () => boolean, what: string, timeoutMs: number, failOnClose: boolean): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          done();
          resolve(this.received);
        } else if (failOnClose && this.closedFlag) {
          done();
          reject(new Error(`connection closed while waiting for ${what}; received ${hex(this.received)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${hex(this.received)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Splits a byte stream into complete MQTT frames (fixed header included); `rest` is an incomplete tail. */
export function splitFrames(bytes: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let offset = 0;
  for (;;) {
    let remaining = 0;
    let multiplier = 1;
    let index = offset + 1;
    let complete = false;
    for (let count = 0; count < 4 && index < bytes.length; count++, index++) {
      const byte = bytes[index]!;
      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if (byte < 0x80) {
        complete = true;
        index++;
        break;
      }
    }
    if (!complete || index + remaining > bytes.length) break;
    frames.push(bytes.subarray(offset, index + remaining));
    offset = index + remaining;
  }
  return { frames, rest: bytes.subarray(offset) };
}

export function hex(bytes: Buffer): string {
  return bytes.length === 0 ? '(nothing)' : bytes.toString('hex').replace(/(..)/g, '$1 ').trim();
}

// --- packet builders ---------------------------------------------------------------------------

function variableByteInteger(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}

/** A UTF-8 Encoded String field: two-byte length, then the bytes as given (so tests can pass invalid ones). */
export function stringField(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** A frame: first byte, Remaining Length, body. */
export function frame(firstByte: number, ...body: (Buffer | readonly number[])[]): Buffer {
  const content = Buffer.concat(body.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part))));
  return Buffer.concat([Buffer.from([firstByte, ...variableByteInteger(content.length)]), content]);
}

/** An MQTT 5 property block: Property Length, then the property bytes. */
export function properties(...bytes: number[]): Buffer {
  return Buffer.from([...variableByteInteger(bytes.length), ...bytes]);
}

export interface RawConnectOptions {
  clientId: string;
  /** 3 (MQTT 3.1, 'MQIsdp'), 4 (3.1.1) or 5; other levels for negative tests. */
  level?: number;
  protocolName?: string;
  /** Connect flags; default 0x02 (Clean Start). */
  flags?: number;
  keepAlive?: number;
  /** MQTT 5 CONNECT property bytes (without the length); default: Request Problem Information 0. */
  propertyBytes?: number[];
}

export function connectPacket(options: RawConnectOptions): Buffer {
  const level = options.level ?? 4;
  const protocolName = options.protocolName ?? (level === 3 ? 'MQIsdp' : 'MQTT');
  const keepAlive = options.keepAlive ?? 60;
  const parts: Buffer[] = [
    stringField(protocolName),
    Buffer.from([level, options.flags ?? 0x02, keepAlive >> 8, keepAlive & 0xff]),
  ];
  // Request Problem Information 0 keeps the broker's answers free of reason strings, so tests can
  // compare them byte for byte [MQTT-3.1.2-29].
  if (level === 5) parts.push(properties(...(options.propertyBytes ?? [0x17, 0x00])));
  parts.push(stringField(options.clientId));
  return frame(0x10, ...parts);
}

/** PUBLISH with the given first byte (type, dup, qos, retain), topic bytes, packet id and properties. */
export function publishPacket(options: {
  firstByte?: number;
  topic: string | Buffer;
  packetId?: number;
  /** MQTT 5 property bytes (without the length); omit for 3.1.1. */
  propertyBytes?: number[];
  payload?: string | Buffer;
}): Buffer {
  const parts: Buffer[] = [stringField(options.topic)];
  if (options.packetId !== undefined) parts.push(Buffer.from([options.packetId >> 8, options.packetId & 0xff]));
  if (options.propertyBytes !== undefined) parts.push(properties(...options.propertyBytes));
  if (options.payload !== undefined) parts.push(Buffer.from(options.payload));
  return frame(options.firstByte ?? 0x30, ...parts);
}
