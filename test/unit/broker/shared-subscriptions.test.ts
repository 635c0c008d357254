import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedGroup } from '../../../src/internal.js';

test('shared group - keeps its group and filter', () => {
  const group = new SharedGroup<string>('consumers', 'jobs/+', 'round_robin');
  assert.equal(group.group, 'consumers');
  assert.equal(group.filter, 'jobs/+');
});

test('shared group - add and remove are idempotent and size follows', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  assert.equal(group.add('x'), true);
  assert.equal(group.add('x'), false);
  assert.equal(group.add('y'), true);
  assert.equal(group.size, 2);
  assert.equal(group.has('x'), true);
  assert.equal(group.remove('x'), true);
  assert.equal(group.remove('x'), false);
  assert.equal(group.has('x'), false);
  assert.equal(group.size, 1);
  assert.deepEqual([...group.members()], ['y']);
});

test('shared group - an empty group picks nothing', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  assert.equal(group.pick(), undefined);
  const random = new SharedGroup<string>('g', 'a', 'random');
  assert.equal(random.pick(), undefined);
  group.add('x');
  group.remove('x');
  assert.equal(group.pick(), undefined);
});

test('shared group - round robin goes through members in order and wraps [MQTT-4.8.2-3]', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  for (const member of ['a', 'b', 'c']) group.add(member);
  const picks = Array.from({ length: 7 }, () => group.pick());
  assert.deepEqual(picks, ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
});

test('shared group - round robin continues with the next member after one is removed', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  for (const member of ['a', 'b', 'c', 'd']) group.add(member);
  assert.equal(group.pick(), 'a');
  assert.equal(group.pick(), 'b');
  group.remove('a');
  assert.equal(group.pick(), 'c');
  group.remove('c');
  assert.equal(group.pick(), 'd');
  assert.equal(group.pick(), 'b');
  group.remove('d');
  assert.equal(group.pick(), 'b');
});

test('shared group - round robin includes a member added later', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  group.add('a');
  group.add('b');
  assert.equal(group.pick(), 'a');
  group.add('c');
  assert.deepEqual([group.pick(), group.pick(), group.pick()], ['b', 'c', 'a']);
});

test('shared group - pick skips members that do not accept', () => {
  const group = new SharedGroup<string>('g', 'a', 'round_robin');
  for (const member of ['a', 'b', 'c']) group.add(member);
  const offline = new Set(['a', 'b']);
  assert.equal(group.pick((member) => !offline.has(member)), 'c');
  offline.delete('a');
  assert.equal(group.pick((member) => !offline.has(member)), 'a');
  assert.equal(group.pick((member) => !offline.has(member)), 'c');
});

test('shared group - pick asks each member at most once and returns undefined when none accepts', () => {
  for (const strategy of ['round_robin', 'random'] as const) {
    const group = new SharedGroup<string>('g', 'a', strategy);
    for (const member of ['a', 'b', 'c']) group.add(member);
    const asked: string[] = [];
    const picked = group.pick((member) => {
      asked.push(member);
      return false;
    });
    assert.equal(picked, undefined);
    assert.deepEqual(asked.sort(), ['a', 'b', 'c']);
  }
});

test('shared group - random eventually picks every member, and only members', () => {
  const group = new SharedGroup<number>('g', 'a', 'random');
  for (let member = 0; member < 5; member++) group.add(member);
  const seen = new Set<number>();
  // 5 members, 1000 picks: the chance of missing one is 5 * 0.8^1000, far below anything observable.
  for (let pick = 0; pick < 1000; pick++) seen.add(group.pick()!);
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
});

test('shared group - random pick with a filter only returns accepted members', () => {
  const group = new SharedGroup<number>('g', 'a', 'random');
  for (let member = 0; member < 6; member++) group.add(member);
  for (let pick = 0; pick < 200; pick++) {
    const member = group.pick((candidate) => candidate % 2 === 0);
    assert.ok(member !== undefined && member % 2 === 0);
  }
});
