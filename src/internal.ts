// Implementation exports for tests, benchmarks and sibling packages: not the public API (src/index.ts).

export { StarlingBroker, type BrokerOptions } from './instance.js';
export { BrokerCore } from './broker/broker.js';
export { LocalRouter } from './broker/local-router.js';
export type { Router, RouteVisitor } from './broker/router.js';
export { SessionRegistry, type SessionLoader } from './session/registry.js';
export { ChannelSupervisor, type ChannelLink } from './channel/supervisor.js';
export { LocalLink } from './channel/local-link.js';
export { createMessage, nextMessageId, withChanges } from './core/message.js';
export { createSubscription, sharedKey } from './core/subscription.js';
export { createLogger } from './log.js';
export { MetricsRegistry, type MetricFamily } from './metrics/registry.js';
export { attachListenerConfig } from './core/client.js';
