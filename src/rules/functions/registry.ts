// How a built-in SQL function is described: its arity, whether it reads the input's columns
// (clientid(), topic(), payload('a.b')), and its implementation. Argument checks live here so every
// family reports a bad argument the same way (EMQX's bad_sql_function_argument).

import { Buffer } from 'node:buffer';

import { RuleEvaluationError } from '../sql/errors.js';
import { describeValue, isBinary, isMap, textOf, type Value, type ValueMap } from '../sql/values.js';
import type { EvaluationScope } from '../sql/scope.js';

export interface SqlFunction {
  readonly min: number;
  /** Infinity for a variadic function. */
  readonly max: number;
  /** Called with the evaluation scope before its arguments. */
  readonly contextual?: boolean;
  /** Changes state outside the rule (kv_store_put): keeps EMQX's order of SELECT before WHERE. */
  readonly sideEffects?: boolean;
  readonly call: (...args: never[]) => Value;
}

export type FunctionTable = Readonly<Record<string, SqlFunction>>;

export function fn<A extends Value[]>(min: number, max: number, call: (...args: A) => Value): SqlFunction {
  return { min, max, call: call as unknown as SqlFunction['call'] };
}

export function contextual<A extends Value[]>(min: number, max: number, call: (scope: EvaluationScope, ...args: A) => Value): SqlFunction {
  return { min, max, contextual: true, call: call as unknown as SqlFunction['call'] };
}

export function badArgument(name: string, expected: string, value: Value): never {
  throw new RuleEvaluationError('bad_sql_function_argument', `${name}(): expected ${expected}, got ${describeValue(value)}`);
}

export function failure(name: string, message: string): never {
  throw new RuleEvaluationError('bad_sql_function_argument', `${name}(): ${message}`);
}

/** A string argument; true, false and null count as their names (EMQX's atoms); undefined is refused. */
export function text(name: string, value: Value): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return textOf(value);
  if (typeof value === 'boolean' || value === null) return String(value);
  return badArgument(name, 'a string', value);
}

export function binary(name: string, value: Value): string | Buffer {
  if (isBinary(value)) return value;
  return badArgument(name, 'a string or binary', value);
}

export function integer(name: string, value: Value): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return badArgument(name, 'an integer', value);
}

export function number(name: string, value: Value): number {
  if (typeof value === 'number') return value;
  return badArgument(name, 'a number', value);
}

export function list(name: string, value: Value): Value[] {
  if (Array.isArray(value)) return value;
  return badArgument(name, 'an array', value);
}

export function map(name: string, value: Value): ValueMap {
  if (isMap(value)) return value;
  return badArgument(name, 'a map', value);
}

/**
 * Maps made by rules have a prototype with nothing on it (not Object.prototype), so any key is safe
 * (`__proto__`, `constructor`), and unlike Object.create(null) they stay fast-mode objects in V8.
 */
function EmptyMap(this: object): void {}
EmptyMap.prototype = Object.freeze(Object.create(null) as object);

/** A fresh map for rule values (safe for any key). */
export function newMap(): ValueMap {
  return new (EmptyMap as unknown as new () => ValueMap)();
}
