// The sorted block list behind the client index, against a plain sorted array (fast-check): inserts,
// deletes, rank lookups and scans in both directions stay equal through block splits and merges.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { OrderedList } from '../../../src/internal.js';

const compare = (a: number, b: number): number => a - b;

test('ordered list - inserts, deletes, ranks and scans match a sorted array', () => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), value: fc.integer({ min: 0, max: 5000 }) }),
    fc.record({ kind: fc.constant('delete' as const), value: fc.integer({ min: 0, max: 5000 }) }),
  );
  fc.assert(
    fc.property(fc.array(operation, { minLength: 1, maxLength: 3000, size: 'max' }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 700 }), (operations, from, span) => {
      const list = new OrderedList<number>(compare);
      const reference: number[] = [];
      for (const { kind, value } of operations) {
        const at = reference.indexOf(value);
        if (kind === 'insert' && at === -1) {
          list.insert(value);
          reference.push(value);
          reference.sort(compare);
        } else if (kind === 'delete') {
          assert.equal(list.delete(value), at !== -1);
          if (at !== -1) reference.splice(at, 1);
        }
      }
      assert.equal(list.size, reference.length);
      const forward: number[] = [];
      list.scan(from, from + span, false, (value) => void forward.push(value));
      assert.deepEqual(forward, reference.slice(from, from + span));
      const backward: number[] = [];
      list.scan(from, from + span, true, (value) => void backward.push(value));
      assert.deepEqual(backward, reference.slice(from, from + span).reverse());
      assert.equal(list.at(from), reference[from]);
      const probe = operations[0]!.value;
      assert.equal(list.lowerBound((value) => value - probe), reference.filter((value) => value < probe).length);
    }),
    { numRuns: 60 },
  );
});

test('ordered list - a scan stops when the visitor returns false', () => {
  const list = new OrderedList<number>(compare);
  for (let value = 0; value < 2000; value++) list.insert(value);
  const seen: number[] = [];
  list.scan(500, 2000, false, (value) => (seen.push(value), seen.length < 3));
  assert.deepEqual(seen, [500, 501, 502]);
});
