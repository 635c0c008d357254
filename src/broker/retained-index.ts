// Retained messages by topic name, indexed by a trie of topic levels so that a new subscription's filter finds
// its retained messages by walking only the branches the filter can match.
//
// The message sits on the trie node where its topic ends; a flat Map from topic to that node answers
// get/set/delete without walking the trie, and the trie answers match(filter). Walks are iterative: a topic
// may have ~65k levels.

import { isDollarTopic } from '../core/topic.js';

const singleLevelWildcard = '+';
const multiLevelWildcard = '#';

class LevelNode<M> {
  children: Map<string, LevelNode<M>> | undefined = undefined;
  /** The topic whose message ends at this node; undefined when no message does. */
  topic: string | undefined = undefined;
  message: M | undefined = undefined;

  constructor(
    readonly parent: LevelNode<M> | undefined,
    readonly level: string,
  ) {}
}

/** Retained messages by topic, with an index so a wildcard filter finds its matches without scanning every topic
 *  (a trie of topic levels; '#' and '+' walk only the relevant branches; the '$' rule applies). Must stay fast at 1 million topics. */
export class RetainedIndex<M> {
  readonly #nodes = new Map<string, LevelNode<M>>();
  readonly #root = new LevelNode<M>(undefined, '');

  get size(): number {
    return this.#nodes.size;
  }

  /** Stores message as the retained message of topic, replacing any earlier one [MQTT-3.3.1-5]. */
  set(topic: string, message: M): void {
    const existing = this.#nodes.get(topic);
    if (existing !== undefined) {
      existing.message = message;
      return;
    }
    let node = this.#root;
    let start = 0;
    for (;;) {
      const end = topic.indexOf('/', start);
      const level = end === -1 ? topic.slice(start) : topic.slice(start, end);
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = new LevelNode<M>(node, level);
        node.children.set(level, child);
      }
      node = child;
      if (end === -1) break;
      start = end + 1;
    }
    node.topic = topic;
    node.message = message;
    this.#nodes.set(topic, node);
  }

  delete(topic: string): boolean {
    let node = this.#nodes.get(topic);
    if (node === undefined) return false;
    this.#nodes.delete(topic);
    node.topic = undefined;
    node.message = undefined;
    // Prune nodes that now lead nowhere.
    while (node.parent !== undefined && node.topic === undefined && node.children === undefined) {
      const parent: LevelNode<M> = node.parent;
      parent.children!.delete(node.level);
      if (parent.children!.size === 0) parent.children = undefined;
      node = parent;
    }
    return true;
  }

  get(topic: string): M | undefined {
    return this.#nodes.get(topic)?.message;
  }

  *entries(): IterableIterator<[string, M]> {
    for (const [topic, node] of this.#nodes) yield [topic, node.message as M];
  }

  /** Calls visit for every retained message whose topic matches filter (exact, '+', '#'). */
  match(filter: string, visit: (topic: string, message: M) => void): void {
    const hasSingle = filter.includes(singleLevelWildcard);
    const hasMulti = filter.includes(multiLevelWildcard);
    if (!hasSingle && !hasMulti) {
      const node = this.#nodes.get(filter);
      if (node !== undefined) visit(filter, node.message as M);
      return;
    }
    const levels = filter.split('/');
    const levelCount = levels.length;
    const nodeStack: LevelNode<M>[] = [this.#root];
    const indexStack: number[] = [0];
    while (nodeStack.length > 0) {
      const node = nodeStack.pop()!;
      const index = indexStack.pop()!;
      if (index === levelCount) {
        if (node.topic !== undefined) visit(node.topic, node.message as M);
        continue;
      }
      const level = levels[index]!;
      if (level === multiLevelWildcard) {
        // MQTT 4.7.1.2: '#' also matches the parent level ('a/#' matches 'a')
        if (node.topic !== undefined) visit(node.topic, node.message as M);
        this.#visitSubtree(node, index === 0, visit);
      } else if (level === singleLevelWildcard) {
        if (node.children === undefined) continue;
        for (const child of node.children.values()) {
          // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with '$'
          if (index === 0 && isDollarTopic(child.level)) continue;
          nodeStack.push(child);
          indexStack.push(index + 1);
        }
      } else {
        const child = node.children?.get(level);
        if (child !== undefined) {
          nodeStack.push(child);
          indexStack.push(index + 1);
        }
      }
    }
  }

  /** Visits every topic strictly below node. */
  #visitSubtree(start: LevelNode<M>, isRoot: boolean, visit: (topic: string, message: M) => void): void {
    if (start.children === undefined) return;
    const stack: LevelNode<M>[] = [];
    for (const child of start.children.values()) {
      // [MQTT-4.7.2-1] '#' as the whole filter does not match topics starting with '$'
      if (isRoot && isDollarTopic(child.level)) continue;
      stack.push(child);
    }
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.topic !== undefined) visit(node.topic, node.message as M);
      if (node.children !== undefined) for (const child of node.children.values()) stack.push(child);
    }
  }
}
