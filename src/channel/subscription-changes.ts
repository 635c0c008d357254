// Adding and removing a session's subscriptions: the session's own map, the router, the store and the
// session.subscribed/unsubscribed events, then the retained messages a new subscription asked for.
// The SUBSCRIBE and UNSUBSCRIBE handlers use it, and so does the management API when it subscribes
// on a client's behalf, so both take the same path.

import type { QoS, SubscriptionRequest } from '../codec/types.js';
import type { BrokerCore } from '../broker/broker.js';
import { minQoS } from '../broker/local-router.js';
import type { ClientInfo } from '../core/client.js';
import { isExpired, type Message } from '../core/message.js';
import { createSubscription, type Subscription } from '../core/subscription.js';
import { hasWildcard } from '../core/topic.js';
import type { SessionRegistry } from '../session/registry.js';
import type { Session } from '../session/session.js';

export interface SubscriptionContext {
  broker: BrokerCore;
  registry: SessionRegistry;
}

/** A subscription to add: the request as made, and the QoS granted to it. */
export interface GrantedSubscription {
  request: SubscriptionRequest;
  grantedQoS: QoS;
}

/**
 * Adds (or replaces [MQTT-3.8.4-3]) the session's subscriptions and records them in the store. Returns
 * the new subscriptions that want the retained messages now (Retain Handling), for sendRetained()
 * once the SUBACK is out.
 */
export function addSubscriptions(
  context: SubscriptionContext,
  session: Session,
  client: ClientInfo,
  granted: readonly GrantedSubscription[],
  subscriptionIdentifier: number | undefined,
): Array<Subscription<Session>> {
  const { broker, registry } = context;
  const retainedWanted: Array<Subscription<Session>> = [];
  for (const { request, grantedQoS } of granted) {
    const subscription = createSubscription(session, { ...request, qos: grantedQoS }, subscriptionIdentifier);
    const existing = session.subscriptions.get(request.topicFilter);
    // [MQTT-3.8.4-3] a subscription to the same filter replaces the old one
    if (existing !== undefined) broker.unsubscribe(existing);
    session.subscriptions.set(request.topicFilter, subscription);
    broker.subscribe(subscription);
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling; shared subscriptions get no retained messages
    if (subscription.group === undefined && (request.retainHandling === 0 || (request.retainHandling === 1 && existing === undefined))) {
      retainedWanted.push(subscription);
    }
    if (broker.events.listens('session.subscribed')) {
      broker.events.emit('session.subscribed', { client, subscription: request, grantedQoS });
    }
  }
  registry.persist(session);
  return retainedWanted;
}

/** Removes the session's subscriptions to these filters and records that in the store; true for each that existed. */
export function removeSubscriptions(context: SubscriptionContext, session: Session, client: ClientInfo, topicFilters: readonly string[]): boolean[] {
  const { broker, registry } = context;
  const removed = topicFilters.map((topicFilter) => {
    const subscription = session.subscriptions.get(topicFilter);
    if (subscription === undefined) return false;
    session.subscriptions.delete(topicFilter);
    broker.unsubscribe(subscription);
    if (broker.events.listens('session.unsubscribed')) broker.events.emit('session.unsubscribed', { client, topicFilter });
    return true;
  });
  registry.persist(session);
  return removed;
}

/**
 * Sends a new subscription the retained messages it matches [MQTT-3.3.1-8], those the client may
 * receive (authorizeReceive). `stillWanted` is asked again when an authorization answers later.
 */
export function sendRetained(broker: BrokerCore, client: ClientInfo, subscription: Subscription<Session>, stillWanted: () => boolean): void {
  const session = subscription.subscriber;
  const now = Date.now();
  const hooks = broker.hooks;
  const checkReceive = hooks.has('authorizeReceive');
  const deliver = (message: Message): void => {
    const ids = subscription.subscriptionIdentifier === undefined ? undefined : [subscription.subscriptionIdentifier];
    // [MQTT-3.3.1-8] retained messages sent on subscribe carry RETAIN 1
    session.deliver(message, minQoS(message.qos, subscription.qos), true, ids);
  };
  const visit = (topic: string, message: Message): void => {
    if (isExpired(message, now)) return;
    if (!checkReceive) return deliver(message);
    // A retained message on a topic the client may not receive (ACL) is not sent.
    const allowed = hooks.authorizeReceive({ client, topic });
    if (allowed === true) deliver(message);
    else if (allowed !== false) void allowed.then((answer) => answer && stillWanted() && deliver(message));
  };
  if (hasWildcard(subscription.filter)) {
    broker.retained.match(subscription.filter, visit);
  } else {
    const message = broker.retained.get(subscription.filter);
    if (message !== undefined) visit(subscription.filter, message);
  }
}
