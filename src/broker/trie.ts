// The subscription trie: maps topic filters to values (subscriber refs) and finds every value whose filter
// matches a published topic name.
//
// Filters without wildcards live in a flat Map keyed by the whole filter: most subscriptions are exact, and a
// publish then costs one hash lookup for them, with no split. Filters with '+' or '#' live in a trie of levels
// where each node keeps its '+' and '#' children in fields rather than in the children Map, so matching one
// level is at most three lookups. The walk is iterative with an explicit stack: a filter and a topic may have
// ~65k levels ('a//////…'), which recursion would turn into a stack overflow. The topic is not split: levels
// are sliced out only where a node has literal children (about 20% faster than split('/') in benchmarks/trie.ts).

import { hasWildcard, isDollarTopic } from '../core/topic.js';

const singleLevelWildcard = '+';
const multiLevelWildcard = '#';
const maxRetainedStackLength = 1024;

class TrieNode<T> {
  children: Map<string, TrieNode<T>> | undefined = undefined;
  singleLevel: TrieNode<T> | undefined = undefined;
  multiLevel: TrieNode<T> | undefined = undefined;
  values: Set<T> | undefined = undefined;

  constructor(
    readonly parent: TrieNode<T> | undefined,
    readonly level: string,
  ) {}

  isEmpty(): boolean {
    return this.values === undefined && this.children === undefined && this.singleLevel === undefined && this.multiLevel === undefined;
  }
}

/** Maps topic filters to values. match() follows MQTT rules: '+' one level, '#' this level and all below
 *  (including the parent: 'a/#' matches 'a') [MQTT-4.7.1-2], topics starting with '$' are not matched by a
 *  filter starting with '+' or '#' [MQTT-4.7.2-1]. Levels may be empty strings ('a//b', '/a'). */
export class TopicTrie<T> {
  readonly #exact = new Map<string, Set<T>>();
  readonly #root = new TrieNode<T>(undefined, '');
  #size = 0;
  // Reused by match() so a publish allocates only the split levels; a re-entrant match() (a visit that
  // publishes) gets fresh stacks.
  #nodeStack: TrieNode<T>[] = [];
  #offsetStack: number[] = [];
  #matching = false;

  /** Number of (filter, value) pairs. */
  get size(): number {
    return this.#size;
  }

  /** Adds value under filter; returns false if this exact (filter, value) pair was already there. */
  add(filter: string, value: T): boolean {
    let values: Set<T> | undefined;
    if (hasWildcard(filter)) {
      const node = this.#createPath(filter);
      values = node.values ??= new Set<T>();
    } else {
      values = this.#exact.get(filter);
      if (values === undefined) {
        values = new Set<T>();
        this.#exact.set(filter, values);
      }
    }
    if (values.has(value)) return false;
    values.add(value);
    this.#size++;
    return true;
  }

  /** Removes; returns false if it was not there. Prunes empty nodes. */
  remove(filter: string, value: T): boolean {
    if (!hasWildcard(filter)) {
      const values = this.#exact.get(filter);
      if (values === undefined || !values.delete(value)) return false;
      if (values.size === 0) this.#exact.delete(filter);
      this.#size--;
      return true;
    }
    const node = this.#findNode(filter);
    if (node === undefined || node.values === undefined || !node.values.delete(value)) return false;
    if (node.values.size === 0) node.values = undefined;
    this.#size--;
    this.#prune(node);
    return true;
  }

  /** Values stored under exactly this filter (not matching). */
  get(filter: string): ReadonlySet<T> | undefined {
    if (!hasWildcard(filter)) return this.#exact.get(filter);
    return this.#findNode(filter)?.values;
  }

  /** Calls visit(value) once per (matching filter, value) pair. No allocation per call beyond what is unavoidable. */
  match(topic: string, visit: (value: T) => void): void {
    const exactValues = this.#exact.get(topic);
    if (exactValues !== undefined) exactValues.forEach(visit);
    if (this.#root.isEmpty()) return;

    // Levels are read in place: a stack entry holds the offset where its level starts, and a level is sliced out
    // only where a node has literal children to look it up in. topic.length + 1 means "no level left".
    const topicLength = topic.length;
    // [MQTT-4.7.2-1] '+' and '#' at the first level do not match a topic starting with '$'
    const skipRootWildcards = isDollarTopic(topic);
    const reentrant = this.#matching;
    const nodeStack = reentrant ? [] : this.#nodeStack;
    const offsetStack = reentrant ? [] : this.#offsetStack;
    this.#matching = true;
    nodeStack[0] = this.#root;
    offsetStack[0] = 0;
    let depth = 1;
    try {
      while (depth > 0) {
        depth--;
        const node = nodeStack[depth]!;
        const offset = offsetStack[depth]!;
        const wildcardsAllowed = offset !== 0 || !skipRootWildcards;
        // MQTT 4.7.1.2: '#' matches the remaining levels, also when none remain ('a/#' matches 'a')
        if (wildcardsAllowed && node.multiLevel?.values !== undefined) {
          node.multiLevel.values.forEach(visit);
        }
        if (offset > topicLength) {
          if (node.values !== undefined) node.values.forEach(visit);
          continue;
        }
        let levelEnd = topic.indexOf('/', offset);
        if (levelEnd === -1) levelEnd = topicLength;
        // MQTT 4.7.1.3: '+' matches exactly one level, so 'sport/tennis/+' does not match 'sport/tennis'
        if (wildcardsAllowed && node.singleLevel !== undefined) {
          nodeStack[depth] = node.singleLevel;
          offsetStack[depth] = levelEnd + 1;
          depth++;
        }
        if (node.children !== undefined) {
          const child = node.children.get(topic.slice(offset, levelEnd));
          if (child !== undefined) {
            nodeStack[depth] = child;
            offsetStack[depth] = levelEnd + 1;
            depth++;
          }
        }
      }
    } finally {
      // A visit that throws must not leave the trie believing it is still matching.
      if (!reentrant) this.#matching = false;
    }
    if (reentrant) return;
    // A pathological topic can grow the stacks; do not keep that memory, nor stale node references, for ever.
    if (nodeStack.length > maxRetainedStackLength) {
      this.#nodeStack = [];
      this.#offsetStack = [];
    }
  }

  #createPath(filter: string): TrieNode<T> {
    let node = this.#root;
    for (const level of filter.split('/')) {
      if (level === singleLevelWildcard) {
        node = node.singleLevel ??= new TrieNode<T>(node, level);
      } else if (level === multiLevelWildcard) {
        node = node.multiLevel ??= new TrieNode<T>(node, level);
      } else {
        node.children ??= new Map();
        let child = node.children.get(level);
        if (child === undefined) {
          child = new TrieNode<T>(node, level);
          node.children.set(level, child);
        }
        node = child;
      }
    }
    return node;
  }

  #findNode(filter: string): TrieNode<T> | undefined {
    let node: TrieNode<T> | undefined = this.#root;
    for (const level of filter.split('/')) {
      if (level === singleLevelWildcard) node = node.singleLevel;
      else if (level === multiLevelWildcard) node = node.multiLevel;
      else node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node;
  }

  #prune(start: TrieNode<T>): void {
    let node = start;
    while (node.parent !== undefined && node.isEmpty()) {
      const parent: TrieNode<T> = node.parent;
      if (parent.singleLevel === node) parent.singleLevel = undefined;
      else if (parent.multiLevel === node) parent.multiLevel = undefined;
      else if (parent.children !== undefined) {
        parent.children.delete(node.level);
        if (parent.children.size === 0) parent.children = undefined;
      }
      node = parent;
    }
  }
}
