// The MQTT client page's connections: MQTT.js' browser build over the broker's WebSocket listener,
// loaded only when the page is first used. They live outside the page's components, so they stay
// connected while the operator looks at other pages, and several can be open at once.

import { Store } from './store.js';

export type QoS = 0 | 1 | 2;

export interface ConnectionOptions {
  url: string;
  protocolVersion: 4 | 5;
  clientId: string;
  username: string;
  password: string;
  clean: boolean;
  keepalive: number;
  /** MQTT 5 session expiry interval, seconds. */
  sessionExpiry: number;
  will?: { topic: string; payload: string; qos: QoS; retain: boolean };
}

export interface SubscribeOptions {
  qos: QoS;
  nl: boolean;
  rap: boolean;
  rh: 0 | 1 | 2;
}

export interface PublishOptions {
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
}

export interface PublishProperties {
  contentType?: string;
  messageExpiryInterval?: number;
  responseTopic?: string;
  correlationData?: Uint8Array;
  payloadFormatIndicator?: boolean;
  userProperties?: Record<string, string>;
}

export interface LoggedMessage {
  id: number;
  direction: 'in' | 'out' | 'event';
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties?: PublishProperties;
  /** For events: what happened. */
  text?: string;
  at: number;
}

export interface Subscription {
  topic: string;
  qos: QoS;
  /** What SUBACK granted (a number ≥ 0x80 is a refusal). */
  granted: number;
}

export type ConnectionState = 'connecting' | 'connected' | 'closed';

export interface Connection {
  id: number;
  options: ConnectionOptions;
  state: ConnectionState;
  /** Why it closed or failed, when it did. */
  error?: string;
  subscriptions: Subscription[];
  messages: LoggedMessage[];
}

/** What this page needs of an MQTT.js client. */
interface MqttClient {
  on(event: 'connect', listener: (connack: { sessionPresent?: boolean }) => void): void;
  on(event: 'message', listener: (topic: string, payload: Uint8Array, packet: { qos: QoS; retain: boolean; properties?: PublishProperties }) => void): void;
  on(event: 'disconnect', listener: (packet: { reasonCode?: number; properties?: { reasonString?: string } }) => void): void;
  on(event: 'error', listener: (error: Error & { code?: number }) => void): void;
  on(event: 'close', listener: () => void): void;
  subscribe(topic: string, options: { qos: QoS; nl?: boolean; rap?: boolean; rh?: number }, callback: (error: Error | null, granted?: Array<{ topic: string; qos: number }>) => void): void;
  unsubscribe(topic: string, callback: (error?: Error) => void): void;
  publish(topic: string, payload: Uint8Array | string, options: { qos: QoS; retain: boolean; properties?: PublishProperties }, callback: (error?: Error) => void): void;
  end(force?: boolean, options?: object, callback?: () => void): void;
}

interface MqttModule {
  connect(url: string, options: Record<string, unknown>): MqttClient;
}

const MESSAGE_LIMIT = 1_000;

export const connections = new Store<Connection[]>([]);
export const selectedConnection = new Store<number | undefined>(undefined);

const clients = new Map<number, MqttClient>();
let nextConnectionId = 1;
let nextMessageId = 1;
let loading: Promise<MqttModule> | undefined;

function loadMqtt(): Promise<MqttModule> {
  loading ??= import('mqtt').then((module) => (module as unknown as { default: MqttModule }).default);
  return loading;
}

function update(id: number, change: (connection: Connection) => Connection): void {
  connections.set(connections.value.map((connection) => (connection.id === id ? change(connection) : connection)));
}

function log(id: number, entry: Omit<LoggedMessage, 'id' | 'at'>): void {
  update(id, (connection) => ({ ...connection, messages: [{ ...entry, id: nextMessageId++, at: Date.now() }, ...connection.messages].slice(0, MESSAGE_LIMIT) }));
}

function event(id: number, text: string): void {
  log(id, { direction: 'event', topic: '', payload: new Uint8Array(), qos: 0, retain: false, text });
}

export function reasonName(code: number): string {
  const names: Record<number, string> = {
    0x00: 'normal disconnection',
    0x04: 'disconnect with will',
    0x80: 'unspecified error',
    0x81: 'malformed packet',
    0x82: 'protocol error',
    0x83: 'implementation specific error',
    0x86: 'bad user name or password',
    0x87: 'not authorized',
    0x89: 'server busy',
    0x8a: 'banned',
    0x8b: 'server shutting down',
    0x8d: 'keep alive timeout',
    0x8e: 'session taken over',
    0x93: 'receive maximum exceeded',
    0x95: 'packet too large',
    0x97: 'quota exceeded',
    0x98: 'administrative action',
    0x9c: 'use another server',
    0x9d: 'server moved',
    0x9f: 'connection rate exceeded',
  };
  return `0x${code.toString(16).padStart(2, '0')} ${names[code] ?? ''}`.trim();
}

export async function openConnection(options: ConnectionOptions): Promise<number> {
  const id = nextConnectionId++;
  connections.set([...connections.value, { id, options, state: 'connecting', subscriptions: [], messages: [] }]);
  selectedConnection.set(id);
  await connect(id);
  return id;
}

/** Connects (again) with the connection's options. */
export async function connect(id: number): Promise<void> {
  const connection = connections.value.find((candidate) => candidate.id === id);
  if (connection === undefined) return;
  clients.get(id)?.end(true);
  const { options } = connection;
  update(id, (current) => ({ ...current, state: 'connecting', subscriptions: [] }));
  let mqtt: MqttModule;
  try {
    mqtt = await loadMqtt();
  } catch (error) {
    update(id, (current) => ({ ...current, state: 'closed', error: `MQTT.js could not be loaded: ${(error as Error).message}` }));
    return;
  }
  const client = mqtt.connect(options.url, {
    protocolVersion: options.protocolVersion,
    clientId: options.clientId,
    clean: options.clean,
    keepalive: options.keepalive,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(options.username === '' ? {} : { username: options.username }),
    ...(options.password === '' ? {} : { password: options.password }),
    ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: options.sessionExpiry } } : {}),
    ...(options.will !== undefined && options.will.topic !== '' ? { will: { topic: options.will.topic, payload: options.will.payload, qos: options.will.qos, retain: options.will.retain } } : {}),
  });
  clients.set(id, client);
  client.on('connect', (connack) => {
    update(id, (current) => { const { error: _dropped, ...rest } = current; return { ...rest, state: 'connected' }; });
    event(id, `Connected${connack.sessionPresent === true ? ' (session present)' : ''}`);
  });
  client.on('message', (topic, payload, packet) => {
    log(id, { direction: 'in', topic, payload: new Uint8Array(payload), qos: packet.qos, retain: packet.retain, ...(packet.properties === undefined ? {} : { properties: packet.properties }) });
  });
  client.on('disconnect', (packet) => {
    const reason = packet.reasonCode === undefined ? '' : `: ${reasonName(packet.reasonCode)}`;
    update(id, (current) => ({ ...current, state: 'closed', error: `Disconnected by the broker${reason}` }));
    event(id, `Disconnected by the broker${reason}${packet.properties?.reasonString !== undefined ? ` (${packet.properties.reasonString})` : ''}`);
  });
  client.on('error', (error) => {
    const reason = typeof error.code === 'number' ? ` (${reasonName(error.code)})` : '';
    update(id, (current) => ({ ...current, error: `${error.message}${reason}` }));
    event(id, `Error: ${error.message}${reason}`);
  });
  client.on('close', () => {
    if (clients.get(id) !== client) return;
    update(id, (current) => (current.state === 'closed' ? current : { ...current, state: 'closed' }));
  });
}

export function disconnect(id: number): void {
  const client = clients.get(id);
  if (client === undefined) return;
  client.end(false, {}, () => {
    update(id, (current) => ({ ...current, state: 'closed' }));
    event(id, 'Disconnected');
  });
}

export function removeConnection(id: number): void {
  clients.get(id)?.end(true);
  clients.delete(id);
  const rest = connections.value.filter((connection) => connection.id !== id);
  connections.set(rest);
  if (selectedConnection.value === id) selectedConnection.set(rest[0]?.id);
}

export function subscribe(id: number, topic: string, options: SubscribeOptions): Promise<void> {
  const client = clients.get(id);
  if (client === undefined) return Promise.reject(new Error('not connected'));
  const v5 = connections.value.find((connection) => connection.id === id)?.options.protocolVersion === 5;
  return new Promise((resolve, reject) => {
    client.subscribe(topic, { qos: options.qos, ...(v5 ? { nl: options.nl, rap: options.rap, rh: options.rh } : {}) }, (error, granted) => {
      if (error !== null && error !== undefined) return reject(error);
      const code = granted?.[0]?.qos ?? 0x80;
      update(id, (current) => ({ ...current, subscriptions: [...current.subscriptions.filter((entry) => entry.topic !== topic), { topic, qos: options.qos, granted: code }] }));
      if (code >= 0x80) reject(new Error(`the broker refused the subscription: ${reasonName(code)}`));
      else resolve();
    });
  });
}

export function unsubscribe(id: number, topic: string): Promise<void> {
  const client = clients.get(id);
  if (client === undefined) return Promise.reject(new Error('not connected'));
  return new Promise((resolve, reject) => {
    client.unsubscribe(topic, (error) => {
      if (error !== undefined && error !== null) return reject(error);
      update(id, (current) => ({ ...current, subscriptions: current.subscriptions.filter((entry) => entry.topic !== topic) }));
      resolve();
    });
  });
}

export function publish(id: number, topic: string, payload: Uint8Array, options: PublishOptions): Promise<void> {
  const client = clients.get(id);
  if (client === undefined) return Promise.reject(new Error('not connected'));
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: options.qos, retain: options.retain, ...(options.properties === undefined ? {} : { properties: options.properties }) }, (error) => {
      if (error !== undefined && error !== null) return reject(error);
      log(id, { direction: 'out', topic, payload, qos: options.qos, retain: options.retain, ...(options.properties === undefined ? {} : { properties: options.properties }) });
      resolve();
    });
  });
}

export function clearMessages(id: number): void {
  update(id, (current) => ({ ...current, messages: [] }));
}
