// Test helper: compiles SQL and runs it on a sample input both ways (compiled and reference
// interpreter), and compiled as the engine runs it on a message's bytes, failing when they disagree,
// and returns the compiled result.

import assert from 'node:assert/strict';
import { compileSql } from '../../../src/rules/sql/sql.js';
import { EvaluationScope, columnsOf } from '../../../src/rules/sql/scope.js';
import { PayloadFields } from '../../../src/rules/sql/payload-fields.js';
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

/**
 * The rule compiled and interpreted on the input, and compiled again as the engine runs it on a
 * published message (`fromBytes`): payload fields read from the payload's bytes, with a key set that
 * holds the rule's keys and one more.
 */
export function runBoth(sql: string, input: Record<string, Value>, ruleId = 'test-rule'): { compiled: Outcome; interpreted: Outcome; fromBytes: Outcome } {
  const rule = compileSql(sql, ruleId);
  const { columns, names } = columnsOf(input);
  const compiled = attempt(() => plain(rule.evaluate(new EvaluationScope(columns, names))));
  const interpreted = attempt(() => plain(interpret(rule.statement, new EvaluationScope(columns, names), ruleId, builtinFunctions)));
  const payload = input['payload'];
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : undefined;
  const keys = new PayloadFields([...new Set([...rule.payloadKeys, 'other'])]);
  const fromBytes = attempt(() => plain(rule.evaluate(new EvaluationScope(columns, names, bytes, keys))));
  return { compiled, interpreted, fromBytes };
}

/** Fails unless the engine's way (payload fields from bytes) gave what the compiled rule gave. */
export function assertSameOutcome(fromBytes: Outcome, compiled: Outcome, sql: string): void {
  if ('error' in compiled) {
    assert.ok('error' in fromBytes, `${sql}\nfrom the payload's bytes it gave ${JSON.stringify(fromBytes)} where the compiled rule threw ${compiled.error.message}`);
    assert.equal(fromBytes.error.message, compiled.error.message, sql);
  } else {
    assert.ok('value' in fromBytes, `${sql}\nfrom the payload's bytes it threw ${'error' in fromBytes ? fromBytes.error.message : ''}`);
    assert.deepStrictEqual(fromBytes.value, compiled.value, sql);
  }
}

/** The rule's output (undefined when WHERE rejects); throws what the rule threw. Compiled and interpreted must agree. */
export function evaluate(sql: string, input: Record<string, Value> = {}): unknown {
  const { compiled, interpreted, fromBytes } = runBoth(sql, input);
  assertSameOutcome(fromBytes, compiled, sql);
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
