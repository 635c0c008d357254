// Mathematical and arithmetic functions (EMQX emqx_rule_funcs: abs ... tanh, mod, div, eq, random).
// A result that is not a finite number (log(0), sqrt(-1)) fails the rule, as Erlang's badarith does.

import { termEquals, type Value } from '../sql/values.js';
import { failure, fn, integer, number, type FunctionTable } from './registry.js';

function finite(name: string, result: number): number {
  if (!Number.isFinite(result)) failure(name, 'the result is not a finite number');
  return result;
}

function unary(name: string, operation: (x: number) => number) {
  return fn(1, 1, (x: Value) => finite(name, operation(number(name, x))));
}

/** Erlang round/1: halves away from zero (Math.round rounds -2.5 to -2). */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

export const mathFunctions: FunctionTable = {
  abs: unary('abs', Math.abs),
  acos: unary('acos', Math.acos),
  acosh: unary('acosh', Math.acosh),
  asin: unary('asin', Math.asin),
  asinh: unary('asinh', Math.asinh),
  atan: unary('atan', Math.atan),
  atanh: unary('atanh', Math.atanh),
  ceil: unary('ceil', Math.ceil),
  cos: unary('cos', Math.cos),
  cosh: unary('cosh', Math.cosh),
  exp: unary('exp', Math.exp),
  floor: unary('floor', Math.floor),
  log: unary('log', Math.log),
  log10: unary('log10', Math.log10),
  log2: unary('log2', Math.log2),
  round: unary('round', roundHalfAway),
  sin: unary('sin', Math.sin),
  sinh: unary('sinh', Math.sinh),
  sqrt: unary('sqrt', Math.sqrt),
  tan: unary('tan', Math.tan),
  tanh: unary('tanh', Math.tanh),
  fmod: fn(2, 2, (x: Value, y: Value) => finite('fmod', number('fmod', x) % number('fmod', y))),
  power: fn(2, 2, (x: Value, y: Value) => finite('power', number('power', x) ** number('power', y))),
  /** Integer remainder, sign of the dividend (Erlang rem). */
  mod: fn(2, 2, (x: Value, y: Value) => {
    const divisor = integer('mod', y);
    if (divisor === 0) failure('mod', 'division by zero');
    return integer('mod', x) % divisor;
  }),
  eq: fn(2, 2, (x: Value, y: Value) => (typeof x === 'number' && typeof y === 'number' ? x === y : termEquals(x, y))),
  random: fn(0, 0, () => Math.random()),
};
