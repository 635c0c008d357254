// The session's inflight window against a Map (the structure it replaces): the same answers for any
// sequence of adds, deletes and lookups, values in send order, and bounded holes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InflightWindow } from '../../../src/internal.js';

interface Item {
  packetId: number;
}

type Operation = { kind: 'add' } | { kind: 'delete'; pick: number } | { kind: 'deleteUnknown' } | { kind: 'iterateDeleting'; every: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'add' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deleteUnknown' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('iterateDeleting' as const), every: fc.integer({ min: 1, max: 4 }) }) },
);

test('inflight window - behaves as an insertion-ordered Map for any sequence of operations (windows up to 200)', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 600 }), (operations) => {
      const window = new InflightWindow<Item>();
      const model = new Map<number, Item>();
      let nextId = 1;
      for (const op of operations) {
        if (op.kind === 'add' && model.size < 200) {
          const item = { packetId: nextId };
          nextId = nextId === 65535 ? 1 : nextId + 1;
          window.add(item);
          model.set(item.packetId, item);
        } else if (op.kind === 'delete' && model.size > 0) {
          const ids = [...model.keys()];
          const id = ids[op.pick % ids.length]!;
          assert.equal(window.delete(id), true);
          model.delete(id);
        } else if (op.kind === 'deleteUnknown') {
          assert.equal(window.delete(70_000), false);
        } else if (op.kind === 'iterateDeleting') {
          let n = 0;
          for (const item of window.values()) if (n++ % op.every === 0) window.delete(item.packetId);
          n = 0;
          for (const id of [...model.keys()]) if (n++ % op.every === 0) model.delete(id);
        }
        assert.equal(window.size, model.size);
      }
      assert.deepEqual([...window.values()], [...model.values()]);
      for (const [id, item] of model) {
        assert.equal(window.get(id), item);
        assert.equal(window.has(id), true);
      }
      assert.equal(window.has(70_000), false);
    }),
    { numRuns: 300 },
  );
});

test('inflight window - one old delivery never acknowledged does not make the scan grow with the messages after it', () => {
  const window = new InflightWindow<Item>();
  window.add({ packetId: 1 });
  for (let id = 2; id < 10_000; id++) {
    window.add({ packetId: id });
    window.delete(id);
  }
  assert.equal(window.size, 1);
  // Holes are compacted: the internal array stays near the live count.
  const { slots, end } = window as unknown as { slots: unknown[]; end: number };
  assert.ok(end <= 40 && slots.length <= 80, `used ${end} of ${slots.length} slots`);
  assert.deepEqual([...window.values()], [{ packetId: 1 }]);
});
