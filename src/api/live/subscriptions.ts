// The subscriptions and topic filters of the running broker, as `GET /api/v5/subscriptions` and
// `/topics` list them: subscriptions in client id order (the client index's), each client's in the
// order it made them; topics sorted. Unfiltered subscription pages skip whole clients by their
// subscription count; filters test every subscription.

import { isValidTopicFilter } from '../../codec/validate.js';
import type { Subscription } from '../../core/subscription.js';
import { parseSharedFilter, topicMatches } from '../../core/topic.js';
import { AdminError } from '../../admin/operations.js';
import type { Session } from '../../session/session.js';
import type { LiveState } from './live-state.js';

export interface SubscriptionFilters {
  clientId?: string;
  /** The filter as subscribed; `$share/<group>/<filter>` selects that group's. */
  topic?: string;
  /** Subscriptions whose filter this filter matches (EMQX's match_topic). */
  matchTopic?: string;
  qos?: number;
  shareGroup?: string;
}

export interface Paged<T> {
  items: T[];
  count: number;
  hasNext: boolean;
}

export function listSubscriptions(live: LiveState, filters: SubscriptionFilters, page: number, limit: number): Paged<Subscription<Session>> {
  const test = subscriptionTest(filters);
  const offset = (page - 1) * limit;
  const items: Array<Subscription<Session>> = [];
  const registry = live.broker.registry;
  let count = 0;
  const visit = (session: Session): void => {
    const held = session.subscriptionCount;
    if (held === 0) return;
    // Without filters a client's subscriptions are skipped as a whole when the page lies past them.
    if (test === undefined && (count + held <= offset || count >= offset + limit)) {
      count += held;
      return;
    }
    for (const subscription of session.subscriptions.values()) {
      if (test !== undefined && !test(subscription)) continue;
      if (count >= offset && count < offset + limit) items.push(subscription);
      count++;
    }
  };
  if (filters.clientId !== undefined) {
    const session = registry.get(filters.clientId);
    if (session !== undefined) visit(session);
    return { items, count, hasNext: offset + limit < count };
  }
  const list = live.clients.list('clientid');
  if (test === undefined) {
    // Unfiltered: the walk in client id order stops once the page is full; the count sums every session's.
    list.scan(0, list.size, false, (record) => {
      const session = registry.get(record.clientId);
      if (session !== undefined) visit(session);
      return count < offset + limit;
    });
    let total = 0;
    for (const session of registry.all()) total += session.subscriptionCount;
    return { items, count: total, hasNext: offset + limit < total };
  }
  list.scan(0, list.size, false, (record) => {
    const session = registry.get(record.clientId);
    if (session !== undefined) visit(session);
  });
  return { items, count, hasNext: offset + limit < count };
}

function subscriptionTest(filters: SubscriptionFilters): ((subscription: Subscription<Session>) => boolean) | undefined {
  const { topic, matchTopic, qos, shareGroup } = filters;
  if (matchTopic !== undefined && (!isValidTopicFilter(matchTopic) || parseSharedFilter(matchTopic) !== undefined)) {
    throw new AdminError(400, `match_topic: not a valid topic filter (and not a shared one): ${JSON.stringify(matchTopic)}`, 'INVALID_PARAMETER');
  }
  if (topic === undefined && matchTopic === undefined && qos === undefined && shareGroup === undefined) return undefined;
  const shared = topic === undefined ? undefined : parseSharedFilter(topic);
  const group = shared?.group ?? shareGroup;
  const filter = shared?.filter ?? topic;
  return (subscription) =>
    (filter === undefined || subscription.filter === filter) &&
    // A topic without a group means the ordinary subscriptions to it (as in EMQX).
    (group !== undefined ? subscription.group === group : topic === undefined || subscription.group === undefined) &&
    (qos === undefined || subscription.qos === qos) &&
    (matchTopic === undefined || topicMatches(matchTopic, subscription.filter));
}

/** A routed topic filter as EMQX's /topics names it: shared groups as `$share/<group>/<filter>`. */
export function topicKey(subscription: Subscription): string {
  return subscription.group === undefined ? subscription.filter : `$share/${subscription.group}/${subscription.filter}`;
}

/** The distinct topic filters subscribed to, sorted; `topic` keeps only that one. */
export function listTopics(live: LiveState, topic: string | undefined, page: number, limit: number): Paged<string> {
  if (topic !== undefined && !isValidTopicFilter(topic)) throw new AdminError(400, `topic: not a valid topic filter: ${JSON.stringify(topic)}`, 'INVALID_PARAMETER');
  const topics = new Set<string>();
  for (const session of live.broker.registry.all()) {
    if (session.subscriptionCount === 0) continue;
    for (const subscription of session.subscriptions.values()) {
      const key = topicKey(subscription);
      if (topic === undefined || key === topic) topics.add(key);
    }
  }
  const sorted = [...topics].sort();
  const offset = (page - 1) * limit;
  return { items: sorted.slice(offset, offset + limit), count: sorted.length, hasNext: offset + limit < sorted.length };
}

export interface SharedGroupMember {
  clientId: string;
  qos: number;
  connected: boolean;
}

export interface SharedGroupEntry {
  group: string;
  filter: string;
  members: SharedGroupMember[];
}

export interface SharedGroupFilters {
  group?: string;
  likeGroup?: string;
  /** The filter the group shares (without `$share/<group>/`). */
  filter?: string;
}

/**
 * The shared subscription groups (`$share/<group>/<filter>`) with their members, sorted by group then
 * filter, members in client id order: one walk over the sessions in the client index's order, in time
 * proportional to the subscriptions (as /topics).
 */
export function listSharedGroups(live: LiveState, filters: SharedGroupFilters, page: number, limit: number): Paged<SharedGroupEntry> {
  if (filters.filter !== undefined && !isValidTopicFilter(filters.filter)) throw new AdminError(400, `topic: not a valid topic filter: ${JSON.stringify(filters.filter)}`, 'INVALID_PARAMETER');
  const groups = new Map<string, SharedGroupEntry>();
  const registry = live.broker.registry;
  const list = live.clients.list('clientid');
  list.scan(0, list.size, false, (record) => {
    const session = registry.get(record.clientId);
    if (session === undefined || session.subscriptionCount === 0) return;
    for (const subscription of session.subscriptions.values()) {
      const group = subscription.group;
      if (group === undefined) continue;
      if (filters.group !== undefined && group !== filters.group) continue;
      if (filters.likeGroup !== undefined && !group.includes(filters.likeGroup)) continue;
      if (filters.filter !== undefined && subscription.filter !== filters.filter) continue;
      const key = `${group}\u0000${subscription.filter}`;
      let entry = groups.get(key);
      if (entry === undefined) groups.set(key, (entry = { group, filter: subscription.filter, members: [] }));
      entry.members.push({ clientId: session.clientId, qos: subscription.qos, connected: session.connected });
    }
  });
  const sorted = [...groups.values()].sort((a, b) => (a.group === b.group ? compare(a.filter, b.filter) : compare(a.group, b.group)));
  const offset = (page - 1) * limit;
  return { items: sorted.slice(offset, offset + limit), count: sorted.length, hasNext: offset + limit < sorted.length };
}

/** Code-unit order, as the client index sorts client ids. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
