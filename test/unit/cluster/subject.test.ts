// The topic -> NATS subject mapping agrees with MQTT matching: for random filters and topics (with
// levels that need escaping), NATS subject matching of the mapped pair equals the naive MQTT matcher;
// levels round-trip; long names go to the overflow subject; every subject stays within NATS' limits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLevel, encodeLevel, MAX_SUBJECT_BYTES, SubjectMap, topicMatches } from '../../../src/internal.js';

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
function natsMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

const level = fc.constantFrom('', 'a', 'b', '$SYS', '$', 'a.b', '*', '>', '~', '~_', 'sp ace', 'ü', '日本', 'a~2E', '\t', 'x>y');
const topicName = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));

const map = new SubjectMap('st', 'd');

test('subject - NATS matching of mapped filters and topics equals MQTT matching', () => {
  fc.assert(
    fc.property(topicFilter, topicName, (filter, topic) => {
      const subject = map.topic(topic);
      const filterSubject = map.filter(filter);
      assert.ok(filterSubject !== undefined);
      assert.equal(natsMatches(filterSubject, subject), topicMatches(filter, topic), `${filter} ~ ${topic}: ${filterSubject} ~ ${subject}`);
    }),
    { numRuns: 5000 },
  );
});

test('subject - every token is one NATS token with no wildcard, space or empty part, and levels round-trip', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (text) => {
      const token = encodeLevel(text);
      assert.match(token, /^[\x21-\x7e]+$/);
      assert.ok(!/[.*>]/.test(token), token);
      assert.equal(decodeLevel(token), text);
    }),
    { numRuns: 3000 },
  );
});

test('subject - examples from the design', () => {
  assert.equal(map.topic('a//b'), 'st.d.t.a.~_.b.~');
  assert.equal(map.topic('spBv1.0/x'), 'st.d.t.spBv1~2E0.x.~');
  assert.equal(map.topic('$SYS/x'), 'st.d.s.$SYS.x.~');
  assert.equal(map.filter('+/x'), 'st.d.t.*.x.~');
  assert.equal(map.filter('#'), 'st.d.t.>');
  assert.equal(map.filter('$SYS/#'), 'st.d.s.$SYS.>');
  assert.equal(map.filter('a/#'), 'st.d.t.a.>');
});

test('subject - names too long for a NATS control line go to the overflow subject', () => {
  const long = `a/${'x'.repeat(MAX_SUBJECT_BYTES)}`;
  assert.equal(map.topic(long), 'st.d.x');
  assert.equal(map.filter(long), undefined);
  const deep = Array.from({ length: 201 }, () => 'l').join('/');
  assert.equal(map.topic(deep), 'st.d.x');
  // Escaping can triple a name's length: the mapped subject, not the topic, is what is bounded.
  const escaped = 'é'.repeat(400);
  assert.ok(Buffer.byteLength(map.topic(escaped)) <= MAX_SUBJECT_BYTES);
});
