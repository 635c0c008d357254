// Starling's public entry: createBroker() and the types an embedder needs.

import type { Broker } from './broker-api.js';
import { StarlingBroker, type BrokerOptions } from './instance.js';

export type { BrokerOptions } from './instance.js';
export type { BrokerConfig, ListenerConfig, Durability, LogLevel } from './config/types.js';
export type { BrokerEvents, AuthenticateRequest, AuthenticateResult, AuthorizePublishRequest, AuthorizeSubscribeRequest, EnhancedAuthRequest, EnhancedAuthResult, DisconnectedEvent, SubscribedEvent, UnsubscribedEvent, MessageDroppedEvent, DropReason, ClientConnectedEvent, ConnackEvent, AuthorizedEvent, MessagePublishedEvent, MessageDeliveredEvent, MessageAckedEvent, SessionEvent, SessionEndedEvent } from './hooks/events.js';
export type { ClientInfo, PeerInfo } from './core/client.js';
export type { HookMap, HookName } from './hooks/hooks.js';
export type { Message, MessageInput } from './core/message.js';
export type { BoundAddress } from './transport/listener.js';
export type { MetricsReader, MetricFamily, MetricSample, MetricType, Labels } from './metrics/registry.js';
export type { Properties, QoS } from './codec/types.js';
export { ReasonCode } from './codec/constants.js';

export type { Broker } from './broker-api.js';
export type { ConfigSource, ReloadOptions, ReloadReport, ReloadChange } from './reload/reload.js';
export type { LocalClient, LocalConnectOptions, LocalMessage, LocalPublishOptions, LocalSubscribeOptions } from './channel/local-client.js';
export { LocalClientError } from './channel/local-client.js';
export { withChanges } from './core/message.js';

export function createBroker(options: BrokerOptions = {}): Broker {
  return new StarlingBroker(options);
}
