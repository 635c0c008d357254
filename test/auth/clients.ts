// Connecting with MQTT.js and mosquitto_pub for the authentication tests: each resolves to the
// CONNACK code (0 = accepted; MQTT 5 reason code or MQTT 3.1.1 return code otherwise).

import { execFile } from 'node:child_process';
import net from 'node:net';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import type { Broker, ClientInfo } from '../../src/index.js';
import { createLogger, type Logger } from '../../src/internal.js';

export interface ConnectResult {
  code: number;
  client: ClientInfo | undefined;
}

/** `localAddress` (a 127.x address other than 127.0.0.1) makes the connection come from another client address. */
export function connackCode(url: string, options: mqtt.IClientOptions, broker?: Broker, localAddress?: string): Promise<ConnectResult> {
  return new Promise((resolve, reject) => {
    let client: ClientInfo | undefined;
    const onConnected = ({ client: info }: { client: ClientInfo }): void => {
      if (info.clientId === options.clientId) client = info;
    };
    broker?.on('client.connected', onConnected);
    const clientOptions = { reconnectPeriod: 0, connectTimeout: 5000, ...options };
    const { hostname, port } = new URL(url);
    const mqttClient =
      localAddress === undefined
        ? mqtt.connect(url, clientOptions)
        : new mqtt.MqttClient(() => net.connect({ host: hostname, port: Number(port), localAddress }), { protocol: 'mqtt', ...clientOptions });
    const finish = (code: number): void => {
      clearTimeout(timer);
      broker?.off('client.connected', onConnected);
      mqttClient.end(true);
      resolve({ code, client });
    };
    const timer = setTimeout(() => {
      mqttClient.end(true);
      reject(new Error('no CONNACK within 5 s'));
    }, 5000);
    mqttClient.once('connect', (connack) => finish(connack.reasonCode ?? connack.returnCode ?? 0));
    mqttClient.once('error', (error) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number') finish(code);
    });
  });
}

/** mosquitto_pub's exit code and stderr (it exits non-zero with "Connection error: ..." when refused). */
export function mosquittoPub(port: number, args: string[]): Promise<{ exitCode: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'auth/test', '-m', 'x', ...args], { timeout: 10_000 }, (error, _stdout, stderr) => {
      resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
    });
  });
}

/** A logger at `info` whose JSON lines are kept (parsed) in `lines`, to check what the broker logs. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ logLevel: 'info', logPretty: false }, destination), lines };
}

/** The PUBACK reason code (0 when MQTT.js resolves, and always for MQTT 3.1.1; it rejects on codes >= 0x80). */
export async function pubackCode(client: mqtt.MqttClient, topic: string, payload: string): Promise<number> {
  try {
    const packet = await client.publishAsync(topic, payload, { qos: 1 });
    return (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  }
}

/** SUBACK codes, also when MQTT.js rejects because some filter failed. */
export async function subscribeCodes(client: mqtt.MqttClient, topics: string | string[] | Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(topics as never, { qos: 0 } as never);
    return (granted as Array<{ qos: number }>).map((grant) => grant.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted === undefined) throw error;
    return packet.granted;
  }
}
