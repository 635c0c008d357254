// What the management API does to one client: describe it, kick it (MQTT 5 DISCONNECT 0x98
// Administrative action, and its session discarded, as EMQX does), list its subscriptions, and
// subscribe or unsubscribe on its behalf through the same code as its own SUBSCRIBE/UNSUBSCRIBE
// (subscription-changes.ts: router, store, events, retained messages).

import { ReasonCode } from '../../codec/constants.js';
import type { QoS, RetainHandling, SubscriptionRequest } from '../../codec/types.js';
import { isValidTopicFilter, topicLevelCount } from '../../codec/validate.js';
import { minQoS } from '../../broker/local-router.js';
import { addSubscriptions, removeSubscriptions, sendRetained, type GrantedSubscription } from '../../channel/subscription-changes.js';
import type { ClientInfo } from '../../core/client.js';
import type { Subscription } from '../../core/subscription.js';
import { parseSharedFilter } from '../../core/topic.js';
import { AdminError } from '../../admin/operations.js';
import type { Session } from '../../session/session.js';
import type { ClientRecord } from './client-index.js';
import type { LiveState } from './live-state.js';

/** A client as the API describes it: the index's record and what its session and connection hold now. */
export interface ClientDetails {
  record: ClientRecord;
  session: Session;
  /** How many QoS 1/2 messages may be in flight to it: the broker's cap, or the client's Receive Maximum if lower. */
  inflightMaximum: number;
}

export function clientDetails(live: LiveState, record: ClientRecord): ClientDetails | undefined {
  const session = live.broker.registry.get(record.clientId);
  if (session === undefined) return undefined;
  const channel = live.channel(record.clientId);
  const cap = live.broker.config.maxInflight;
  return { record, session, inflightMaximum: channel === undefined ? cap : Math.min(cap, channel.receiveMaximum) };
}

export function findClient(live: LiveState, clientId: string): ClientDetails {
  const record = live.clients.get(clientId);
  const details = record === undefined ? undefined : clientDetails(live, record);
  if (details === undefined) throw notFound();
  return details;
}

/** Disconnects the client (MQTT 5: DISCONNECT 0x98 first; its will goes out) and discards its session. */
export function kickClient(live: LiveState, clientId: string): void {
  const registry = live.broker.registry;
  const session = registry.get(clientId);
  if (session === undefined) throw notFound();
  registry.liveClient(clientId)?.kick(ReasonCode.AdministrativeAction, 'kicked out by an administrator');
  // A session without expiry ended with its connection; a persistent one is discarded here.
  if (registry.get(clientId) === session) registry.end(session);
}

/** Kicks each client that has a session; unknown ids are skipped (EMQX answers 204 all the same). */
export function kickClients(live: LiveState, clientIds: readonly string[]): number {
  let kicked = 0;
  for (const clientId of new Set(clientIds)) {
    if (live.broker.registry.get(clientId) === undefined) continue;
    kickClient(live, clientId);
    kicked++;
  }
  return kicked;
}

export function subscriptionsOf(live: LiveState, clientId: string): Array<Subscription<Session>> {
  return [...findClient(live, clientId).session.subscriptions.values()];
}

/** A subscription as the API asks for it (EMQX's names: nl, rap, rh). */
export interface SubscribeRequest {
  topic: string;
  qos?: number;
  nl?: number;
  rap?: number;
  rh?: number;
}

/**
 * Subscribes the client to each filter, as its own SUBSCRIBE would (without the ACL: an
 * administrator decides); retained messages follow as Retain Handling asks. Every request is checked
 * before any is applied. Returns the subscriptions made (QoS capped by max_qos).
 */
export function subscribeFor(live: LiveState, clientId: string, requests: readonly SubscribeRequest[], field = (index: number): string => `body.${index}`): Array<Subscription<Session>> {
  const { session, record } = findClient(live, clientId);
  const config = live.broker.config;
  const granted: GrantedSubscription[] = requests.map((request, index) => {
    const topic = request.topic;
    if (!isValidTopicFilter(topic) || topicLevelCount(topic) > config.maxTopicLevels) {
      throw new AdminError(400, `${field(index)}.topic: not a valid topic filter: ${JSON.stringify(topic)}`, 'INVALID_PARAMETER');
    }
    // [MQTT-3.8.3-4] No Local on a shared subscription
    if (request.nl === 1 && parseSharedFilter(topic) !== undefined) {
      throw new AdminError(400, `${field(index)}.nl: No Local is not allowed on a shared subscription [MQTT-3.8.3-4]`, 'INVALID_PARAMETER');
    }
    const subscription: SubscriptionRequest = {
      topicFilter: topic,
      qos: (request.qos ?? 0) as QoS,
      noLocal: request.nl === 1,
      retainAsPublished: request.rap === 1,
      retainHandling: (request.rh ?? 0) as RetainHandling,
    };
    return { request: subscription, grantedQoS: minQoS(subscription.qos, config.maxQoS) };
  });
  const broker = live.broker;
  const client = clientInfoOf(record, session);
  const retainedWanted = addSubscriptions({ broker: broker.core, registry: broker.registry }, session, client, granted, undefined);
  const stillThere = (): boolean => broker.registry.get(clientId) === session;
  for (const subscription of retainedWanted) sendRetained(broker.core, client, subscription, stillThere);
  return granted.map(({ request }) => session.subscriptions.get(request.topicFilter)!);
}

/** Removes the client's subscriptions to these filters; filters it does not have are ignored. */
export function unsubscribeFor(live: LiveState, clientId: string, topics: readonly string[]): void {
  const { session, record } = findClient(live, clientId);
  const broker = live.broker;
  removeSubscriptions({ broker: broker.core, registry: broker.registry }, session, clientInfoOf(record, session), topics);
}

/** The client as hooks and events see it: its connection's, or the last one's, or (a session loaded from the store) what the session knows. */
function clientInfoOf(record: ClientRecord, session: Session): ClientInfo {
  return (
    record.client ?? {
      clientId: session.clientId,
      username: session.username,
      protocolVersion: session.protocolVersion,
      peer: { address: '', port: 0, listener: '' },
      keepAlive: 0,
      clean: false,
    }
  );
}

function notFound(): AdminError {
  return new AdminError(404, 'Client ID not found', 'CLIENTID_NOT_FOUND');
}
