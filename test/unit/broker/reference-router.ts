// A second Router implementation, as plain as possible: a list of subscriptions scanned with the naive
// matcher. The router tests run LocalRouter against it.

import type { QoS } from '../../../src/internal.js';
import type { Message } from '../../../src/internal.js';
import type { Subscriber } from '../../../src/internal.js';
import { sharedKey, type Subscription } from '../../../src/internal.js';
import { topicMatches } from '../../../src/internal.js';
import type { Router, RouteVisitor } from '../../../src/internal.js';

export class ReferenceRouter implements Router {
  onFilterAdded: ((filter: string) => void) | undefined;
  onFilterRemoved: ((filter: string) => void) | undefined;
  private readonly subscriptions: Subscription[] = [];

  get size(): number {
    return this.subscriptions.length;
  }

  add(subscription: Subscription): boolean {
    if (this.subscriptions.includes(subscription)) return false;
    if (subscription.group !== undefined) {
      // A subscriber is in a shared group once: new options replace the old membership.
      const old = this.subscriptions.findIndex((s) => s.group === subscription.group && s.filter === subscription.filter && s.subscriber === subscription.subscriber);
      if (old >= 0) this.subscriptions.splice(old, 1);
    }
    const isNew = !this.hasFilterKey(subscription);
    this.subscriptions.push(subscription);
    if (isNew) this.onFilterAdded?.(subscription.filter);
    return true;
  }

  remove(subscription: Subscription): boolean {
    const index = this.subscriptions.indexOf(subscription);
    if (index < 0) return false;
    this.subscriptions.splice(index, 1);
    if (!this.hasFilterKey(subscription)) this.onFilterRemoved?.(subscription.filter);
    return true;
  }

  match(message: Message, visit: RouteVisitor): number {
    const merged = new Map<Subscriber, { qos: QoS; retainAsPublished: boolean; ids: number[] }>();
    const groups = new Map<string, Subscription[]>();
    for (const s of this.subscriptions) {
      if (!topicMatches(s.filter, message.topic)) continue;
      if (s.group !== undefined) {
        const key = sharedKey(s.group, s.filter);
        groups.set(key, [...(groups.get(key) ?? []), s]);
        continue;
      }
      if (s.noLocal && message.from !== undefined && message.from === s.subscriber.clientId) continue;
      const qos = Math.min(message.qos, s.qos) as QoS;
      const outcome = merged.get(s.subscriber) ?? { qos: 0 as QoS, retainAsPublished: false, ids: [] };
      outcome.qos = Math.max(outcome.qos, qos) as QoS;
      outcome.retainAsPublished ||= s.retainAsPublished;
      if (s.subscriptionIdentifier !== undefined) outcome.ids.push(s.subscriptionIdentifier);
      merged.set(s.subscriber, outcome);
    }
    for (const [subscriber, outcome] of merged) {
      visit(message, subscriber, outcome.qos, outcome.retainAsPublished && message.retain, outcome.ids.length > 0 ? outcome.ids : undefined, undefined);
    }
    for (const [key, members] of groups) {
      const member = members.find((m) => m.subscriber.connected) ?? members[0]!;
      const ids = member.subscriptionIdentifier === undefined ? undefined : [member.subscriptionIdentifier];
      visit(message, member.subscriber, Math.min(message.qos, member.qos) as QoS, false, ids, key);
    }
    return merged.size + groups.size;
  }

  pickSharedMember(groupKey: string, except: Subscriber): Subscription | undefined {
    const members = this.subscriptions.filter((s) => s.group !== undefined && sharedKey(s.group, s.filter) === groupKey && s.subscriber !== except);
    return members.find((m) => m.subscriber.connected) ?? members[0];
  }

  /** Whether another subscription keeps this one's trie key (its filter, or its shared group) alive. */
  private hasFilterKey(subscription: Subscription): boolean {
    return this.subscriptions.some((s) => s.filter === subscription.filter);
  }
}
