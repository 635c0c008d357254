// The rule engine's inputs by EMQX's names: the event topics a rule's FROM may name
// ($events/client_connected, or the newer $events/client/connected), and the columns of each input
// as EMQX fills them (emqx_rule_events): clientid, peername, pub_props, reason, ... A message's
// costly columns (payload text, properties, flags) are computed on first read.

import { Buffer } from 'node:buffer';

import { binaryFromBytes, type Value, type ValueMap } from './sql/values.js';
import { newMap } from './functions/registry.js';
import { topicMatches } from '../core/topic.js';
import type { ClientInfo, PeerInfo } from '../core/client.js';
import type { Message } from '../core/message.js';
import type { Properties } from '../codec/types.js';
import { ReasonCode } from '../codec/constants.js';
import type {
  AuthorizedEvent,
  ClientConnectedEvent,
  ConnackEvent,
  DisconnectedEvent,
  MessageAckedEvent,
  MessageDeliveredEvent,
  MessageDroppedEvent,
  SubscribedEvent,
  UnsubscribedEvent,
} from '../hooks/events.js';
import type { Columns } from './sql/scope.js';

/** The inputs a rule can select from, by EMQX's event names. */
export const RuleEventName = {
  MessagePublish: 'message.publish',
  ClientConnected: 'client.connected',
  ClientDisconnected: 'client.disconnected',
  ClientConnack: 'client.connack',
  ClientCheckAuthzComplete: 'client.check_authz_complete',
  SessionSubscribed: 'session.subscribed',
  SessionUnsubscribed: 'session.unsubscribed',
  MessageDelivered: 'message.delivered',
  MessageAcked: 'message.acked',
  MessageDropped: 'message.dropped',
  DeliveryDropped: 'delivery.dropped',
} as const;
export type RuleEventName = (typeof RuleEventName)[keyof typeof RuleEventName];
export type EventSource = Exclude<RuleEventName, 'message.publish'>;

/** Each event's topic in FROM: EMQX 5's name and the older one it still accepts. */
export const eventTopics: Readonly<Record<EventSource, readonly [current: string, legacy: string]>> = {
  'client.connected': ['$events/client/connected', '$events/client_connected'],
  'client.disconnected': ['$events/client/disconnected', '$events/client_disconnected'],
  'client.connack': ['$events/client/connack', '$events/client_connack'],
  'client.check_authz_complete': ['$events/auth/check_authz_complete', '$events/client_check_authz_complete'],
  'session.subscribed': ['$events/session/subscribed', '$events/session_subscribed'],
  'session.unsubscribed': ['$events/session/unsubscribed', '$events/session_unsubscribed'],
  'message.delivered': ['$events/message/delivered', '$events/message_delivered'],
  'message.acked': ['$events/message/acked', '$events/message_acked'],
  'message.dropped': ['$events/message/dropped', '$events/message_dropped'],
  'delivery.dropped': ['$events/message/delivery_dropped', '$events/delivery_dropped'],
};

export const eventSources = Object.keys(eventTopics) as EventSource[];

/** The events a `$events/...` FROM entry selects (it may be a filter such as `$events/#`). */
export function eventsMatching(from: string): EventSource[] {
  return eventSources.filter((event) => eventTopics[event].some((topic) => topicMatches(from, topic)));
}

/** The columns each input has, in EMQX's order (SELECT * copies them; the README lists them). */
export const columnNames: Readonly<Record<RuleEventName, readonly string[]>> = {
  'message.publish': ['id', 'clientid', 'username', 'payload', 'peerhost', 'peername', 'topic', 'qos', 'flags', 'headers', 'pub_props', 'publish_received_at', 'client_attrs', 'event', 'timestamp', 'node'],
  'client.connected': [
    'clientid', 'username', 'mountpoint', 'peername', 'sockname', 'proto_name', 'proto_ver', 'keepalive', 'clean_start', 'receive_maximum',
    'expiry_interval', 'is_bridge', 'conn_props', 'connected_at', 'client_attrs', 'event', 'timestamp', 'node',
  ],
  'client.disconnected': ['reason', 'clientid', 'username', 'peername', 'sockname', 'proto_name', 'proto_ver', 'disconn_props', 'disconnected_at', 'connected_at', 'client_attrs', 'event', 'timestamp', 'node'],
  'client.connack': ['reason_code', 'clientid', 'clean_start', 'username', 'peername', 'sockname', 'proto_name', 'proto_ver', 'keepalive', 'expiry_interval', 'connected_at', 'conn_props', 'event', 'timestamp', 'node'],
  'client.check_authz_complete': ['clientid', 'username', 'peername', 'peerhost', 'topic', 'action', 'authz_source', 'result', 'client_attrs', 'event', 'timestamp', 'node'],
  'session.subscribed': ['clientid', 'username', 'peerhost', 'peername', 'sub_props', 'topic', 'qos', 'client_attrs', 'event', 'timestamp', 'node'],
  'session.unsubscribed': ['clientid', 'username', 'peerhost', 'peername', 'unsub_props', 'topic', 'qos', 'client_attrs', 'event', 'timestamp', 'node'],
  'message.delivered': ['id', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'peername', 'topic', 'qos', 'flags', 'pub_props', 'publish_received_at', 'event', 'timestamp', 'node'],
  'message.acked': ['id', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'peername', 'topic', 'qos', 'flags', 'pub_props', 'puback_props', 'publish_received_at', 'event', 'timestamp', 'node'],
  'message.dropped': ['id', 'reason', 'clientid', 'username', 'payload', 'peerhost', 'peername', 'topic', 'qos', 'flags', 'pub_props', 'publish_received_at', 'event', 'timestamp', 'node'],
  'delivery.dropped': ['id', 'reason', 'from_clientid', 'from_username', 'clientid', 'username', 'payload', 'peerhost', 'peername', 'topic', 'qos', 'flags', 'pub_props', 'publish_received_at', 'event', 'timestamp', 'node'],
};

// --- MQTT 5 properties by EMQX's names (emqx_utils_maps:printable_props) --------------------------

const propertyNames: ReadonlyArray<[keyof Properties, string]> = [
  ['payloadFormatIndicator', 'Payload-Format-Indicator'],
  ['messageExpiryInterval', 'Message-Expiry-Interval'],
  ['contentType', 'Content-Type'],
  ['responseTopic', 'Response-Topic'],
  ['correlationData', 'Correlation-Data'],
  ['subscriptionIdentifiers', 'Subscription-Identifier'],
  ['sessionExpiryInterval', 'Session-Expiry-Interval'],
  ['receiveMaximum', 'Receive-Maximum'],
  ['topicAliasMaximum', 'Topic-Alias-Maximum'],
  ['maximumPacketSize', 'Maximum-Packet-Size'],
  ['requestResponseInformation', 'Request-Response-Information'],
  ['requestProblemInformation', 'Request-Problem-Information'],
  ['authenticationMethod', 'Authentication-Method'],
  ['reasonString', 'Reason-String'],
  ['serverReference', 'Server-Reference'],
  ['willDelayInterval', 'Will-Delay-Interval'],
];

/** Properties with EMQX's keys; user properties both as a map ('User-Property') and as pairs ('User-Property-Pairs'). */
export function printableProperties(properties: Properties | undefined): ValueMap {
  const out = newMap();
  if (properties === undefined) return out;
  for (const [field, name] of propertyNames) {
    const value = properties[field];
    if (value === undefined) continue;
    if (Buffer.isBuffer(value)) out[name] = binaryFromBytes(value);
    else if (Array.isArray(value)) out[name] = value.length === 1 ? (value[0] as number) : (value as number[]);
    else out[name] = value as Value;
  }
  const user = properties.userProperties;
  if (user !== undefined && user.length > 0) {
    const map = newMap();
    for (const [key, value] of user) map[key] = value;
    out['User-Property'] = map;
    out['User-Property-Pairs'] = user.map(([key, value]) => Object.assign(newMap(), { key, value }));
  }
  return out;
}

// --- columns of a published message (the hot path: costly ones on first read) -------------------

const MESSAGE = Symbol('message');
const PUBLISHER = Symbol('publisher');
const NODE = Symbol('node');
const NOW = Symbol('now');
const CACHE = Symbol('cache');

const PAYLOAD = Symbol('payload');

interface MessageColumnState {
  [MESSAGE]: Message;
  [PUBLISHER]: ClientInfo | undefined;
  [NODE]: string;
  /** When a rule first read `timestamp` (EMQX: when the rule engine took the message). */
  [NOW]: number | undefined;
  /** The payload as a rule value, once read (most rules read it, so it has its own slot). */
  [PAYLOAD]: string | Buffer | undefined;
  [CACHE]: ValueMap | undefined;
}

function cached(state: MessageColumnState, name: string, compute: () => Value): Value {
  const cache = (state[CACHE] ??= newMap());
  if (name in cache) return cache[name];
  return (cache[name] = compute());
}

export function peername(peer: PeerInfo | undefined): string | undefined {
  if (peer === undefined || peer.address === '') return undefined;
  return peer.address.includes(':') ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

export function messageId(message: Message): string {
  return message.id.toString(16).toUpperCase().padStart(16, '0');
}

function flagsOf(message: Message): ValueMap {
  return Object.assign(newMap(), { retain: message.retain, dup: false });
}

const messagePrototype: object = Object.create(null, {
  event: { get: () => 'message.publish' },
  id: { get(this: MessageColumnState) { return cached(this, 'id', () => messageId(this[MESSAGE])); } },
  clientid: { get(this: MessageColumnState) { return this[MESSAGE].from; } },
  username: { get(this: MessageColumnState) { return this[PUBLISHER]?.username; } },
  payload: { get(this: MessageColumnState) { return (this[PAYLOAD] ??= binaryFromBytes(this[MESSAGE].payload)); } },
  peerhost: { get(this: MessageColumnState) { const address = this[PUBLISHER]?.peer.address; return address === '' ? undefined : address; } },
  peername: { get(this: MessageColumnState) { return peername(this[PUBLISHER]?.peer); } },
  topic: { get(this: MessageColumnState) { return this[MESSAGE].topic; } },
  qos: { get(this: MessageColumnState) { return this[MESSAGE].qos; } },
  flags: { get(this: MessageColumnState) { return cached(this, 'flags', () => flagsOf(this[MESSAGE])); } },
  headers: {
    get(this: MessageColumnState) {
      return cached(this, 'headers', () => Object.assign(newMap(), {
        username: this[PUBLISHER]?.username,
        peerhost: this[PUBLISHER]?.peer.address,
        peername: peername(this[PUBLISHER]?.peer),
        proto_ver: this[PUBLISHER]?.protocolVersion,
        protocol: 'mqtt',
        origin: this[MESSAGE].origin,
      }));
    },
  },
  pub_props: { get(this: MessageColumnState) { return cached(this, 'pub_props', () => printableProperties(this[MESSAGE].properties)); } },
  publish_received_at: { get(this: MessageColumnState) { return this[MESSAGE].receivedAt; } },
  client_attrs: { get(this: MessageColumnState) { return cached(this, 'client_attrs', () => clientAttributes(this[PUBLISHER])); } },
  timestamp: { get(this: MessageColumnState) { return (this[NOW] ??= Date.now()); } },
  node: { get(this: MessageColumnState) { return this[NODE]; } },
});

/** The columns of a message being published, computed as they are read. */
export function messageColumns(message: Message, publisher: ClientInfo | undefined, node: string, now?: number): Columns {
  const columns = Object.create(messagePrototype) as MessageColumnState;
  columns[MESSAGE] = message;
  columns[PUBLISHER] = publisher;
  columns[NODE] = node;
  columns[NOW] = now;
  columns[PAYLOAD] = undefined;
  columns[CACHE] = undefined;
  return columns as unknown as Columns;
}

/** The rule engine's view of a client's attributes: the string-valued ones its authenticator set. */
function clientAttributes(client: ClientInfo | undefined): ValueMap {
  const out = newMap();
  const attributes = client?.attributes;
  if (attributes === undefined) return out;
  for (const [key, value] of Object.entries(attributes)) if (typeof value === 'string') out[key] = value;
  return out;
}

// --- columns of client and session events --------------------------------------------------------

function base(event: RuleEventName, node: string, now: number, fields: Record<string, Value>): Columns {
  const columns = Object.assign(newMap(), fields);
  columns['event'] = event;
  columns['timestamp'] = now;
  columns['node'] = node;
  return columns;
}

function client(info: ClientInfo): Record<string, Value> {
  return {
    clientid: info.clientId,
    username: info.username,
    peerhost: info.peer.address === '' ? undefined : info.peer.address,
    peername: peername(info.peer),
    client_attrs: clientAttributes(info),
  };
}

function sockname(peer: PeerInfo): string | undefined {
  const config = peer.listenerConfig;
  if (config === undefined) return undefined;
  return config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
}

function protocolName(version: number): string {
  return version === 3 ? 'MQIsdp' : 'MQTT';
}

/** EMQX's words for why a client went away (emqx_rule_events reason/1). */
export function disconnectReason(event: DisconnectedEvent): string {
  switch (event.reasonCode) {
    case ReasonCode.Success:
    case ReasonCode.DisconnectWithWillMessage:
      return 'normal';
    case ReasonCode.SessionTakenOver:
      return 'takenover';
    case ReasonCode.KeepAliveTimeout:
      return 'keepalive_timeout';
    case ReasonCode.AdministrativeAction:
      return 'kicked';
    case ReasonCode.ServerShuttingDown:
      return 'shutdown';
    default:
      if (/keep.?alive/i.test(event.reason)) return 'keepalive_timeout';
      if (/closed|reset|end/i.test(event.reason)) return 'sock_closed';
      return event.reason.replace(/\W+/g, '_').toLowerCase();
  }
}

/** EMQX's reason code names for CONNACK (success, not_authorized, banned, ...). */
export function connackReason(reasonCode: number): string {
  for (const [name, code] of Object.entries(ReasonCode)) {
    if (code === reasonCode) return name === 'Success' ? 'success' : name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  }
  return `unknown_${reasonCode}`;
}

export const eventColumns = {
  connected(event: ClientConnectedEvent, node: string, now: number): Columns {
    const info = event.client;
    return base('client.connected', node, now, {
      ...client(info),
      mountpoint: undefined,
      sockname: sockname(info.peer),
      proto_name: protocolName(info.protocolVersion),
      proto_ver: info.protocolVersion,
      keepalive: info.keepAlive,
      clean_start: info.clean,
      receive_maximum: event.receiveMaximum ?? 0,
      expiry_interval: event.expiryInterval ?? 0,
      is_bridge: false,
      conn_props: printableProperties(event.properties),
      connected_at: event.connectedAt ?? now,
    });
  },
  disconnected(event: DisconnectedEvent, node: string, now: number): Columns {
    const info = event.client;
    const { peerhost: _host, ...identity } = client(info);
    return base('client.disconnected', node, now, {
      reason: disconnectReason(event),
      ...identity,
      sockname: sockname(info.peer),
      proto_name: protocolName(info.protocolVersion),
      proto_ver: info.protocolVersion,
      disconn_props: newMap(),
      disconnected_at: now,
      connected_at: event.connectedAt,
    });
  },
  connack(event: ConnackEvent, node: string, now: number): Columns {
    const info = event.client;
    return base('client.connack', node, now, {
      reason_code: connackReason(event.reasonCode),
      clientid: event.clientId,
      clean_start: info?.clean,
      username: info?.username,
      peername: peername(event.peer),
      sockname: sockname(event.peer),
      proto_name: info === undefined ? undefined : protocolName(info.protocolVersion),
      proto_ver: info?.protocolVersion,
      keepalive: info?.keepAlive,
      expiry_interval: undefined,
      connected_at: info === undefined ? undefined : now,
      conn_props: newMap(),
    });
  },
  authorized(event: AuthorizedEvent, node: string, now: number): Columns {
    return base('client.check_authz_complete', node, now, { ...client(event.client), topic: event.topic, action: event.action, authz_source: event.source, result: event.result });
  },
  subscribed(event: SubscribedEvent, node: string, now: number): Columns {
    const subscription = event.subscription;
    return base('session.subscribed', node, now, { ...client(event.client), sub_props: newMap(), topic: subscription.topicFilter, qos: event.grantedQoS < 0x80 ? event.grantedQoS : subscription.qos });
  },
  unsubscribed(event: UnsubscribedEvent, node: string, now: number): Columns {
    return base('session.unsubscribed', node, now, { ...client(event.client), unsub_props: newMap(), topic: event.topicFilter, qos: 0 });
  },
  delivered(event: MessageDeliveredEvent | MessageAckedEvent, acked: boolean, receiver: ClientInfo | undefined, node: string, now: number): Columns {
    const fields = deliveryFields(event.message, event.clientId, receiver);
    if (acked) fields['puback_props'] = newMap();
    return base(acked ? 'message.acked' : 'message.delivered', node, now, fields);
  },
  dropped(event: MessageDroppedEvent, receiver: ClientInfo | undefined, node: string, now: number): Columns {
    const message = event.message;
    if (event.clientId !== undefined) {
      return base('delivery.dropped', node, now, { ...deliveryFields(message, event.clientId, receiver), reason: event.reason });
    }
    const publisher = event.publisher;
    return base('message.dropped', node, now, {
      id: messageId(message),
      reason: event.reason,
      clientid: message.from,
      username: publisher?.username,
      payload: binaryFromBytes(message.payload),
      peerhost: publisher?.peer.address || undefined,
      peername: peername(publisher?.peer),
      topic: message.topic,
      qos: message.qos,
      flags: flagsOf(message),
      pub_props: printableProperties(message.properties),
      publish_received_at: message.receivedAt,
    });
  },
};

function deliveryFields(message: Message, clientId: string, receiver: ClientInfo | undefined): Record<string, Value> {
  return {
    id: messageId(message),
    from_clientid: message.from,
    from_username: undefined,
    clientid: clientId,
    username: receiver?.username,
    payload: binaryFromBytes(message.payload),
    peerhost: receiver === undefined || receiver.peer.address === '' ? undefined : receiver.peer.address,
    peername: peername(receiver?.peer),
    topic: message.topic,
    qos: message.qos,
    flags: flagsOf(message),
    pub_props: printableProperties(message.properties),
    publish_received_at: message.receivedAt,
  };
}
