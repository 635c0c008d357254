// Reference counts of stored messages in pages of consecutive ids: after any sequence of updates,
// every id reads back what a plain Map would hold, and pages are freed with their last counted id.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReferenceCounts } from '../../../src/internal.js';

const update = fc.record({
  id: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  count: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffff_ffff })),
});

test('reads back what a Map holds, and holds no more pages than live ids', () => {
  fc.assert(
    fc.property(fc.array(update, { maxLength: 200 }), (updates) => {
      const counts = new ReferenceCounts();
      const model = new Map<number, number>();
      for (const { id, count } of updates) {
        counts.set(id, count);
        if (count === 0) model.delete(id);
        else model.set(id, count);
      }
      for (const { id } of updates) assert.equal(counts.get(id), model.get(id) ?? 0);
      assert.ok(counts.pageCount <= model.size);
      for (const id of model.keys()) counts.set(id, 0);
      assert.equal(counts.pageCount, 0);
    }),
  );
});

test('consecutive ids share pages', () => {
  const counts = new ReferenceCounts();
  for (let id = 1; id <= 10_000; id++) counts.set(id, 3);
  assert.ok(counts.pageCount < 200, `${counts.pageCount} pages for 10,000 consecutive ids`);
  assert.equal(counts.get(5_000), 3);
  assert.equal(counts.get(10_001), 0);
});
