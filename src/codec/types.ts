// MQTT control packets as a discriminated union keyed by `type`. One shape serves all three
// protocol versions: MQTT 5-only fields are empty (`properties: {}`) or defaulted for 3.1/3.1.1.

import type { ProtocolVersion } from './constants.js';

export type QoS = 0 | 1 | 2;
export type RetainHandling = 0 | 1 | 2;
export type UserProperties = Array<[name: string, value: string]>;

/**
 * Every MQTT 5 property. Byte-valued flags keep their wire value (0 or 1) so that a bad value
 * can be refused. Which properties a packet may carry is checked by the codec (section 2.2.2.2).
 */
export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  /** In PUBLISH: one or more; in SUBSCRIBE: at most one. */
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  userProperties?: UserProperties;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifiersAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** Will properties (MQTT 5): willDelayInterval, payloadFormatIndicator, messageExpiryInterval, ... */
  properties: Properties;
}

export interface ConnectPacket {
  readonly type: 'connect';
  /** 'MQIsdp' for 3.1, 'MQTT' for 3.1.1 and 5. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.x) or Clean Start (5). */
  clean: boolean;
  keepAlive: number;
  clientId: string;
  username?: string;
  password?: Buffer;
  will?: Will;
  properties: Properties;
}

export interface ConnackPacket {
  readonly type: 'connack';
  sessionPresent: boolean;
  /** The byte on the wire: an MQTT 5 reason code, or a 3.x return code (see connackReturnCodeV3). */
  reasonCode: number;
  properties: Properties;
}

export interface PublishPacket {
  readonly type: 'publish';
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Absent when qos is 0 [MQTT-2.2.1-2]. */
  packetId?: number;
  properties: Properties;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface AckPacket<T extends 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'> {
  readonly type: T;
  packetId: number;
  /** 0 (Success) for 3.x, where the byte is absent on the wire. */
  reasonCode: number;
  properties: Properties;
}
export type PubackPacket = AckPacket<'puback'>;
export type PubrecPacket = AckPacket<'pubrec'>;
export type PubrelPacket = AckPacket<'pubrel'>;
export type PubcompPacket = AckPacket<'pubcomp'>;

export interface SubscriptionRequest {
  topicFilter: string;
  qos: QoS;
  /** MQTT 5 subscription options; false/false/0 for 3.x. */
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
}

export interface SubscribePacket {
  readonly type: 'subscribe';
  packetId: number;
  subscriptions: SubscriptionRequest[];
  properties: Properties;
}

export interface SubackPacket {
  readonly type: 'suback';
  packetId: number;
  /** Granted QoS or a failure code per filter (3.1.1 failure is 0x80). */
  reasonCodes: number[];
  properties: Properties;
}

export interface UnsubscribePacket {
  readonly type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties: Properties;
}

export interface UnsubackPacket {
  readonly type: 'unsuback';
  packetId: number;
  /** One per filter in MQTT 5; empty for 3.x, which carries none. */
  reasonCodes: number[];
  properties: Properties;
}

export interface PingreqPacket {
  readonly type: 'pingreq';
}

export interface PingrespPacket {
  readonly type: 'pingresp';
}

export interface DisconnectPacket {
  readonly type: 'disconnect';
  /** 0 (Normal disconnection) for 3.x. */
  reasonCode: number;
  properties: Properties;
}

export interface AuthPacket {
  readonly type: 'auth';
  reasonCode: number;
  properties: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

export type PacketTypeName = Packet['type'];

export function assertNever(value: never): never {
  throw new Error(`unhandled value ${JSON.stringify(value)}`);
}
