import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasWildcard, isDollarTopic, parseSharedFilter, topicMatches } from '../../../src/internal.js';
import { matchingCases } from './matching-cases.js';

for (const { rule, filter, topic, matches } of matchingCases) {
  test(`topicMatches - ${rule}: '${filter}' vs '${topic}'`, () => {
    assert.equal(topicMatches(filter, topic), matches);
  });
}

test('parseSharedFilter - splits $share/<group>/<filter> (4.8.2)', () => {
  assert.deepEqual(parseSharedFilter('$share/consumers/sport/tennis/+'), { group: 'consumers', filter: 'sport/tennis/+' });
  assert.deepEqual(parseSharedFilter('$share/g/#'), { group: 'g', filter: '#' });
  assert.deepEqual(parseSharedFilter('$share/g//a'), { group: 'g', filter: '/a' });
});

test('parseSharedFilter - anything else is not shared', () => {
  assert.equal(parseSharedFilter('sport/tennis'), undefined);
  assert.equal(parseSharedFilter('$SYS/broker'), undefined);
  assert.equal(parseSharedFilter('$sharefoo/g/a'), undefined);
  assert.equal(parseSharedFilter('a/$share/g/b'), undefined);
  assert.equal(parseSharedFilter('$share/group-without-filter'), undefined);
});

test('hasWildcard - finds + and # anywhere', () => {
  assert.equal(hasWildcard('sport/tennis'), false);
  assert.equal(hasWildcard('sport/+/player1'), true);
  assert.equal(hasWildcard('sport/#'), true);
  assert.equal(hasWildcard('#'), true);
  assert.equal(hasWildcard(''), false);
});

test('isDollarTopic - only a first character of $ counts', () => {
  assert.equal(isDollarTopic('$SYS/x'), true);
  assert.equal(isDollarTopic('a/$SYS'), false);
  assert.equal(isDollarTopic(''), false);
});
