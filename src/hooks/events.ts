// Event and hook payload types: what the broker tells embedders and plugins, and what it asks them.

import type { Properties, QoS, SubscriptionRequest } from '../codec/types.js';
import type { ProtocolVersion } from '../codec/constants.js';
import type { Message } from '../core/message.js';
import type { ClientInfo, PeerInfo } from '../core/client.js';

export interface AuthenticateRequest {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  protocolVersion: ProtocolVersion;
  peer: PeerInfo;
  /** CONNECT properties (MQTT 5), e.g. authenticationMethod. */
  properties: Properties;
}

/** What an authenticator decides; `undefined` means "not mine, ask the next one". */
export type AuthenticateResult =
  | AuthenticateAllow
  | { result: 'deny'; reasonCode?: number; reasonString?: string }
  | undefined;

export interface AuthenticateAllow {
  result: 'allow';
  superuser?: boolean;
  /** Replaces the CONNECT username (a JWT's subject, a certificate's CN). */
  username?: string;
  attributes?: Record<string, unknown>;
}

export interface AuthorizePublishRequest {
  client: ClientInfo;
  topic: string;
  qos: QoS;
  retain: boolean;
}

/** May the client receive a message on this topic (retained messages on SUBSCRIBE)? */
export interface AuthorizeReceiveRequest {
  client: ClientInfo;
  topic: string;
}

/** Asked at CONNECT before authentication; answer a refusal to close the connection. */
export interface AdmitConnectRequest {
  clientId: string;
  username: string | undefined;
  protocolVersion: ProtocolVersion;
  peer: PeerInfo;
}

/** A refusal (CONNACK reason code, e.g. 0x8A Banned), or undefined to admit. */
export type AdmitConnectResult = { reasonCode: number; reason: string } | undefined;

export interface LimitPublishRequest {
  client: ClientInfo;
  qos: QoS;
  /** Payload bytes. */
  bytes: number;
}

/** 'drop' refuses the PUBLISH (MQTT 5 acks QoS 1/2 with 0x97); 'disconnect' closes with 0x96. */
export type PublishLimit = 'drop' | 'disconnect';

/** Authentication refused a client (not a ban or lockout): counted by the failed-authentication lockout. */
export interface AuthenticationFailedEvent {
  clientId: string;
  username: string | undefined;
  peer: PeerInfo;
  reasonCode: number;
}

export interface AuthorizeSubscribeRequest {
  client: ClientInfo;
  subscription: SubscriptionRequest;
}

/** MQTT 5 enhanced authentication step (CONNECT with Authentication Method, then AUTH packets). */
export interface EnhancedAuthRequest {
  clientId: string;
  method: string;
  data: Buffer | undefined;
  /** True when the client re-authenticates on a live connection (AUTH 0x19). */
  reauthenticate: boolean;
  peer: PeerInfo;
}

export type EnhancedAuthResult =
  | { result: 'continue'; data?: Buffer }
  | { result: 'success'; data?: Buffer; username?: string; superuser?: boolean; attributes?: Record<string, unknown> }
  | { result: 'deny'; reasonCode?: number; reasonString?: string };

export interface DisconnectedEvent {
  client: ClientInfo;
  /** The MQTT 5 reason code of the disconnection (0 = normal, sent by the client). */
  reasonCode: number;
  reason: string;
}

export interface SubscribedEvent {
  client: ClientInfo;
  subscription: SubscriptionRequest;
  grantedQoS: number;
}

export interface UnsubscribedEvent {
  client: ClientInfo;
  topicFilter: string;
}

export interface MessageDroppedEvent {
  message: Message;
  clientId: string | undefined;
  reason: 'no_subscribers' | 'queue_full' | 'expired' | 'too_large' | 'slow_consumer' | 'store_full' | 'not_authorized';
}

/** Events the broker emits (no answer expected). */
export interface BrokerEvents {
  'client.connected': [client: ClientInfo, sessionPresent: boolean];
  'client.disconnected': [event: DisconnectedEvent];
  'session.subscribed': [event: SubscribedEvent];
  'session.unsubscribed': [event: UnsubscribedEvent];
  'message.published': [message: Message];
  'message.dropped': [event: MessageDroppedEvent];
  'client.authenticationFailed': [event: AuthenticationFailedEvent];
}
