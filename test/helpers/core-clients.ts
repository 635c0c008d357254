// Clients for the core protocol tests: MQTT.js connections tracked for clean-up, message
// recorders, and a raw-socket client (mqtt-packet encodes and parses, independently of our codec)
// for what MQTT.js will not do on purpose: stay silent, skip acks, resend, send a second CONNECT.

import net from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { waitFor } from './wait.js';

export type WirePacket = mqttPacket.Packet;

export interface Received {
  topic: string;
  payload: string;
  packet: mqtt.IPublishPacket;
}

/** Opens MQTT.js and raw clients for one test and closes all of them at the end. */
export class ClientPool {
  private readonly clients: mqtt.MqttClient[] = [];
  private readonly wires: WireClient[] = [];

  constructor(private readonly url: string) {}

  /** An MQTT.js client, connected; never reconnects on its own (a takeover would loop). */
  async connect(options: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
    const client = mqtt.connect(this.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    this.clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`client ${options.clientId ?? ''} closed before CONNACK`)));
    });
    return client;
  }

  /** A connected MQTT.js client recording messages from the first byte (queued messages come right after CONNACK). */
  async connectRecording(options: mqtt.IClientOptions): Promise<{ client: mqtt.MqttClient; received: Received[]; connack: mqtt.IConnackPacket }> {
    const client = mqtt.connect(this.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    this.clients.push(client);
    const received = record(client);
    const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
      client.once('close', () => reject(new Error(`client ${options.clientId ?? ''} closed before CONNACK`)));
    });
    return { client, received, connack };
  }

  /** An MQTT.js client that may be refused: resolves with the CONNACK error or the connack. */
  async attempt(options: mqtt.IClientOptions): Promise<{ connack?: mqtt.IConnackPacket; error?: Error & { code?: number } }> {
    const client = mqtt.connect(this.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    this.clients.push(client);
    return await new Promise((resolve) => {
      client.once('connect', (connack) => resolve({ connack }));
      client.once('error', (error) => resolve({ error }));
    });
  }

  /** The client opened last (e.g. by attempt()). */
  async lastClient(): Promise<mqtt.MqttClient | undefined> {
    return this.clients[this.clients.length - 1];
  }

  /** Disconnects (normally) the client opened last. */
  async endLast(): Promise<void> {
    await this.clients[this.clients.length - 1]?.endAsync();
  }

  async wire(port: number, protocolVersion: 4 | 5 = 5): Promise<WireClient> {
    const wire = await WireClient.open(port, protocolVersion);
    this.wires.push(wire);
    return wire;
  }

  async closeAll(): Promise<void> {
    for (const wire of this.wires) wire.destroy();
    await Promise.all(this.clients.map((client) => client.endAsync(true).catch(() => undefined)));
  }
}

/** Records every message a client receives. */
export function record(client: mqtt.MqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), packet }));
  return received;
}

/** Waits until `received` holds a message on `topic` (optionally with `payload`) and returns it. */
export async function messageOn(received: Received[], topic: string, payload?: string, timeoutMs = 3000): Promise<Received> {
  const find = (): Received | undefined => received.find((m) => m.topic === topic && (payload === undefined || m.payload === payload));
  await waitFor(() => find() !== undefined, `a message on ${topic}${payload === undefined ? '' : ` '${payload}'`}`, timeoutMs);
  return find()!;
}

/** A raw MQTT connection over a socket: sends and receives mqtt-packet objects. */
export class WireClient {
  private readonly received: WirePacket[] = [];
  private notify: (() => void) | undefined;
  private readonly closedPromise: Promise<void>;
  isClosed = false;

  private constructor(
    readonly socket: net.Socket,
    readonly protocolVersion: 4 | 5,
  ) {
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (packet: WirePacket) => {
      this.received.push(packet);
      this.notify?.();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => {
      /* 'close' follows */
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.notify?.();
        resolve();
      }),
    );
  }

  static async open(port: number, protocolVersion: 4 | 5): Promise<WireClient> {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new WireClient(socket, protocolVersion);
  }

  send(packet: WirePacket): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  /** Sends CONNECT and returns the CONNACK. */
  async connect(fields: Partial<mqttPacket.IConnectPacket> & { clientId: string }): Promise<mqttPacket.IConnackPacket> {
    this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: this.protocolVersion, clean: true, keepalive: 60, ...fields });
    return await this.expect('connack');
  }

  /** The next packet of type `cmd`; packets of other types before it are kept for later. */
  async expect<C extends WirePacket['cmd']>(cmd: C, timeoutMs = 3000): Promise<Extract<WirePacket, { cmd: C }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((packet) => packet.cmd === cmd);
      if (index >= 0) return this.received.splice(index, 1)[0] as Extract<WirePacket, { cmd: C }>;
      if (this.isClosed) throw new Error(`socket closed while waiting for ${cmd}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${cmd} within ${timeoutMs} ms (have: ${this.received.map((p) => p.cmd).join(', ')})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.notify = undefined;
    }
  }

  /** Packets received and not yet taken by expect(). */
  pending(cmd: WirePacket['cmd']): WirePacket[] {
    return this.received.filter((packet) => packet.cmd === cmd);
  }

  /** Resolves when the broker closes the socket; rejects after timeoutMs. */
  async closed(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closedPromise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
