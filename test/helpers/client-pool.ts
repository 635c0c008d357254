// MQTT.js clients (and raw ones, see raw-client.ts) opened for one test and closed together at its
// end, plus recorders of the messages an MQTT.js client receives.

import mqtt from 'mqtt';
import { RawClient, type ProtocolVersion } from './raw-client.js';
import { waitFor } from './wait.js';

export interface Received {
  topic: string;
  payload: string;
  packet: mqtt.IPublishPacket;
}

/** Opens MQTT.js and raw clients for one test and closes all of them at the end. */
export class ClientPool {
  private readonly clients: mqtt.MqttClient[] = [];
  private readonly rawClients: RawClient[] = [];

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

  /** A raw client with an open socket (nothing sent yet), destroyed by closeAll(). */
  async raw(port: number, protocolVersion: ProtocolVersion = 5): Promise<RawClient> {
    const client = await RawClient.open(port, protocolVersion);
    this.rawClients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    for (const client of this.rawClients) client.destroy();
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
