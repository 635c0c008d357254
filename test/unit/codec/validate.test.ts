import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { isValidTopicFilter, isValidTopicName, topicLevelCount } from '../../../src/internal.js';

describe('isValidTopicName', () => {
  for (const topic of ['a', 'a/b/c', '/', '/a', 'a/', '$SYS/broker', 'sport/tennis player1', 'ü/ñ']) {
    test(`accepts '${topic}'`, () => assert.equal(isValidTopicName(topic), true));
  }
  test('refuses the empty topic [MQTT-4.7.3-1]', () => assert.equal(isValidTopicName(''), false));
  for (const topic of ['+', 'a/+', 'a/#', '#', 'a+b', 'a#']) {
    test(`refuses wildcards in '${topic}' [MQTT-3.3.2-2]`, () => assert.equal(isValidTopicName(topic), false));
  }
});

describe('isValidTopicFilter', () => {
  for (const filter of ['#', '+', 'a/#', 'a/+/b', '+/+', '/+', '+/', 'a//b', 'sport/+/player1', '$share/group/a/#', '$share/g/+', '$SYS/#', '$share']) {
    test(`accepts '${filter}'`, () => assert.equal(isValidTopicFilter(filter), true));
  }
  for (const filter of ['', 'a#', 'a/#/b', '#/', 'a/b#', 'a+', 'a/+b', '++', 'a/#/#']) {
    test(`refuses '${filter}' [MQTT-4.7.1-1] [MQTT-4.7.1-2]`, () => assert.equal(isValidTopicFilter(filter), false));
  }
  for (const filter of ['$share/', '$share//a', '$share/group', '$share/group/', '$share/gr+oup/a', '$share/gr#/a', '$share/g/a#']) {
    test(`refuses the shared subscription '${filter}' [MQTT-4.8.2-1] [MQTT-4.8.2-2]`, () => assert.equal(isValidTopicFilter(filter), false));
  }
});

describe('topicLevelCount', () => {
  test('counts levels separated by /', () => {
    assert.equal(topicLevelCount('a'), 1);
    assert.equal(topicLevelCount('a/b/c'), 3);
    assert.equal(topicLevelCount('/'), 2);
    assert.equal(topicLevelCount('a//'), 3);
  });
});
