// The cluster's batch envelope: every field of every message round-trips (QoS, retain, properties, the
// publisher, expiry, other origins, groups, non-ASCII and long strings, payloads from empty to past the
// sizes whose lengths take more bytes); entries can be read topic-first and skipped; damaged input gives
// an EnvelopeError, never a wrong message or a hang.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Message } from '../../../src/internal.js';
import { BatchReader, decodeBatch, encodeBatch, EnvelopeError } from '../../../src/cluster/nats/envelope.js';

const base = Date.now();

function message(overrides: Partial<Message> = {}): Message {
  return {
    id: base * 1000 + 1,
    origin: 'node-a',
    topic: 'a/b',
    payload: Buffer.from('hello'),
    qos: 0,
    retain: false,
    properties: {},
    from: 'client-1',
    receivedAt: base,
    expiresAt: undefined,
    ...overrides,
  };
}

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ minLength: 100, maxLength: 300 }));
const arbitraryMessage = fc.record({
  id: fc.integer({ min: 0, max: 2 ** 52 }),
  origin: fc.oneof(fc.constant('node-a'), fc.constant('rule:r1'), fc.string({ unit: 'grapheme', maxLength: 10 })),
  topic: text,
  payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
  retain: fc.boolean(),
  properties: fc.oneof(
    fc.constant({}),
    fc.record({ contentType: fc.string(), userProperties: fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 }), correlationData: fc.uint8Array().map((bytes) => Buffer.from(bytes)) }),
  ),
  from: fc.option(text, { nil: undefined }),
  receivedAt: fc.integer({ min: base - 10_000, max: base + 10_000 }),
  expiresAt: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
}).map((fields): Message => ({ ...fields, expiresAt: fields.expiresAt === undefined ? undefined : fields.receivedAt + fields.expiresAt }));

/** Buffers as arrays, properties as plain JSON (whatever prototype the generator or msgpack gave them). */
function comparable(m: Message): unknown {
  return { ...m, payload: [...m.payload], properties: JSON.parse(JSON.stringify(m.properties)) as unknown };
}

test('envelope - every field of every message round-trips, in order, with its group', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(arbitraryMessage, fc.option(text, { nil: undefined })), { minLength: 1, maxLength: 8 }), (entries) => {
      const messages = entries.map(([m]) => m);
      const groups = entries.map(([, group]) => group);
      const decoded = decodeBatch(encodeBatch(messages, groups));
      assert.equal(decoded.length, messages.length);
      for (const [index, { message: got, group }] of decoded.entries()) {
        assert.deepEqual(comparable(got), comparable(messages[index]!));
        assert.equal(group, groups[index]);
      }
    }),
    { numRuns: 1000 },
  );
});

test('envelope - lengths that take several bytes: long topics, 3 MiB payloads', () => {
  const large = Buffer.alloc(3 * 1024 * 1024, 7);
  const messages = [message({ topic: `t/${'x'.repeat(70_000)}`, payload: Buffer.alloc(0) }), message({ payload: large, id: base * 1000 + 2 }), message({ topic: 'ü/'.repeat(200), id: base * 1000 - 5 })];
  const decoded = decodeBatch(encodeBatch(messages)).map(({ message: got }) => got);
  assert.equal(decoded[0]!.topic, messages[0]!.topic);
  assert.equal(decoded[0]!.payload.length, 0);
  assert.ok(decoded[1]!.payload.equals(large));
  assert.equal(decoded[2]!.topic, messages[2]!.topic);
  assert.equal(decoded[2]!.id, base * 1000 - 5, 'ids before the first one in the batch');
});

test('envelope - entries are read topic first and the rest only when wanted', () => {
  const messages = [message({ topic: 'skip/me' }), message({ topic: 'want/me', payload: Buffer.from('kept'), id: base * 1000 + 9 }), message({ topic: 'skip/too' })];
  const reader = new BatchReader();
  reader.reset(encodeBatch(messages, [undefined, 'g/want/+', undefined]));
  const seen: string[] = [];
  let wanted: Message | undefined;
  while (reader.next()) {
    seen.push(reader.topic);
    if (reader.topic === 'want/me') {
      assert.equal(reader.group, 'g/want/+');
      wanted = reader.message();
    }
  }
  assert.deepEqual(seen, ['skip/me', 'want/me', 'skip/too']);
  assert.equal(wanted?.payload.toString(), 'kept');
  assert.equal(wanted?.id, base * 1000 + 9);
});

test('envelope - damaged batches give an EnvelopeError', () => {
  const bytes = encodeBatch([message(), message({ topic: 'second', payload: Buffer.alloc(100, 1) })]);
  assert.throws(() => decodeBatch(Buffer.from([2, 1, 2, 3])), EnvelopeError, 'another version');
  assert.throws(() => decodeBatch(Buffer.alloc(0)), EnvelopeError, 'empty');
  for (let cut = 1; cut < bytes.length; cut++) {
    try {
      const entries = decodeBatch(bytes.subarray(0, cut));
      // A cut between entries reads the entries before it, complete.
      for (const { message: got } of entries) assert.ok(got.topic === 'a/b' && got.payload.toString() === 'hello');
    } catch (error) {
      assert.ok(error instanceof EnvelopeError, `cut at ${cut}: ${String(error)}`);
    }
  }
});
