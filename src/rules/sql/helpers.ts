// The runtime helpers compiled rules call (the `h` object of compiler.ts), and the reference
// interpreter too: the same semantics, one implementation.

import { newMap } from '../functions/registry.js';
import type { EvaluationScope } from './scope.js';
import * as values from './values.js';
import type { Value, ValueMap } from './values.js';

function assignAll(target: ValueMap, source: ValueMap): ValueMap {
  for (const key of Object.keys(source)) target[key] = source[key];
  return target;
}

export const evaluationHelpers = {
  map: newMap,
  assignAll,
  /** SELECT *: the columns (and the rule's metadata) over what was selected before. */
  mergeColumns(selected: ValueMap, scope: EvaluationScope, metadata: ValueMap): ValueMap {
    assignAll(selected, scope.allColumns());
    selected['metadata'] = scope.columns['metadata'] ?? metadata;
    return selected;
  },
  /** A FOREACH output without DO: every column, the selected fields, and the item under its name. */
  mergeItem(scope: EvaluationScope, metadata: ValueMap, selected: ValueMap, itemKey: string, item: Value): ValueMap {
    const out = scope.allColumns();
    out['metadata'] = scope.columns['metadata'] ?? metadata;
    assignAll(out, selected);
    out[itemKey] = item;
    return out;
  },
  ensureList(value: Value): Value[] {
    return Array.isArray(value) ? value : [];
  },
  /** WHERE and INCASE pass only on true; something that is not a boolean is an error. */
  condition(value: Value, clause: string): boolean {
    return values.booleanOf(value, clause);
  },
  /** NOT of something that is not a boolean is false (EMQX match_conditions). */
  not(value: Value): boolean {
    return value === false;
  },
  /** CASE WHEN takes a branch only on true. */
  isTrue(value: Value): boolean {
    return value === true;
  },
  equals: values.termEquals,
  compare: values.compare,
  add: values.add,
  arithmetic: values.arithmetic,
  negate: values.negate,
  rangeList: values.rangeList,
  getRange: values.getRange,
  getKey: values.getKey,
  getIndex: values.getIndex,
  putPath: values.putPath,
  /** Path steps with `[name]` indexes filled in from their values. */
  resolveSteps(steps: readonly values.ResolvedStep[], dynamic: readonly Value[]): values.ResolvedStep[] {
    return steps.map((step, index) => {
      const value = dynamic[index];
      if (value === undefined) return step;
      return typeof value === 'number' ? value : Number.NaN;
    });
  },
  /** A payload about to be assigned into is decoded from JSON first. */
  decodedInPlace(scope: EvaluationScope, payload: Value): Value {
    return values.isBinary(payload) ? scope.decodePayload(payload) : payload;
  },
};
