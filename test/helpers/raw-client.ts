// The raw MQTT test client: a TCP socket that sends and receives either packets or exact bytes, for
// what MQTT.js will not do on purpose (stay silent, skip or withhold acks, resend, break the protocol).
// Packets are encoded and parsed with mqtt-packet, so what the broker sends is checked independently
// of our codec; the byte side records every byte received, and builders below make well-formed
// frames so a test can break exactly one thing.

import net from 'node:net';
import mqttPacket from 'mqtt-packet';

export type RawPacket = mqttPacket.Packet;
export type ProtocolVersion = 3 | 4 | 5;

/** CONNECT fields; anything left out gets a default (a random client id, Clean Start, keep-alive 60 s). */
export type ConnectFields = Partial<Omit<mqttPacket.IConnectPacket, 'cmd' | 'protocolVersion'>>;

const CONNECT_TIMEOUT_MS = 5000;
const PACKET_TIMEOUT_MS = 3000;

export class RawClient {
  /** Packets received and not yet taken (by next(), expect(), receive() or an onPacket() handler). */
  private readonly queue: RawPacket[] = [];
  private readonly chunks: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  private handler: ((packet: RawPacket) => void) | undefined;
  private readonly closedPromise: Promise<void>;
  isClosed = false;

  private constructor(
    readonly socket: net.Socket,
    readonly protocolVersion: ProtocolVersion,
  ) {
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (packet: RawPacket) => this.take(packet));
    // A frame mqtt-packet cannot parse (or one in another protocol version, when a test writes its
    // own CONNECT bytes) shows up as a pseudo-packet; byte-level tests never look at the queue.
    parser.on('error', (error: Error) => this.take({ cmd: 'parse-error', message: error.message } as unknown as RawPacket));
    socket.on('data', (chunk: Buffer) => {
      // A client handing packets to onPacket() runs long (durability load): it keeps no bytes.
      if (this.handler === undefined) this.chunks.push(chunk);
      parser.parse(chunk);
      this.wake();
    });
    socket.on('error', () => {
      /* a reset is how some refusals end (and how a killed broker goes); 'close' follows */
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Opens a TCP connection to 127.0.0.1:port; nothing is sent yet. `protocolVersion` is the one packets are parsed and encoded in. */
  static open(port: number, protocolVersion: ProtocolVersion = 5, timeoutMs = CONNECT_TIMEOUT_MS): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw client: no TCP connection to 127.0.0.1:${port} after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawClient(socket, protocolVersion));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Opens a socket, sends CONNECT (the given fields over the defaults) and returns after the CONNACK. */
  static async connect(
    port: number,
    fields: ConnectFields & { protocolVersion?: ProtocolVersion } = {},
  ): Promise<{ client: RawClient; connack: mqttPacket.IConnackPacket }> {
    const { protocolVersion = 5, ...connect } = fields;
    const client = await RawClient.open(port, protocolVersion);
    const connack = await client.connect(connect);
    return { client, connack };
  }

  // --- packets -----------------------------------------------------------------------------------

  /** Sends CONNECT (the given fields over the defaults) and returns the CONNACK, which must be the next packet. */
  async connect(fields: ConnectFields = {}, timeoutMs = CONNECT_TIMEOUT_MS): Promise<mqttPacket.IConnackPacket> {
    this.send({
      cmd: 'connect',
      protocolId: this.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: this.protocolVersion,
      clientId: `raw-${Math.random().toString(16).slice(2)}`,
      clean: true,
      keepalive: 60,
      ...fields,
    } as mqttPacket.IConnectPacket);
    return await this.expect('connack', timeoutMs);
  }

  /** Encodes and sends a packet (nothing once the socket is closed). */
  send(packet: RawPacket): void {
    if (!this.isClosed) this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** The next packet received, in order; rejects after timeoutMs or when the socket closes first. */
  async next(timeoutMs = PACKET_TIMEOUT_MS): Promise<RawPacket> {
    await this.waitUntil(() => this.queue.length > 0, 'a packet', timeoutMs, true);
    return this.queue.shift()!;
  }

  /** The next packet, which must be of type `cmd`. */
  async expect<C extends RawPacket['cmd']>(cmd: C, timeoutMs = PACKET_TIMEOUT_MS): Promise<Extract<RawPacket, { cmd: C }>> {
    const packet = await this.next(timeoutMs);
    if (packet.cmd !== cmd) throw new Error(`expected ${cmd}, got ${JSON.stringify(packet)}`);
    return packet as Extract<RawPacket, { cmd: C }>;
  }

  /** The first packet of type `cmd`, waiting for it; packets of other types before it stay queued. */
  async receive<C extends RawPacket['cmd']>(cmd: C, timeoutMs = PACKET_TIMEOUT_MS): Promise<Extract<RawPacket, { cmd: C }>> {
    const index = (): number => this.queue.findIndex((packet) => packet.cmd === cmd);
    await this.waitUntil(() => index() >= 0, cmd, timeoutMs, true);
    return this.queue.splice(index(), 1)[0] as Extract<RawPacket, { cmd: C }>;
  }

  /** Packets of type `cmd` received and not yet taken. */
  pending(cmd: RawPacket['cmd']): RawPacket[] {
    return this.queue.filter((packet) => packet.cmd === cmd);
  }

  /** Hands every packet from now on (first those still queued) to `handler` instead of queueing it; receivedBytes stops growing. */
  onPacket(handler: (packet: RawPacket) => void): void {
    this.handler = handler;
    for (let packet = this.queue.shift(); packet !== undefined; packet = this.queue.shift()) handler(packet);
  }

  /** Sends DISCONNECT, ends the socket and waits for it to close. */
  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' } as mqttPacket.IDisconnectPacket);
    this.socket.end();
    await this.closedPromise;
  }

  // --- bytes -------------------------------------------------------------------------------------

  /** Writes bytes as given: malformed frames, partial frames, a CONNECT built by hand. */
  write(bytes: Buffer | readonly number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Every byte received so far (since handshake(), if one was made), in one buffer. */
  get receivedBytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Writes CONNECT bytes and waits for a CONNACK frame; returns it, and forgets it from receivedBytes. */
  async handshake(connectBytes: Buffer, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Buffer> {
    this.write(connectBytes);
    await this.waitUntil(() => splitFrames(this.receivedBytes).frames.length > 0, 'a CONNACK', timeoutMs, true);
    const received = this.receivedBytes;
    const [connack] = splitFrames(received).frames;
    if (connack === undefined || connack[0] !== 0x20) throw new Error(`expected CONNACK, got ${hex(received)}`);
    const rest = received.subarray(connack.length);
    this.chunks.length = 0;
    if (rest.length > 0) this.chunks.push(rest);
    return connack;
  }

  // --- the connection ----------------------------------------------------------------------------

  /** Resolves, with every byte received, once the broker closed the connection; rejects after timeoutMs (Infinity: never). */
  async closed(timeoutMs = PACKET_TIMEOUT_MS): Promise<Buffer> {
    if (timeoutMs !== Infinity) await this.waitUntil(() => this.isClosed, 'the connection to close', timeoutMs, false);
    await this.closedPromise;
    return this.receivedBytes;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private take(packet: RawPacket): void {
    if (this.handler !== undefined) this.handler(packet);
    else this.queue.push(packet);
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  private waitUntil(condition: () => boolean, what: string, timeoutMs: number, failOnClose: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          done();
          resolve();
        } else if (failOnClose && this.isClosed) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; ${this.describeReceived()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describeReceived()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private describeReceived(): string {
    return `queued: ${this.queue.map((packet) => packet.cmd).join(', ') || '(none)'}; bytes: ${hex(this.receivedBytes)}`;
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

// --- frame builders, for bytes a test breaks on purpose -----------------------------------------

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
