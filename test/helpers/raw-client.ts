// A raw-socket MQTT client for tests that must see or send exact bytes: packets are encoded and
// parsed with mqtt-packet, so what the broker sends is checked independently of our codec.

import net from 'node:net';
import mqttPacket from 'mqtt-packet';

export type RawPacket = mqttPacket.Packet;

export class RawClient {
  readonly socket: net.Socket;
  /** Every packet received, in order (next() consumes from here). */
  private readonly received: RawPacket[] = [];
  private waiter: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;
  isClosed = false;

  private constructor(
    socket: net.Socket,
    readonly protocolVersion: 3 | 4 | 5,
  ) {
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (packet: RawPacket) => {
      this.received.push(packet);
      this.waiter?.();
    });
    parser.on('error', (error: Error) => {
      this.received.push({ cmd: 'parse-error', message: error.message } as unknown as RawPacket);
      this.waiter?.();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => {
      /* a reset is how some refusals end; 'close' follows */
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static async open(port: number, protocolVersion: 3 | 4 | 5 = 5): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket, protocolVersion);
  }

  /** Opens a socket, sends CONNECT (with the given fields merged in) and returns after CONNACK. */
  static async connect(
    port: number,
    options: { protocolVersion?: 4 | 5; clientId?: string; clean?: boolean; keepalive?: number; properties?: Record<string, unknown> } = {},
  ): Promise<{ client: RawClient; connack: mqttPacket.IConnackPacket }> {
    const protocolVersion = options.protocolVersion ?? 5;
    const client = await RawClient.open(port, protocolVersion);
    client.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clientId: options.clientId ?? `raw-${Math.random().toString(16).slice(2)}`,
      clean: options.clean ?? true,
      keepalive: options.keepalive ?? 60,
      properties: options.properties,
    } as mqttPacket.IConnectPacket);
    const connack = await client.expect('connack');
    return { client, connack };
  }

  send(packet: RawPacket): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  write(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** The next packet received, or rejects after timeoutMs (or when the socket closes first). */
  async next(timeoutMs = 3000): Promise<RawPacket> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.isClosed) throw new Error('socket closed while waiting for a packet');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.received.shift()!;
  }

  /** The next packet, asserting its type. */
  async expect<C extends RawPacket['cmd']>(cmd: C, timeoutMs = 3000): Promise<Extract<RawPacket, { cmd: C }>> {
    const packet = await this.next(timeoutMs);
    if (packet.cmd !== cmd) throw new Error(`expected ${cmd}, got ${JSON.stringify(packet)}`);
    return packet as Extract<RawPacket, { cmd: C }>;
  }

  /** Resolves when the broker closes the socket, or rejects after timeoutMs. */
  async closed(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
