// The cluster's route table as one node sees it (EMQX's route table): for a topic, which nodes hold an
// ordinary subscription matching it, whether this node does, and which shared groups match it with the
// nodes that have members. Every node announces its own entries (nats/routes.ts replicates them), and a
// publishing node looks a topic up here to send one batch per interested node: a node without a matching
// filter gets nothing. Final matching (No Local, overlaps, identifiers) stays in the receiving node's trie.
//
// An entry is `f<filter>` (an ordinary filter) or `g<group>/<filter>` (a shared group's key).

import { TopicTrie } from '../broker/trie.js';
import { splitGroupKey } from './cluster-router.js';

/** A shared group cluster-wide: its key and the nodes with members, picked in turn. */
export class GroupRoute {
  nodes: readonly string[] = [];
  private next = 0;
  constructor(readonly key: string) {}

  /** The next node with members (round robin), or undefined when none has any. */
  pick(): string | undefined {
    const nodes = this.nodes;
    if (nodes.length === 0) return undefined;
    if (this.next >= nodes.length) this.next = 0;
    return nodes[this.next++];
  }
}

/** Where a topic's messages go. */
export interface Destinations {
  /** Other nodes with an ordinary subscription matching the topic. */
  readonly nodes: readonly string[];
  /** This node has an ordinary subscription matching it. */
  readonly self: boolean;
  /** Shared groups matching it. */
  readonly groups: readonly GroupRoute[];
}

const NOWHERE: Destinations = { nodes: [], self: false, groups: [] };
/** Topics whose destinations are remembered until the table changes. */
const MAX_CACHED_TOPICS = 50_000;

export function filterEntry(filter: string): string {
  return `f${filter}`;
}

export function groupEntry(key: string): string {
  return `g${key}`;
}

export class RouteTable {
  /** Ordinary filters -> nodes holding them. */
  private readonly filters = new TopicTrie<string>();
  /** Group filters -> the groups (one GroupRoute per key). */
  private readonly groupFilters = new TopicTrie<GroupRoute>();
  private readonly groups = new Map<string, GroupRoute>();
  private readonly entriesOf = new Map<string, Set<string>>();
  private cache = new Map<string, Destinations>();
  // Scratch of the lookup being computed (bound visitors: no closure per lookup).
  private readonly found = new Set<string>();
  private readonly foundGroups: GroupRoute[] = [];
  private readonly collectNode = (node: string): void => void this.found.add(node);
  private readonly collectGroup = (group: GroupRoute): void => {
    if (group.nodes.length > 0) this.foundGroups.push(group);
  };

  constructor(readonly self: string) {}

  /** Adds one entry of `node`; false when it had it already. */
  add(node: string, entry: string): boolean {
    let entries = this.entriesOf.get(node);
    if (entries === undefined) {
      entries = new Set();
      this.entriesOf.set(node, entries);
    }
    if (entries.has(entry)) return false;
    entries.add(entry);
    this.apply(node, entry, true);
    return true;
  }

  /** Removes one entry of `node`; false when it did not have it. */
  remove(node: string, entry: string): boolean {
    const entries = this.entriesOf.get(node);
    if (entries === undefined || !entries.delete(entry)) return false;
    if (entries.size === 0) this.entriesOf.delete(node);
    this.apply(node, entry, false);
    return true;
  }

  /** Makes `entries` the whole set of `node` (a snapshot of it). */
  replace(node: string, entries: Iterable<string>): void {
    const next = new Set(entries);
    for (const entry of [...(this.entriesOf.get(node) ?? [])]) if (!next.has(entry)) this.remove(node, entry);
    for (const entry of next) this.add(node, entry);
  }

  /** Drops every entry of `node` (it left, or died). */
  forget(node: string): void {
    this.replace(node, []);
  }

  /** The entries of `node` now. */
  entries(node: string): ReadonlySet<string> {
    return this.entriesOf.get(node) ?? new Set();
  }

  /** Nodes with at least one entry. */
  nodes(): string[] {
    return [...this.entriesOf.keys()];
  }

  lookup(topic: string): Destinations {
    let destinations = this.cache.get(topic);
    if (destinations !== undefined) return destinations;
    const found = this.found;
    const foundGroups = this.foundGroups;
    this.filters.match(topic, this.collectNode);
    this.groupFilters.match(topic, this.collectGroup);
    if (found.size === 0 && foundGroups.length === 0) {
      destinations = NOWHERE;
    } else {
      const self = found.delete(this.self);
      destinations = { nodes: [...found], self, groups: [...foundGroups] };
      found.clear();
      foundGroups.length = 0;
    }
    if (this.cache.size >= MAX_CACHED_TOPICS) this.cache = new Map();
    this.cache.set(topic, destinations);
    return destinations;
  }

  private apply(node: string, entry: string, added: boolean): void {
    if (this.cache.size > 0) this.cache = new Map();
    const body = entry.slice(1);
    if (entry.charCodeAt(0) === 0x66 /* f */) {
      if (added) this.filters.add(body, node);
      else this.filters.remove(body, node);
      return;
    }
    let group = this.groups.get(body);
    if (group === undefined) {
      if (!added) return;
      group = new GroupRoute(body);
      this.groups.set(body, group);
      this.groupFilters.add(splitGroupKey(body)[1], group);
    }
    group.nodes = added ? [...group.nodes, node].sort() : group.nodes.filter((other) => other !== node);
    if (group.nodes.length === 0) {
      this.groups.delete(body);
      this.groupFilters.remove(splitGroupKey(body)[1], group);
    }
  }
}
