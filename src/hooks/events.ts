// Event and hook payload types: what the broker tells embedders and plugins, and what it asks them.

import type { Properties, QoS, SubscriptionRequest, Will } from '../codec/types.js';
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
  /** The client sent neither a username nor a password (such refusals do not count towards lockout). */
  anonymous: boolean;
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
  /** Milliseconds since the epoch when the connection was accepted. */
  connectedAt?: number;
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

/** Every reason a message is dropped for, each one emitted somewhere. */
export type DropReason =
  | 'no_subscribers' // nobody matched the topic (publish)
  | 'not_authorized' // the ACL refused the PUBLISH, or it was for $SYS (channel)
  | 'rate_limited' // over the client's message or byte rate, with rate_limit policy drop or disconnect (channel)
  | 'dropped_by_hook' // a 'message.publish' hook dropped it (publish)
  | 'queue_full' // the session's queue was at max_queued_messages (session)
  | 'expired' // its Message Expiry Interval passed before it could be sent (session)
  | 'too_large' // over the client's Maximum Packet Size (session)
  | 'slow_consumer' // QoS 0 to a client whose outgoing buffer is over its cap (session)
  | 'store_full'; // the store is over max_store_bytes (session)

export interface MessageDroppedEvent {
  message: Message;
  /** The session it was for; undefined for drops before routing (no_subscribers, not_authorized, rate_limited, dropped_by_hook: then `publisher` says who sent it). */
  clientId: string | undefined;
  reason: DropReason;
  publisher?: ClientInfo | undefined;
}

export interface ClientConnectedEvent {
  client: ClientInfo;
  sessionPresent: boolean;
  /** Milliseconds since the epoch when the connection was accepted. */
  connectedAt?: number;
  /** The session expiry interval granted, in seconds (MQTT 5; 0 for 3.1.1 clean sessions). */
  expiryInterval?: number;
  /** The client's Receive Maximum (MQTT 5; 65535 when it sent none). */
  receiveMaximum?: number;
  /** The CONNECT properties (MQTT 5). */
  properties?: Properties;
  /** The will of this connection, if the CONNECT had one. */
  will?: Will;
}

/** CONNACK sent: success or refusal (then `client` is undefined and `clientId` is what the CONNECT asked for). */
export interface ConnackEvent {
  clientId: string;
  peer: PeerInfo;
  reasonCode: number;
  sessionPresent: boolean;
  client: ClientInfo | undefined;
}

/** An authorization decision on a PUBLISH or a SUBSCRIBE filter. */
export interface AuthorizedEvent {
  client: ClientInfo;
  action: 'publish' | 'subscribe';
  topic: string;
  result: 'allow' | 'deny';
  /** Who decided: the name the deciding hook was added with ('acl', 'jwt-acl', ...), 'hook' for unnamed ones, 'default' when no hook answered. */
  source: string;
}

export interface MessagePublishedEvent {
  message: Message;
  /** The client that sent it; undefined for messages of the broker itself (wills are sent as their client's, $SYS as the broker's). */
  publisher: ClientInfo | undefined;
}

/** A PUBLISH went to a client (first send or resend). */
export interface MessageDeliveredEvent {
  message: Message;
  clientId: string;
  qos: QoS;
  packetId: number | undefined;
  dup: boolean;
}

/** The client acknowledged a QoS 1 (PUBACK) or QoS 2 (PUBCOMP) delivery: it is done. */
export interface MessageAckedEvent {
  message: Message;
  clientId: string;
  qos: 1 | 2;
  packetId: number;
}

export interface SessionEvent {
  clientId: string;
}

/** A session ended: on a clean start or a connection without expiry ('terminated'), or its expiry passed ('expired'). */
export interface SessionEndedEvent extends SessionEvent {
  reason: 'terminated' | 'expired';
}

/**
 * Events the broker emits, each with one event object (no answer expected). A listener that throws is
 * logged; it never affects the client whose action raised the event.
 */
export interface BrokerEvents {
  'client.connected': [event: ClientConnectedEvent];
  'client.connack': [event: ConnackEvent];
  'client.disconnected': [event: DisconnectedEvent];
  'client.authenticationFailed': [event: AuthenticationFailedEvent];
  /** `starling stop` asked, over the admin socket; whoever runs the broker (starling start) closes it. */
  'broker.stop_requested': [event: { source: 'admin' }];
  'client.authorized': [event: AuthorizedEvent];
  'session.created': [event: SessionEvent];
  'session.resumed': [event: SessionEvent];
  'session.taken_over': [event: SessionEvent];
  'session.terminated': [event: SessionEndedEvent];
  'session.expired': [event: SessionEndedEvent];
  'session.subscribed': [event: SubscribedEvent];
  'session.unsubscribed': [event: UnsubscribedEvent];
  'message.published': [event: MessagePublishedEvent];
  'message.delivered': [event: MessageDeliveredEvent];
  'message.acked': [event: MessageAckedEvent];
  'message.dropped': [event: MessageDroppedEvent];
}
