// The broker's metrics: each counter field and gauge, under its registry name with help text and
// labels. $SYS (sys-topics.ts), the Prometheus endpoint and the API read these names.

import type { AbuseStats } from '../auth/authorization-setup.js';
import type { LockoutStats } from '../auth/lockout.js';
import type { Store } from '../store/store.js';
import { COMMIT_SECONDS_BOUNDS } from '../store/store.js';
import { PACKET_TYPE_NAMES, type Counters, type TrafficByListener } from './counters.js';
import type { MetricsRegistry } from './registry.js';

export interface SessionCounts {
  /** Sessions held: connected clients and persistent sessions waiting for theirs. */
  readonly size: number;
  readonly connectedCount: number;
}

export function registerBrokerMetrics(metrics: MetricsRegistry, counters: Counters, traffic: TrafficByListener, sessions: SessionCounts): void {
  const perListener = (name: string, help: string, type: 'counter' | 'gauge', field: 'connectionsAccepted' | 'clientsConnected' | 'bytesReceived' | 'bytesSent'): void =>
    metrics.register({ name, help, type, labelNames: ['listener'] }, (sample) => {
      for (const [listener, counts] of traffic.entries()) sample(counts[field], { listener });
    });
  perListener('connections.accepted', 'Connections handed to MQTT (after the address checks), by listener', 'counter', 'connectionsAccepted');
  perListener('connections.count', 'MQTT clients connected now, by listener', 'gauge', 'clientsConnected');
  const perPacketType = (name: string, help: string, field: 'packetsReceived' | 'packetsSent', types: readonly number[]): void =>
    metrics.register({ name, help, type: 'counter', labelNames: ['listener', 'type'] }, (sample) => {
      for (const [listener, counts] of traffic.entries()) {
        for (const code of types) sample(counts[field][code]!, { listener, type: PACKET_TYPE_NAMES[code]! });
      }
    });
  // Every type a client may send, and every type a server may send (MQTT 5 section 2.1.2).
  perPacketType('packets.received', 'MQTT control packets received, by listener and packet type', 'packetsReceived', [1, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15]);
  perPacketType('packets.sent', 'MQTT control packets sent, by listener and packet type', 'packetsSent', [2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 15]);
  perListener('bytes.received', 'Bytes received on MQTT connections', 'counter', 'bytesReceived');
  perListener('bytes.sent', 'Bytes written to MQTT connections', 'counter', 'bytesSent');

  const value = (name: string, help: string, type: 'counter' | 'gauge', read: () => number): void => metrics.registerReading({ name, help, type }, read);
  const byQoS = (name: string, help: string, perQoS: readonly number[]): void =>
    metrics.register({ name, help, type: 'counter', labelNames: ['qos'] }, (sample) => {
      for (let qos = 0; qos < 3; qos++) sample(perQoS[qos]!, { qos: String(qos) });
    });
  byQoS('messages.received', 'Messages routed: PUBLISH packets from clients and messages published in-process, by QoS', counters.messagesReceived);
  byQoS('messages.sent', 'PUBLISH packets sent to subscribers, by the QoS they were sent at', counters.messagesSent);
  metrics.register(
    { name: 'messages.dropped', help: 'Messages dropped, by reason (before routing, or for one session)', type: 'counter', labelNames: ['reason'] },
    (sample) => {
      sample(counters.droppedNoSubscribers, { reason: 'no_subscribers' });
      sample(counters.droppedNotAuthorized, { reason: 'not_authorized' });
      sample(counters.droppedRateLimited, { reason: 'rate_limited' });
      sample(counters.droppedByHook, { reason: 'dropped_by_hook' });
      sample(counters.droppedQueueFull, { reason: 'queue_full' });
      sample(counters.droppedExpired, { reason: 'expired' });
      sample(counters.droppedTooLarge, { reason: 'too_large' });
      sample(counters.droppedSlowConsumer, { reason: 'slow_consumer' });
      sample(counters.droppedStoreFull, { reason: 'store_full' });
    },
  );
  value('clients.connected', 'Clients connected now', 'gauge', () => counters.clientsConnected);
  value('clients.maximum', 'The most clients connected at once since start', 'gauge', () => counters.clientsMaximum);
  value('sessions.count', 'Sessions held: connected clients and persistent sessions waiting for theirs', 'gauge', () => sessions.size);
  value('sessions.disconnected', 'Persistent sessions whose client is not connected', 'gauge', () => sessions.size - sessions.connectedCount);
  value('subscriptions.count', 'Subscriptions held, shared ones included', 'gauge', () => counters.subscriptions);
  value('subscriptions.shared.count', 'Subscriptions held in shared groups ($share/...)', 'gauge', () => counters.sharedSubscriptions);
  value('topics.count', 'Distinct topic filters routed (a shared group counts once)', 'gauge', () => counters.topics);
  value('retained.count', 'Retained messages held', 'gauge', () => counters.retainedMessages);
  value('authentication.success', 'CONNECTs that passed authentication (anonymous ones included)', 'counter', () => counters.authenticationSuccess);
  value('authentication.success.anonymous', 'CONNECTs accepted without a username or password', 'counter', () => counters.authenticationAnonymous);
  value('authentication.failure', 'CONNECTs and AUTH exchanges that authentication refused', 'counter', () => counters.authenticationFailure);
  value('authorization.allow', 'PUBLISH and SUBSCRIBE requests the authorization hooks allowed (not counted while none is set)', 'counter', () => counters.authorizationAllow);
  value('authorization.deny', 'PUBLISH and SUBSCRIBE requests the authorization hooks denied', 'counter', () => counters.authorizationDeny);
}

/** The abuse protections' counts (auth/authorization-setup.ts), registered once they are installed. */
export function registerAbuseMetrics(metrics: MetricsRegistry, stats: AbuseStats, lockout: LockoutStats): void {
  metrics.register(
    { name: 'connections.refused', help: 'Connections refused before authentication, by reason', type: 'counter', labelNames: ['reason'] },
    (sample) => {
      sample(stats.bannedRefused, { reason: 'banned' });
      sample(lockout.refused, { reason: 'locked_out' });
      sample(stats.connectionRateRefused, { reason: 'connection_rate' });
      sample(stats.pendingEvicted, { reason: 'pending_evicted' });
    },
  );
  const value = (name: string, help: string, read: () => number): void => metrics.registerReading({ name, help, type: 'counter' }, read);
  value('auth.failures', 'Failed authentications counted towards lockout', () => lockout.failures);
  value('auth.lockouts', 'Lockouts started (an address or username refused for a while)', () => lockout.locks);
  value('acl.denied', 'PUBLISH, SUBSCRIBE and retained deliveries the ACL denied', () => stats.aclDenied);
  value('flapping.bans', 'Client ids banned for connecting too often', () => stats.flappingBans);
  value('publish.rate_limited', 'PUBLISH packets over a client message or byte rate', () => stats.publishRateLimited);
}

/** The store's commits and size; `store()` is undefined with durability 'memory' (no commits, size 0). */
export function registerStoreMetrics(metrics: MetricsRegistry, store: () => Store | undefined): void {
  metrics.registerHistogram(
    { name: 'store.commit.seconds', help: 'Seconds from the start of a store commit until it is durable (with durability batched, the batch interval included)', bounds: COMMIT_SECONDS_BOUNDS },
    () => store()?.stats?.commitSeconds,
  );
  metrics.registerReading({ name: 'store.commit.messages', help: 'Messages stored by store commits (per commit: divide by the commit count)', type: 'counter' }, () => store()?.stats?.committedMessages ?? 0);
  metrics.registerReading({ name: 'store.size.bytes', help: 'Bytes the store takes on disk (the LMDB file up to its last used page)', type: 'gauge' }, () => store()?.sizeBytes() ?? 0);
}
