// Routing: a published message -> retained store -> the router's matching subscribers.

import type { QoS } from '../codec/types.js';
import type { BrokerConfig } from '../config/types.js';
import type { Message } from '../core/message.js';
import type { Subscriber } from '../core/subscriber.js';
import type { Subscription } from '../core/subscription.js';
import type { ClientInfo } from '../core/client.js';
import { EventBus } from '../hooks/event-bus.js';
import type { DropReason as EventDropReason } from '../hooks/events.js';
import { HookBus } from '../hooks/hooks.js';
import { announcedLimits, type AnnouncedLimits } from '../channel/announced-limits.js';
import { Counters } from '../metrics/counters.js';
import type { SessionPersistence } from '../session/persistence.js';
import type { Session, SessionObserver, DropReason } from '../session/session.js';
import { LocalRouter } from './local-router.js';
import { RetainedIndex } from './retained-index.js';
import type { Router } from './router.js';

export class BrokerCore implements SessionObserver {
  readonly router: Router;
  readonly retained = new RetainedIndex<Message>();
  readonly counters = new Counters();
  readonly events = new EventBus();
  readonly hooks = new HookBus();
  /** Set when retained messages must survive restarts. */
  persistence: SessionPersistence | undefined;

  private readonly deliverTo = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined, sharedGroup: string | undefined): void =>
    subscriber.deliver(message, qos, retain, ids, sharedGroup);
  /** Filters in the router that start with the level `$SYS`: the only ones a `$SYS/...` topic can match [MQTT-4.7.2-1]. */
  private sysFilters = 0;
  /** Called when the first `$SYS` subscription arrives (true) and when the last one goes (false). */
  onSysSubscribersChanged: ((present: boolean) => void) | undefined;
  /** What new connections are told at CONNACK (and held to); replaced, never changed, by a configuration reload. */
  announced: AnnouncedLimits;

  constructor(readonly config: BrokerConfig, router?: Router) {
    this.router = router ?? new LocalRouter(config.sharedSubscriptionStrategy);
    this.announced = announcedLimits(config);
    this.router.onFilterAdded = (filter) => {
      this.counters.topics++;
      if (isSysFilter(filter) && this.sysFilters++ === 0) this.onSysSubscribersChanged?.(true);
    };
    this.router.onFilterRemoved = (filter) => {
      this.counters.topics--;
      if (isSysFilter(filter) && --this.sysFilters === 0) this.onSysSubscribersChanged?.(false);
    };
  }

  /**
   * Routes a message to every matching subscriber and stores/clears it as retained. Returns the number of
   * subscribers it went to (a shared group, and later a remote node, counts once): 0 means nobody matched.
   * `publisher` is the client that sent it, for hooks and events.
   */
  publish(input: Message, publisher?: ClientInfo): number {
    this.counters.messagesReceived[input.qos]++;
    let message = input;
    if (this.hooks.has('message.publish')) {
      const folded = this.hooks.foldPublish(message, publisher);
      if (folded === null) {
        this.droppedBeforeRouting(message, publisher, 'dropped_by_hook');
        return 0;
      }
      message = folded;
    }
    if (message.retain) this.storeRetained(message);
    const delivered = this.router.match(message, this.deliverTo);
    if (delivered === 0) {
      this.droppedBeforeRouting(message, publisher, 'no_subscribers');
    }
    if (this.events.listens('message.published')) this.events.emit('message.published', { message, publisher });
    return delivered;
  }

  /** Reports a message that reached no session: nobody subscribed, the ACL or a rate limit refused it, or a hook dropped it. */
  droppedBeforeRouting(message: Message, publisher: ClientInfo | undefined, reason: Exclude<EventDropReason, DropReason>): void {
    this.countDroppedBeforeRouting(reason);
    if (this.events.listens('message.dropped')) this.events.emit('message.dropped', { message, clientId: undefined, reason, publisher });
  }

  /** Counts such a message without reporting it (when nobody listens for 'message.dropped', it need not be built). */
  countDroppedBeforeRouting(reason: Exclude<EventDropReason, DropReason>): void {
    if (reason === 'no_subscribers') this.counters.droppedNoSubscribers++;
    else if (reason === 'not_authorized') this.counters.droppedNotAuthorized++;
    else if (reason === 'rate_limited') this.counters.droppedRateLimited++;
    else this.counters.droppedByHook++;
  }

  subscribe(subscription: Subscription): void {
    if (!this.router.add(subscription)) return;
    this.counters.subscriptions = this.router.size;
    if (subscription.group !== undefined) this.counters.sharedSubscriptions++;
  }

  unsubscribe(subscription: Subscription): void {
    if (!this.router.remove(subscription)) return;
    this.counters.subscriptions = this.router.size;
    if (subscription.group !== undefined) this.counters.sharedSubscriptions--;
  }

  /** Whether some subscription could match a `$SYS/...` topic; lets $SYS events be skipped when nobody listens. */
  get hasSysSubscribers(): boolean {
    return this.sysFilters > 0;
  }

  /** The member of a shared group that should take over a message from a leaving member. */
  pickSharedMember(groupKey: string, except: Subscriber): Subscription | undefined {
    return this.router.pickSharedMember(groupKey, except);
  }

  dropped(session: Session, message: Message, reason: DropReason): void {
    session.droppedCount++;
    if (reason === 'queue_full') this.counters.droppedQueueFull++;
    else if (reason === 'expired') this.counters.droppedExpired++;
    else if (reason === 'too_large') this.counters.droppedTooLarge++;
    else if (reason === 'store_full') this.counters.droppedStoreFull++;
    else this.counters.droppedSlowConsumer++;
    if (this.events.listens('message.dropped')) {
      this.events.emit('message.dropped', { message, clientId: session.clientId, reason });
    }
  }

  acked(session: Session, message: Message, qos: 1 | 2, packetId: number): void {
    if (this.events.listens('message.acked')) this.events.emit('message.acked', { message, clientId: session.clientId, qos, packetId });
  }

  /** Removes the retained message of a topic (and from the store); false when there was none. */
  deleteRetained(topic: string): boolean {
    if (!this.retained.delete(topic)) return false;
    this.counters.retainedMessages--;
    this.persistence?.deleteRetained(topic);
    return true;
  }

  private storeRetained(message: Message): void {
    // [MQTT-3.3.1-6] an empty retained message removes the retained message of its topic
    if (message.payload.length === 0) {
      this.deleteRetained(message.topic);
      return;
    }
    if (this.retained.get(message.topic) === undefined) this.counters.retainedMessages++;
    this.retained.set(message.topic, message);
    // $SYS statistics are republished at every interval: not worth a disk write each.
    if (message.from !== undefined || !message.topic.startsWith('$SYS')) this.persistence?.saveRetained(message);
  }
}

/** `$SYS` or `$SYS/...`: wildcards at the first level never match `$` topics [MQTT-4.7.2-1]. */
function isSysFilter(filter: string): boolean {
  return filter.startsWith('$SYS') && (filter.length === 4 || filter.charCodeAt(4) === 0x2f);
}
