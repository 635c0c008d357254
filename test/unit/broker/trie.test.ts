import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopicTrie } from '../../../src/internal.js';
import { matchingCases } from './matching-cases.js';

function matched<T>(trie: TopicTrie<T>, topic: string): T[] {
  const values: T[] = [];
  trie.match(topic, (value) => values.push(value));
  return values;
}

for (const { rule, filter, topic, matches } of matchingCases) {
  test(`trie - ${rule}: '${filter}' vs '${topic}'`, () => {
    const trie = new TopicTrie<string>();
    trie.add(filter, 'subscriber');
    assert.deepEqual(matched(trie, topic), matches ? ['subscriber'] : []);
  });
}

test('trie - visits once per (matching filter, value) pair, across exact and wildcard filters', () => {
  const trie = new TopicTrie<string>();
  trie.add('sport/tennis', 'a');
  trie.add('sport/+', 'a');
  trie.add('sport/#', 'a');
  trie.add('#', 'b');
  trie.add('+/tennis', 'c');
  trie.add('sport/golf', 'd');
  assert.deepEqual(matched(trie, 'sport/tennis').sort(), ['a', 'a', 'a', 'b', 'c']);
});

test('trie - several values under one filter are all visited', () => {
  const trie = new TopicTrie<number>();
  for (const value of [1, 2, 3]) trie.add('a/+', value);
  assert.deepEqual(matched(trie, 'a/b').sort(), [1, 2, 3]);
});

test('trie - add is idempotent per (filter, value) and size counts pairs', () => {
  const trie = new TopicTrie<string>();
  assert.equal(trie.add('a/b', 'x'), true);
  assert.equal(trie.add('a/b', 'x'), false);
  assert.equal(trie.add('a/+', 'x'), true);
  assert.equal(trie.add('a/+', 'x'), false);
  assert.equal(trie.add('a/b', 'y'), true);
  assert.equal(trie.size, 3);
  assert.deepEqual(matched(trie, 'a/b').sort(), ['x', 'x', 'y']);
});

test('trie - remove returns false for absent pairs and is idempotent', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/#', 'x');
  trie.add('a/b', 'x');
  assert.equal(trie.remove('a/#', 'y'), false);
  assert.equal(trie.remove('a/+', 'x'), false);
  assert.equal(trie.remove('c', 'x'), false);
  assert.equal(trie.remove('a/#', 'x'), true);
  assert.equal(trie.remove('a/#', 'x'), false);
  assert.equal(trie.remove('a/b', 'x'), true);
  assert.equal(trie.remove('a/b', 'x'), false);
  assert.equal(trie.size, 0);
  assert.deepEqual(matched(trie, 'a/b'), []);
});

test('trie - remove keeps the other values and filters sharing the path', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/+/c', 'x');
  trie.add('a/+/c', 'y');
  trie.add('a/+', 'z');
  trie.remove('a/+/c', 'x');
  assert.deepEqual(matched(trie, 'a/b/c'), ['y']);
  assert.deepEqual(matched(trie, 'a/b'), ['z']);
  trie.remove('a/+/c', 'y');
  assert.deepEqual(matched(trie, 'a/b/c'), []);
  assert.deepEqual(matched(trie, 'a/b'), ['z']);
});

test('trie - removing the last values prunes empty nodes, so get() of their prefixes is undefined', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/+/c/#', 'x');
  trie.add('a/+', 'y');
  trie.remove('a/+/c/#', 'x');
  assert.equal(trie.get('a/+/c/#'), undefined);
  assert.equal(trie.get('a/+/c'), undefined);
  assert.deepEqual([...(trie.get('a/+') ?? [])], ['y']);
  trie.remove('a/+', 'y');
  assert.equal(trie.get('a/+'), undefined);
  assert.equal(trie.get('a'), undefined);
  // Re-adding after pruning works from a clean path.
  assert.equal(trie.add('a/+/c/#', 'x'), true);
  assert.deepEqual(matched(trie, 'a/b/c'), ['x']);
});

test('trie - get returns the values under exactly that filter, not matching ones', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/b', 'x');
  trie.add('a/+', 'y');
  trie.add('a/#', 'z');
  assert.deepEqual([...(trie.get('a/b') ?? [])], ['x']);
  assert.deepEqual([...(trie.get('a/+') ?? [])], ['y']);
  assert.deepEqual([...(trie.get('a/#') ?? [])], ['z']);
  assert.equal(trie.get('a/c'), undefined);
  assert.equal(trie.get('a'), undefined);
  assert.equal(trie.get('+/b'), undefined);
});

test("trie - a topic of 100000 '/' (100001 empty levels) does not overflow the stack", () => {
  const trie = new TopicTrie<string>();
  const deepFilter = '/'.repeat(2000) + '#';
  trie.add(deepFilter, 'deep');
  trie.add('+/#', 'shallow');
  const topic = '/'.repeat(100_000);
  assert.deepEqual(matched(trie, topic).sort(), ['deep', 'shallow']);
});

test('trie - a visit that calls match again gets its own traversal', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/+', 'outer');
  trie.add('a/#', 'outer2');
  trie.add('b/+', 'inner');
  const seen: string[] = [];
  trie.match('a/x', (value) => {
    seen.push(value);
    trie.match('b/y', (inner) => seen.push(inner));
  });
  assert.deepEqual(seen.sort(), ['inner', 'inner', 'outer', 'outer2']);
});

test('trie - removing during a match does not disturb the current traversal', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/+', 'x');
  trie.add('a/#', 'y');
  trie.add('a/b', 'z');
  const seen: string[] = [];
  trie.match('a/b', (value) => {
    seen.push(value);
    trie.remove('a/+', 'x');
  });
  assert.ok(seen.includes('z'));
  assert.ok(seen.includes('y'));
  assert.deepEqual(matched(trie, 'a/b').sort(), ['y', 'z']);
});

test('trie - a visit that throws leaves the trie usable', () => {
  const trie = new TopicTrie<string>();
  trie.add('a/+', 'x');
  assert.throws(() =>
    trie.match('a/b', () => {
      throw new Error('subscriber failed');
    }),
  );
  assert.deepEqual(matched(trie, 'a/c'), ['x']);
});
