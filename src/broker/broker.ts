// Routing: a published message -> retained store -> every matching subscription -> sessions.
//
// Overlapping subscriptions of one session give one copy at the highest granted QoS, carrying every
// matching Subscription Identifier (MQTT 5 section 3.3.4). Each shared group ($share/g/f) that
// matches gets one copy, for one member picked by the group's strategy, preferring connected ones.

import { EventEmitter } from 'node:events';
import type { QoS } from '../codec/types.js';
import type { BrokerConfig } from '../config/types.js';
import type { BrokerEvents } from '../hooks/events.js';
import { HookBus } from '../hooks/hooks.js';
import { Counters } from '../metrics/counters.js';
import type { SessionPersistence } from '../session/persistence.js';
import type { Session, SessionObserver, DropReason } from '../session/session.js';
import type { Subscription } from '../session/subscription.js';
import type { Message } from './message.js';
import { RetainedIndex } from './retained-index.js';
import { SharedGroup } from './shared-subscriptions.js';
import { TopicTrie } from './trie.js';

type Route = Subscription | SharedGroup<Subscription>;

export class BrokerCore implements SessionObserver {
  readonly routes = new TopicTrie<Route>();
  readonly sharedGroups = new Map<string, SharedGroup<Subscription>>();
  readonly retained = new RetainedIndex<Message>();
  readonly counters = new Counters();
  readonly events = new EventEmitter<BrokerEvents>();
  readonly hooks = new HookBus();
  /** Set when retained messages must survive restarts. */
  persistence: SessionPersistence | undefined;

  // Per-publish scratch state; visitRoute is bound once so match() allocates no closure.
  private routeSequence = 0;
  private readonly matchedSessions: Session[] = [];
  private readonly matchedGroups: Array<SharedGroup<Subscription>> = [];
  private currentMessage: Message | undefined;
  private readonly visitRoute = (route: Route): void => this.collect(route);
  /** Trie entries (subscriptions and shared groups) whose filter starts with the level `$SYS`: the only ones a `$SYS/...` topic can match [MQTT-4.7.2-1]. */
  private sysRoutes = 0;
  /** Called when the first `$SYS` subscription arrives (true) and when the last one goes (false). */
  onSysSubscribersChanged: ((present: boolean) => void) | undefined;

  constructor(readonly config: BrokerConfig) {}

  /** Routes a message to every matching session and stores/clears it as retained. Returns the number of sessions it went to. */
  publish(message: Message): number {
    this.counters.publishReceived++;
    if (message.retain) this.storeRetained(message);
    const delivered = this.route(message);
    if (delivered === 0) this.counters.droppedNoSubscribers++;
    if (this.events.listenerCount('message.published') > 0) this.events.emit('message.published', message);
    return delivered;
  }

  subscribe(subscription: Subscription): void {
    if (subscription.group === undefined) {
      if (this.addRoute(subscription.filter, subscription)) this.counters.subscriptions++;
      return;
    }
    const key = sharedKey(subscription.group, subscription.filter);
    let group = this.sharedGroups.get(key);
    if (group === undefined) {
      group = new SharedGroup<Subscription>(subscription.group, subscription.filter, this.config.sharedSubscriptionStrategy);
      this.sharedGroups.set(key, group);
      this.addRoute(subscription.filter, group);
    }
    for (const member of group.members()) {
      if (member.session === subscription.session) group.remove(member); // replaced options
    }
    if (group.add(subscription)) this.counters.subscriptions++;
  }

  unsubscribe(subscription: Subscription): void {
    if (subscription.group === undefined) {
      if (this.removeRoute(subscription.filter, subscription)) this.counters.subscriptions--;
      return;
    }
    const key = sharedKey(subscription.group, subscription.filter);
    const group = this.sharedGroups.get(key);
    if (group === undefined || !group.remove(subscription)) return;
    this.counters.subscriptions--;
    if (group.size === 0) {
      this.sharedGroups.delete(key);
      this.removeRoute(subscription.filter, group);
    }
  }

  /** Whether some subscription could match a `$SYS/...` topic; lets $SYS events be skipped when nobody listens. */
  get hasSysSubscribers(): boolean {
    return this.sysRoutes > 0;
  }

  private addRoute(filter: string, route: Route): boolean {
    const added = this.routes.add(filter, route);
    if (added && isSysFilter(filter) && this.sysRoutes++ === 0) this.onSysSubscribersChanged?.(true);
    return added;
  }

  private removeRoute(filter: string, route: Route): boolean {
    const removed = this.routes.remove(filter, route);
    if (removed && isSysFilter(filter) && --this.sysRoutes === 0) this.onSysSubscribersChanged?.(false);
    return removed;
  }

  /** The member of a shared group that should take over a message from a leaving member. */
  pickSharedMember(groupKey: string, except: Session): Subscription | undefined {
    const group = this.sharedGroups.get(groupKey);
    if (group === undefined) return undefined;
    return (
      group.pick((member) => member.session !== except && member.session.connected) ??
      group.pick((member) => member.session !== except)
    );
  }

  dropped(session: Session, message: Message, reason: DropReason): void {
    this.counters.messagesDropped++;
    if (reason === 'queue_full') this.counters.droppedQueueFull++;
    else if (reason === 'expired') this.counters.droppedExpired++;
    else if (reason === 'too_large') this.counters.droppedTooLarge++;
    else if (reason === 'store_full') this.counters.droppedStoreFull++;
    else this.counters.droppedSlowConsumer++;
    if (this.events.listenerCount('message.dropped') > 0) {
      this.events.emit('message.dropped', { message, clientId: session.clientId, reason });
    }
  }

  private storeRetained(message: Message): void {
    // [MQTT-3.3.1-6] an empty retained message removes the retained message of its topic
    if (message.payload.length === 0) {
      if (this.retained.delete(message.topic)) {
        this.counters.retainedMessages--;
        this.persistence?.deleteRetained(message.topic);
      }
      return;
    }
    if (this.retained.get(message.topic) === undefined) this.counters.retainedMessages++;
    this.retained.set(message.topic, message);
    // $SYS statistics are republished at every interval: not worth a disk write each.
    if (message.from !== undefined || !message.topic.startsWith('$SYS')) this.persistence?.saveRetained(message);
  }

  private route(message: Message): number {
    this.routeSequence++;
    this.currentMessage = message;
    const sessions = this.matchedSessions;
    const groups = this.matchedGroups;
    this.routes.match(message.topic, this.visitRoute);
    this.currentMessage = undefined;
    const delivered = sessions.length + groups.length;
    for (let i = 0; i < sessions.length; i++) {
      const session = sessions[i]!;
      // [MQTT-3.3.1-12] without Retain As Published, forwarded messages carry RETAIN 0
      const retain = session.routeRetainAsPublished && message.retain;
      session.deliver(message, session.routeQoS, retain, session.routeSubscriptionIdentifiers);
      session.routeSubscriptionIdentifiers = undefined;
    }
    sessions.length = 0;
    for (let i = 0; i < groups.length; i++) this.deliverShared(groups[i]!, message);
    groups.length = 0;
    return delivered;
  }

  private collect(route: Route): void {
    if (route instanceof SharedGroup) {
      this.matchedGroups.push(route);
      return;
    }
    const message = this.currentMessage!;
    const session = route.session;
    // [MQTT-3.8.3-3] No Local: not to the publisher's own subscriptions
    if (route.noLocal && message.from === session.clientId) return;
    const qos = minQoS(message.qos, route.qos);
    if (session.routeMark !== this.routeSequence) {
      session.routeMark = this.routeSequence;
      session.routeQoS = qos;
      session.routeRetainAsPublished = route.retainAsPublished;
      session.routeSubscriptionIdentifiers =
        route.subscriptionIdentifier === undefined ? undefined : [route.subscriptionIdentifier];
      this.matchedSessions.push(session);
      return;
    }
    if (qos > session.routeQoS) session.routeQoS = qos;
    if (route.retainAsPublished) session.routeRetainAsPublished = true;
    if (route.subscriptionIdentifier !== undefined) {
      (session.routeSubscriptionIdentifiers ??= []).push(route.subscriptionIdentifier);
    }
  }

  private deliverShared(group: SharedGroup<Subscription>, message: Message): void {
    const member = group.pick(isConnectedMember) ?? group.pick();
    if (member === undefined) return;
    const ids = member.subscriptionIdentifier === undefined ? undefined : [member.subscriptionIdentifier];
    member.session.deliver(message, minQoS(message.qos, member.qos), false, ids, sharedKey(group.group, group.filter));
  }
}

function isConnectedMember(member: Subscription): boolean {
  return member.session.connected;
}

export function sharedKey(group: string, filter: string): string {
  return `${group}/${filter}`;
}

export function minQoS(a: QoS, b: QoS): QoS {
  return a < b ? a : b;
}

/** `$SYS` or `$SYS/...`: wildcards at the first level never match `$` topics [MQTT-4.7.2-1]. */
function isSysFilter(filter: string): boolean {
  return filter.startsWith('$SYS') && (filter.length === 4 || filter.charCodeAt(4) === 0x2f);
}
