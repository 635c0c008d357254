// The router of a cluster node: this node's LocalRouter for matching, plus a forwarder that carries
// messages to the other nodes and is told which filters this node holds (interest).
//
// A message published here goes to this node's subscribers and to the cluster: QoS 0 is matched locally
// now and published once on the live plane (NATS delivers it only to nodes with interest); QoS 1/2 is
// only written to the durable plane, and every node, this one included, routes it from there, so one
// ordered path delivers it and it is acknowledged to the publisher only once JetStream holds it.
// Shared groups are routed by the cluster (one member cluster-wide), never by a node's own match.

import type { QoS } from '../codec/types.js';
import type { Message } from '../core/message.js';
import type { Subscriber } from '../core/subscriber.js';
import { sharedKey, type Subscription } from '../core/subscription.js';
import { LocalRouter } from '../broker/local-router.js';
import type { Router, RouteVisitor } from '../broker/router.js';
import type { SharedPickStrategy } from '../broker/shared-subscriptions.js';

/** What the router hands to the cluster (implemented by the fabric). */
export interface Forwarder {
  /** A QoS 0 message published on this node, already delivered to this node's ordinary subscribers. */
  forwardLive(message: Message): void;
  /** A QoS 1/2 message published on this node: made durable, then routed by every node (this one too). */
  forwardDurable(message: Message): void;
  /** This node's first / last ordinary subscription to a filter. */
  interestAdded(filter: string): void;
  interestRemoved(filter: string): void;
  /** This node's first / last member of a shared group (`group`, `filter`). */
  groupAdded(group: string, filter: string): void;
  groupRemoved(group: string, filter: string): void;
}

export class ClusterRouter implements Router {
  readonly local: LocalRouter;
  /** Set once the cluster is connected; until then the router is a local one. */
  forwarder: Forwarder | undefined;
  /** Ordinary subscriptions per filter and members per shared group on this node (interest refcounts). */
  private readonly filters = new Map<string, number>();
  private readonly groups = new Map<string, number>();
  // The visitor of the publish being matched, for the bound filter below (no closure per publish).
  private outer: RouteVisitor | undefined;
  private readonly ordinaryOnly = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined, group: string | undefined): void => {
    if (group === undefined) this.outer!(message, subscriber, qos, retain, ids, undefined);
  };

  constructor(strategy: SharedPickStrategy) {
    this.local = new LocalRouter(strategy);
  }

  get onFilterAdded(): ((filter: string) => void) | undefined {
    return this.local.onFilterAdded;
  }
  set onFilterAdded(callback: ((filter: string) => void) | undefined) {
    this.local.onFilterAdded = callback;
  }
  get onFilterRemoved(): ((filter: string) => void) | undefined {
    return this.local.onFilterRemoved;
  }
  set onFilterRemoved(callback: ((filter: string) => void) | undefined) {
    this.local.onFilterRemoved = callback;
  }

  get size(): number {
    return this.local.size;
  }

  add(subscription: Subscription): boolean {
    if (!this.local.add(subscription)) return false;
    const group = subscription.group;
    if (group === undefined) {
      if (increment(this.filters, subscription.filter)) this.forwarder?.interestAdded(subscription.filter);
    } else if (increment(this.groups, sharedKey(group, subscription.filter))) {
      this.forwarder?.groupAdded(group, subscription.filter);
    }
    return true;
  }

  remove(subscription: Subscription): boolean {
    if (!this.local.remove(subscription)) return false;
    const group = subscription.group;
    if (group === undefined) {
      if (decrement(this.filters, subscription.filter)) this.forwarder?.interestRemoved(subscription.filter);
    } else if (decrement(this.groups, sharedKey(group, subscription.filter))) {
      this.forwarder?.groupRemoved(group, subscription.filter);
    }
    return true;
  }

  match(message: Message, visit: RouteVisitor): number {
    const forwarder = this.forwarder;
    if (forwarder === undefined) return this.local.match(message, visit);
    if (message.qos > 0) {
      forwarder.forwardDurable(message);
      return 1; // who subscribes is known only cluster-wide: the message is accepted
    }
    const outer = this.outer;
    this.outer = visit;
    let count: number;
    try {
      count = this.local.match(message, this.ordinaryOnly);
    } finally {
      this.outer = outer;
    }
    forwarder.forwardLive(message);
    return count + 1;
  }

  pickSharedMember(groupKey: string, except: Subscriber): Subscription | undefined {
    return this.local.pickSharedMember(groupKey, except);
  }
}

/** `group/filter` -> [group, filter] (a group name holds no `/`). */
export function splitGroupKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function increment(counts: Map<string, number>, key: string): boolean {
  const count = counts.get(key) ?? 0;
  counts.set(key, count + 1);
  return count === 0;
}

function decrement(counts: Map<string, number>, key: string): boolean {
  const count = counts.get(key);
  if (count === undefined) return false;
  if (count > 1) {
    counts.set(key, count - 1);
    return false;
  }
  counts.delete(key);
  return true;
}
