// This node's router: the topic trie for ordinary subscriptions and one trie entry per shared group
// ($share/<group>/<filter>), whose member is picked per message by the group's strategy, preferring
// connected members.
//
// Overlapping subscriptions of one subscriber give one copy at the highest granted QoS, carrying every
// matching Subscription Identifier (MQTT 5 section 3.3.4). The merge keeps its per-publish state in the
// router's own record of each subscriber (SubscriberEntry), so a publish allocates nothing per match.

import type { QoS } from '../codec/types.js';
import type { Message } from '../core/message.js';
import type { Subscriber } from '../core/subscriber.js';
import { sharedKey, type Subscription } from '../core/subscription.js';
import type { Router, RouteVisitor } from './router.js';
import { SharedGroup, type SharedPickStrategy } from './shared-subscriptions.js';
import { TopicTrie } from './trie.js';

/** The router's record of one subscriber, with the scratch fields of the publish being matched. */
class SubscriberEntry {
  /** Subscriptions of this subscriber in the trie (not counting shared memberships). */
  subscriptions = 0;
  mark = 0;
  qos: QoS = 0;
  retainAsPublished = false;
  subscriptionIdentifiers: number[] | undefined = undefined;
  constructor(readonly subscriber: Subscriber) {}
}

/** A trie value for an ordinary subscription, with the options matching reads copied in (one load fewer per match). */
class Route {
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionIdentifier: number | undefined;
  constructor(
    readonly subscription: Subscription,
    readonly entry: SubscriberEntry,
  ) {
    this.qos = subscription.qos;
    this.noLocal = subscription.noLocal;
    this.retainAsPublished = subscription.retainAsPublished;
    this.subscriptionIdentifier = subscription.subscriptionIdentifier;
  }
}

type TrieValue = Route | SharedGroup<Subscription>;

/** Scratch slots kept between publishes (more are freed after the publish that needed them). */
const MAX_KEPT_SCRATCH = 4096;

export class LocalRouter implements Router {
  onFilterAdded: ((filter: string) => void) | undefined;
  onFilterRemoved: ((filter: string) => void) | undefined;

  readonly #trie = new TopicTrie<TrieValue>();
  readonly #routes = new Map<Subscription, Route>();
  readonly #entries = new Map<Subscriber, SubscriberEntry>();
  readonly #groups = new Map<string, SharedGroup<Subscription>>();
  #size = 0;

  // Per-publish state; the visitor is bound once so match() allocates no closure.
  #sequence = 0;
  // Filled up to the counts and overwritten by the next publish: truncating an array frees its storage,
  // and the next push would allocate it again.
  readonly #matchedEntries: Array<SubscriberEntry | undefined> = [];
  readonly #matchedGroups: Array<SharedGroup<Subscription> | undefined> = [];
  #entryCount = 0;
  #groupCount = 0;
  #message: Message | undefined;
  #matching = false;
  readonly #collect = (value: TrieValue): void => {
    if (value instanceof Route) this.#collectRoute(value);
    else this.#matchedGroups[this.#groupCount++] = value;
  };

  constructor(private readonly sharedStrategy: SharedPickStrategy) {}

  get size(): number {
    return this.#size;
  }

  add(subscription: Subscription): boolean {
    if (subscription.group !== undefined) return this.#addShared(subscription, subscription.group);
    if (this.#routes.has(subscription)) return false;
    let entry = this.#entries.get(subscription.subscriber);
    if (entry === undefined) {
      entry = new SubscriberEntry(subscription.subscriber);
      this.#entries.set(subscription.subscriber, entry);
    }
    const route = new Route(subscription, entry);
    if (!this.#addToTrie(subscription.filter, route)) return false;
    this.#routes.set(subscription, route);
    entry.subscriptions++;
    this.#size++;
    return true;
  }

  remove(subscription: Subscription): boolean {
    if (subscription.group !== undefined) return this.#removeShared(subscription, subscription.group);
    const route = this.#routes.get(subscription);
    if (route === undefined) return false;
    this.#routes.delete(subscription);
    this.#removeFromTrie(subscription.filter, route);
    if (--route.entry.subscriptions === 0) this.#entries.delete(subscription.subscriber);
    this.#size--;
    return true;
  }

  match(message: Message, visit: RouteVisitor): number {
    // A visit may publish (a will, a rule's republish): that nested match must not touch this one's scratch state.
    if (this.#matching) return this.#matchNested(message, visit);
    this.#matching = true;
    this.#sequence++;
    const entries = this.#matchedEntries;
    const groups = this.#matchedGroups;
    try {
      this.#message = message;
      this.#trie.match(message.topic, this.#collect);
      this.#message = undefined;
      const entryCount = this.#entryCount;
      const groupCount = this.#groupCount;
      for (let i = 0; i < entryCount; i++) {
        const entry = entries[i]!;
        const ids = entry.subscriptionIdentifiers;
        entry.subscriptionIdentifiers = undefined;
        // [MQTT-3.3.1-12] without Retain As Published, forwarded messages carry RETAIN 0
        visit(message, entry.subscriber, entry.qos, entry.retainAsPublished && message.retain, ids, undefined);
      }
      for (let i = 0; i < groupCount; i++) this.#visitShared(groups[i]!, message, visit);
      return entryCount + groupCount;
    } finally {
      // Dropped references, so the slots hold no subscriber or group past this publish.
      for (let i = 0; i < this.#entryCount; i++) entries[i] = undefined;
      for (let i = 0; i < this.#groupCount; i++) groups[i] = undefined;
      this.#entryCount = 0;
      this.#groupCount = 0;
      // A publish that reached a great many subscribers does not keep its scratch storage for ever.
      if (entries.length > MAX_KEPT_SCRATCH) entries.length = 0;
      if (groups.length > MAX_KEPT_SCRATCH) groups.length = 0;
      this.#message = undefined;
      this.#matching = false;
    }
  }

  /** The same as match(), with its merge state in fresh objects: only for a publish made while another is routed. */
  #matchNested(message: Message, visit: RouteVisitor): number {
    const merged = new Map<SubscriberEntry, { qos: QoS; retainAsPublished: boolean; ids: number[] | undefined }>();
    const groups: Array<SharedGroup<Subscription>> = [];
    this.#trie.match(message.topic, (value) => {
      if (value instanceof SharedGroup) {
        groups.push(value);
        return;
      }
      const { subscription, entry } = value;
      if (subscription.noLocal && message.from !== undefined && message.from === entry.subscriber.clientId) return;
      const qos = minQoS(message.qos, subscription.qos);
      const id = subscription.subscriptionIdentifier;
      const seen = merged.get(entry);
      if (seen === undefined) {
        merged.set(entry, { qos, retainAsPublished: subscription.retainAsPublished, ids: id === undefined ? undefined : [id] });
        return;
      }
      if (qos > seen.qos) seen.qos = qos;
      if (subscription.retainAsPublished) seen.retainAsPublished = true;
      if (id !== undefined) (seen.ids ??= []).push(id);
    });
    for (const [entry, outcome] of merged) visit(message, entry.subscriber, outcome.qos, outcome.retainAsPublished && message.retain, outcome.ids, undefined);
    for (const group of groups) this.#visitShared(group, message, visit);
    return merged.size + groups.length;
  }

  #visitShared(group: SharedGroup<Subscription>, message: Message, visit: RouteVisitor): void {
    const member = group.pick(isConnectedMember) ?? group.pick();
    if (member === undefined) return;
    const ids = member.subscriptionIdentifier === undefined ? undefined : [member.subscriptionIdentifier];
    visit(message, member.subscriber, minQoS(message.qos, member.qos), false, ids, sharedKey(group.group, group.filter));
  }

  pickSharedMember(groupKey: string, except: Subscriber): Subscription | undefined {
    const group = this.#groups.get(groupKey);
    if (group === undefined) return undefined;
    return (
      group.pick((member) => member.subscriber !== except && member.subscriber.connected) ??
      group.pick((member) => member.subscriber !== except)
    );
  }

  #collectRoute(route: Route): void {
    const message = this.#message!;
    const entry = route.entry;
    // [MQTT-3.8.3-3] No Local: not to the publisher's own subscriptions
    if (route.noLocal && message.from !== undefined && message.from === entry.subscriber.clientId) return;
    const qos = minQoS(message.qos, route.qos);
    if (entry.mark !== this.#sequence) {
      entry.mark = this.#sequence;
      entry.qos = qos;
      entry.retainAsPublished = route.retainAsPublished;
      entry.subscriptionIdentifiers = route.subscriptionIdentifier === undefined ? undefined : [route.subscriptionIdentifier];
      this.#matchedEntries[this.#entryCount++] = entry;
      return;
    }
    if (qos > entry.qos) entry.qos = qos;
    if (route.retainAsPublished) entry.retainAsPublished = true;
    if (route.subscriptionIdentifier !== undefined) (entry.subscriptionIdentifiers ??= []).push(route.subscriptionIdentifier);
  }

  #addShared(subscription: Subscription, groupName: string): boolean {
    const key = sharedKey(groupName, subscription.filter);
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = new SharedGroup<Subscription>(groupName, subscription.filter, this.sharedStrategy);
      this.#groups.set(key, group);
      this.#addToTrie(subscription.filter, group);
    }
    for (const member of group.members()) {
      if (member.subscriber === subscription.subscriber && member !== subscription) {
        group.remove(member); // replaced options
        this.#size--;
      }
    }
    if (!group.add(subscription)) return false;
    this.#size++;
    return true;
  }

  #removeShared(subscription: Subscription, groupName: string): boolean {
    const key = sharedKey(groupName, subscription.filter);
    const group = this.#groups.get(key);
    if (group === undefined || !group.remove(subscription)) return false;
    this.#size--;
    if (group.size === 0) {
      this.#groups.delete(key);
      this.#removeFromTrie(subscription.filter, group);
    }
    return true;
  }

  #addToTrie(filter: string, value: TrieValue): boolean {
    if (!this.#trie.add(filter, value)) return false;
    if (this.onFilterAdded !== undefined && this.#trie.get(filter)?.size === 1) this.onFilterAdded(filter);
    return true;
  }

  #removeFromTrie(filter: string, value: TrieValue): void {
    if (!this.#trie.remove(filter, value)) return;
    if (this.onFilterRemoved !== undefined && this.#trie.get(filter) === undefined) this.onFilterRemoved(filter);
  }
}

function isConnectedMember(member: Subscription): boolean {
  return member.subscriber.connected;
}

export function minQoS(a: QoS, b: QoS): QoS {
  return a < b ? a : b;
}
