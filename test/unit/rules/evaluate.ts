// Test helper: compiles SQL and runs it on a sample input both ways (compiled and reference
// interpreter), failing when they disagree, and returns the compiled result.

import assert from 'node:assert/strict';
import { compileSql } from '../../../src/rules/sql/sql.js';
import { EvaluationScope, columnsOf } from '../../../src/rules/sql/scope.js';
import { interpret } from '../../../src/rules/sql/interpreter.js';
import { builtinFunctions } from '../../../src/rules/functions/index.js';
import type { Value } from '../../../src/rules/sql/values.js';

export type Outcome = { value: unknown } | { error: Error };

function attempt(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: error as Error };
  }
}

/** Plain JSON-like data (null-prototype maps become plain objects) for deepEqual. */
export function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, plain(entry)]));
  return value;
}

export function runBoth(sql: string, input: Record<string, Value>, ruleId = 'test-rule'): { compiled: Outcome; interpreted: Outcome } {
  const rule = compileSql(sql, ruleId);
  const { columns, names } = columnsOf(input);
  const compiled = attempt(() => plain(rule.evaluate(new EvaluationScope(columns, names))));
  const interpreted = attempt(() => plain(interpret(rule.statement, new EvaluationScope(columns, names), ruleId, builtinFunctions)));
  return { compiled, interpreted };
}

/** The rule's output (undefined when WHERE rejects); throws what the rule threw. Compiled and interpreted must agree. */
export function evaluate(sql: string, input: Record<string, Value> = {}): unknown {
  const { compiled, interpreted } = runBoth(sql, input);
  if ('error' in compiled) {
    assert.ok('error' in interpreted, `the interpreter gave ${JSON.stringify(interpreted)} where the compiled rule threw ${compiled.error.message}`);
    throw compiled.error;
  }
  assert.ok('value' in interpreted, `the interpreter threw ${'error' in interpreted ? interpreted.error.message : ''}`);
  assert.deepEqual(compiled.value, interpreted.value, 'compiled and interpreted results differ');
  return compiled.value;
}

/** The value of one expression (`SELECT <expression> AS r`). */
export function expression(text: string, input: Record<string, Value> = {}): unknown {
  const output = evaluate(`SELECT ${text} AS r FROM "t/#"`, input) as { r: unknown };
  return output.r;
}

/** The compiled rule only: for functions whose result changes between calls (now, random, uuid, kv_store). */
export function compiledExpression(text: string, input: Record<string, Value> = {}): unknown {
  const rule = compileSql(`SELECT ${text} AS r FROM "t/#"`, 'test-rule');
  const { columns, names } = columnsOf(input);
  return (plain(rule.evaluate(new EvaluationScope(columns, names))) as { r: unknown }).r;
}
