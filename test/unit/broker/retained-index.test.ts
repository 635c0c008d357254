import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetainedIndex } from '../../../src/internal.js';
import { matchingCases } from './matching-cases.js';

function matchedTopics<M>(index: RetainedIndex<M>, filter: string): string[] {
  const topics: string[] = [];
  index.match(filter, (topic) => topics.push(topic));
  return topics.sort();
}

for (const { rule, filter, topic, matches } of matchingCases) {
  test(`retained index - ${rule}: '${filter}' vs '${topic}'`, () => {
    const index = new RetainedIndex<string>();
    index.set(topic, 'message');
    const seen: Array<[string, string]> = [];
    index.match(filter, (matchedTopic, message) => seen.push([matchedTopic, message]));
    assert.deepEqual(seen, matches ? [[topic, 'message']] : []);
  });
}

test('retained index - set replaces the retained message of a topic [MQTT-3.3.1-5]', () => {
  const index = new RetainedIndex<string>();
  index.set('a/b', 'first');
  index.set('a/b', 'second');
  assert.equal(index.size, 1);
  assert.equal(index.get('a/b'), 'second');
  const seen: string[] = [];
  index.match('a/+', (_topic, message) => seen.push(message));
  assert.deepEqual(seen, ['second']);
});

test('retained index - delete removes the message and reports whether it was there', () => {
  const index = new RetainedIndex<string>();
  index.set('a/b', 'x');
  index.set('a/b/c', 'y');
  assert.equal(index.delete('a/b'), true);
  assert.equal(index.delete('a/b'), false);
  assert.equal(index.delete('nothing/here'), false);
  assert.equal(index.get('a/b'), undefined);
  assert.equal(index.size, 1);
  assert.deepEqual(matchedTopics(index, 'a/#'), ['a/b/c']);
  assert.deepEqual(matchedTopics(index, 'a/+'), []);
});

test('retained index - deleting the deepest topic prunes its path but keeps messages on the way', () => {
  const index = new RetainedIndex<string>();
  index.set('a', 'x');
  index.set('a/b/c/d', 'y');
  index.delete('a/b/c/d');
  assert.deepEqual(matchedTopics(index, '#'), ['a']);
  assert.deepEqual(matchedTopics(index, 'a/+/+/+'), []);
  index.set('a/b/c/d', 'z');
  assert.deepEqual(matchedTopics(index, 'a/+/c/#'), ['a/b/c/d']);
});

test('retained index - falsy messages are stored and found', () => {
  const index = new RetainedIndex<number>();
  index.set('zero', 0);
  assert.equal(index.get('zero'), 0);
  const seen: number[] = [];
  index.match('zero', (_topic, message) => seen.push(message));
  index.match('+', (_topic, message) => seen.push(message));
  assert.deepEqual(seen, [0, 0]);
});

test('retained index - entries lists every topic with its message', () => {
  const index = new RetainedIndex<string>();
  index.set('a', '1');
  index.set('b/c', '2');
  index.set('b/c', '3');
  assert.deepEqual([...index.entries()].sort(), [['a', '1'], ['b/c', '3']]);
});

test("retained index - '#' walks only its branch and matches the parent", () => {
  const index = new RetainedIndex<string>();
  for (const topic of ['sensors/17', 'sensors/17/42/t', 'sensors/170/x', 'sensors/1/17', 'other/17']) index.set(topic, topic);
  assert.deepEqual(matchedTopics(index, 'sensors/17/#'), ['sensors/17', 'sensors/17/42/t']);
  assert.deepEqual(matchedTopics(index, 'sensors/+/17'), ['sensors/1/17']);
  assert.deepEqual(matchedTopics(index, '+/17'), ['other/17', 'sensors/17']);
});

test("retained index - '$' topics are found only by filters whose first level is not a wildcard [MQTT-4.7.2-1]", () => {
  const index = new RetainedIndex<string>();
  index.set('$SYS/broker/uptime', 'u');
  index.set('normal', 'n');
  assert.deepEqual(matchedTopics(index, '#'), ['normal']);
  assert.deepEqual(matchedTopics(index, '+/broker/uptime'), []);
  assert.deepEqual(matchedTopics(index, '$SYS/#'), ['$SYS/broker/uptime']);
  assert.deepEqual(matchedTopics(index, '$SYS/+/uptime'), ['$SYS/broker/uptime']);
});

test('retained index - a topic of 100000 levels is stored, matched and deleted without overflowing the stack', () => {
  const index = new RetainedIndex<string>();
  const topic = 'a' + '/x'.repeat(100_000);
  index.set(topic, 'deep');
  assert.deepEqual(matchedTopics(index, 'a/#'), [topic]);
  assert.deepEqual(matchedTopics(index, '#'), [topic]);
  assert.equal(index.delete(topic), true);
  assert.deepEqual(matchedTopics(index, '#'), []);
});
