// The binary form of deliveries inside a message record: whatever the client ids (any Unicode),
// sequences (in any order), flags, packet ids, subscription identifiers and shared groups, decoding
// gives back exactly what was encoded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDeliveries } from '../../src/internal.js';
import { encodeDeliveries } from './store-conformance.js';
import type { OwedDelivery } from '../../src/internal.js';

const owedDelivery = (messageId: number): fc.Arbitrary<OwedDelivery> =>
  fc.record({
    clientId: fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.string({ minLength: 200, maxLength: 400 })),
    sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    messageId: fc.constant(messageId),
    qos: fc.constantFrom(1 as const, 2 as const),
    retain: fc.boolean(),
    subscriptionIdentifiers: fc.option(fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 1, maxLength: 4 }), { nil: undefined }),
    sharedGroup: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: undefined }),
    packetId: fc.integer({ min: 0, max: 65535 }),
    sent: fc.boolean(),
    released: fc.boolean(),
  });

test('delivery codec - deliveries round-trip exactly, whatever their fields', () => {
  fc.assert(
    fc.property(fc.array(owedDelivery(7), { maxLength: 50 }), (deliveries) => {
      const bytes = Buffer.from(encodeDeliveries(deliveries.map((delivery) => delivery.clientId), deliveries));
      // fast-check's records have no prototype; compare plain copies.
      assert.deepEqual(decodeDeliveries(bytes, 7), deliveries.map((delivery) => ({ ...delivery })));
    }),
    { numRuns: 300 },
  );
});

test('delivery codec - a thousand deliveries of one publish (consecutive sequences) take a few bytes each beyond the client id', () => {
  const deliveries: OwedDelivery[] = [];
  for (let index = 0; index < 1000; index++) {
    deliveries.push({ clientId: `client-${index}`, sequence: 5_000_000 + index, messageId: 1, qos: 1, retain: false, subscriptionIdentifiers: undefined, sharedGroup: undefined, packetId: 0, sent: false, released: false });
  }
  const bytes = Buffer.from(encodeDeliveries(deliveries.map((delivery) => delivery.clientId), deliveries));
  const clientIdBytes = deliveries.reduce((sum, delivery) => sum + delivery.clientId.length, 0);
  assert.ok(bytes.length <= clientIdBytes + 4 * deliveries.length + 4, `${bytes.length} bytes`);
  assert.deepEqual(decodeDeliveries(bytes, 1), deliveries);
});

test('delivery codec - truncated bytes are an error, not garbage', () => {
  const deliveries: OwedDelivery[] = [{ clientId: 'c', sequence: 300, messageId: 1, qos: 2, retain: true, subscriptionIdentifiers: [1], sharedGroup: 'g', packetId: 9, sent: true, released: false }];
  const bytes = Buffer.from(encodeDeliveries(['c'], deliveries));
  assert.throws(() => decodeDeliveries(bytes.subarray(0, bytes.length - 1), 1), /message 1/);
});
