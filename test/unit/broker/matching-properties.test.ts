// Property tests: the trie and the retained index agree with the naive reference matcher on random filters
// and topics drawn from a small alphabet of levels, where collisions and edge cases are frequent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TopicTrie } from '../../../src/internal.js';
import { RetainedIndex } from '../../../src/internal.js';
import { topicMatches } from '../../../src/internal.js';

const topicLevel = fc.constantFrom('', 'a', 'b', '$SYS', 'a$');
const topicName = fc.array(topicLevel, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));

// A valid filter: '+' anywhere as a whole level, '#' only as the last level [MQTT-4.7.1-2] [MQTT-4.7.1-3].
const topicFilter = fc
  .tuple(fc.array(fc.constantFrom('', 'a', 'b', '$SYS', 'a$', '+'), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, endsWithHash]) => levels.length > 0 || endsWithHash)
  .map(([levels, endsWithHash]) => (endsWithHash ? [...levels, '#'] : levels).join('/'));

test('trie - match equals the naive matcher over every stored (filter, value) pair', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(topicFilter, fc.integer({ min: 0, max: 3 })), { maxLength: 30 }),
      fc.array(fc.tuple(topicFilter, fc.integer({ min: 0, max: 3 })), { maxLength: 10 }),
      fc.array(topicName, { minLength: 1, maxLength: 10 }),
      (added, removed, topics) => {
        const trie = new TopicTrie<number>();
        const reference = new Map<string, [string, number]>();
        for (const [filter, value] of added) {
          const key = `${value} ${filter}`;
          assert.equal(trie.add(filter, value), !reference.has(key));
          reference.set(key, [filter, value]);
        }
        for (const [filter, value] of removed) {
          const key = `${value} ${filter}`;
          assert.equal(trie.remove(filter, value), reference.has(key));
          reference.delete(key);
        }
        assert.equal(trie.size, reference.size);
        for (const topic of topics) {
          const actual: string[] = [];
          trie.match(topic, (value) => actual.push(String(value)));
          const expected: string[] = [];
          for (const [filter, value] of reference.values()) if (topicMatches(filter, topic)) expected.push(String(value));
          assert.deepEqual(actual.sort(), expected.sort(), `topic '${topic}'`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('trie - removing everything that was added leaves an empty trie', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(topicFilter, fc.integer({ min: 0, max: 3 })), { maxLength: 30 }), topicName, (added, topic) => {
      const trie = new TopicTrie<number>();
      for (const [filter, value] of added) trie.add(filter, value);
      for (const [filter, value] of added) trie.remove(filter, value);
      assert.equal(trie.size, 0);
      for (const [filter] of added) assert.equal(trie.get(filter), undefined);
      let visits = 0;
      trie.match(topic, () => visits++);
      assert.equal(visits, 0);
    }),
  );
});

test('retained index - match equals the naive matcher over every stored topic', () => {
  fc.assert(
    fc.property(
      fc.array(topicName, { maxLength: 30 }),
      fc.array(topicName, { maxLength: 10 }),
      fc.array(topicFilter, { minLength: 1, maxLength: 10 }),
      (stored, deleted, filters) => {
        const index = new RetainedIndex<string>();
        const reference = new Map<string, string>();
        for (const [position, topic] of stored.entries()) {
          index.set(topic, `${topic}#${position}`);
          reference.set(topic, `${topic}#${position}`);
        }
        for (const topic of deleted) assert.equal(index.delete(topic), reference.delete(topic));
        assert.equal(index.size, reference.size);
        for (const filter of filters) {
          const actual: string[] = [];
          index.match(filter, (topic, message) => actual.push(`${topic} -> ${message}`));
          const expected: string[] = [];
          for (const [topic, message] of reference) if (topicMatches(filter, topic)) expected.push(`${topic} -> ${message}`);
          assert.deepEqual(actual.sort(), expected.sort(), `filter '${filter}'`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
