// The values rule SQL computes with and EMQX's rules for them (emqx_rule_runtime, emqx_rule_maps,
// emqx_utils_conv): comparison with string/number coercion and `undefined`, arithmetic, `+` as
// string concatenation, nested get and put into maps and lists (1-based, negative from the end,
// a JSON string decoded on the way down), and conversion to text.
//
// Values: undefined (a missing field), null (JSON null), booleans, numbers, strings, Buffers (binary
// data that is not valid UTF-8), arrays and plain objects. Values are never mutated once made: a put
// copies the containers along its path, so a decoded payload can be shared by every rule that reads it.
// Numbers are JavaScript numbers: an integer is a number with no fraction (EMQX keeps 1.0 a float).

import { isUtf8, Buffer } from 'node:buffer';
import { topicMatches } from '../../core/topic.js';
import { evaluationError } from './errors.js';

export type Value = undefined | null | boolean | number | string | Buffer | Value[] | ValueMap;
export interface ValueMap {
  [key: string]: Value;
}

export function isMap(value: Value): value is ValueMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A string or binary data (EMQX's binary). */
export function isBinary(value: Value): value is string | Buffer {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/** Bytes as a rule value: a string when they are valid UTF-8, else the Buffer. */
export function binaryFromBytes(bytes: Buffer): string | Buffer {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

export function bytesOf(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** For string functions: the text of a binary (invalid UTF-8 replaced). */
export function textOf(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

// --- text ---------------------------------------------------------------------------------------

/** Erlang's float_to_binary(F, [{decimals, 10}, compact]) for fractions; integers as integers. */
export function numberToString(value: number): string {
  if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  if (!Number.isFinite(value)) return String(value);
  const fixed = value.toFixed(10).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}

/** emqx_utils_conv:bin: the text form of any value (maps and lists as JSON). */
export function toText(value: Value): string | Buffer {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberToString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return value;
  return jsonEncode(value);
}

/** toText, always a JavaScript string (binary data decoded as UTF-8). */
export function toJsString(value: Value): string {
  const text = toText(value);
  return typeof text === 'string' ? text : text.toString('utf8');
}

/** JSON text of a value; a missing value is null, binary data its UTF-8 reading. */
export function jsonEncode(value: Value): string {
  return JSON.stringify(value, jsonReplacer) ?? 'null';
}

function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (Buffer.isBuffer(raw)) return raw.toString('utf8');
  if (value === undefined) return null;
  return value;
}

export function jsonDecode(text: string | Buffer): Value {
  return JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as Value;
}

/** A short description of a value for error messages. */
export function describeValue(value: Value): string {
  if (value === undefined) return 'undefined';
  if (Buffer.isBuffer(value)) return `<<${value.length} bytes>>`;
  const json = jsonEncode(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

// --- comparison ---------------------------------------------------------------------------------

/** Erlang's order of types: number < atom (true, false, null) < map < list < binary. */
function typeRank(value: Value): number {
  if (typeof value === 'number') return 0;
  if (typeof value === 'boolean' || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 7;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return 8;
  return 6;
}

function atomName(value: Value): string {
  return value === undefined ? 'undefined' : value === null ? 'null' : String(value);
}

/** Compares strings by code point (the order of their UTF-8 bytes, as Erlang compares binaries). */
function compareStrings(left: string, right: string): number {
  if (left === right) return 0;
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const a = left.codePointAt(index)!;
    const b = right.codePointAt(index)!;
    if (a !== b) return a < b ? -1 : 1;
    if (a > 0xffff) index++;
  }
  return left.length < right.length ? -1 : left.length > right.length ? 1 : 0;
}

function compareBinaries(left: string | Buffer, right: string | Buffer): number {
  if (typeof left === 'string' && typeof right === 'string') return compareStrings(left, right);
  return Buffer.compare(bytesOf(left), bytesOf(right));
}

/** Erlang term order with `==` (numbers by value): -1, 0 or 1. */
export function termCompare(left: Value, right: Value): number {
  const leftRank = typeRank(left);
  const rightRank = typeRank(right);
  if (leftRank !== rightRank) return leftRank < rightRank ? -1 : 1;
  switch (leftRank) {
    case 0:
      return (left as number) < (right as number) ? -1 : (left as number) > (right as number) ? 1 : 0;
    case 1:
      return compareStrings(atomName(left), atomName(right));
    case 8:
      return compareBinaries(left as string | Buffer, right as string | Buffer);
    case 7: {
      const a = left as Value[];
      const b = right as Value[];
      for (let index = 0; index < Math.min(a.length, b.length); index++) {
        const order = termCompare(a[index], b[index]);
        if (order !== 0) return order;
      }
      return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
    }
    default: {
      const a = left as ValueMap;
      const b = right as ValueMap;
      const aKeys = Object.keys(a).sort(compareStrings);
      const bKeys = Object.keys(b).sort(compareStrings);
      if (aKeys.length !== bKeys.length) return aKeys.length < bKeys.length ? -1 : 1;
      for (let index = 0; index < aKeys.length; index++) {
        const order = compareStrings(aKeys[index]!, bKeys[index]!);
        if (order !== 0) return order;
      }
      for (const key of aKeys) {
        const order = termCompare(a[key], b[key]);
        if (order !== 0) return order;
      }
      return 0;
    }
  }
}

/** Exact equality (Erlang `=:=`, as IN and CASE x WHEN use it): no string/number coercion. */
export function termEquals(left: Value, right: Value): boolean {
  if (left === right) return true;
  if (typeRank(left) !== typeRank(right)) return false;
  return termCompare(left, right) === 0;
}

/** The string side of a number/string comparison as a number (EMQX: binary_to_integer, else binary_to_float). */
function coerceNumber(text: string | Buffer): number {
  const source = textOf(text);
  if (/^[-+]?\d+$/.test(source) || /^[-+]?\d+\.\d+([eE][-+]?\d+)?$/.test(source)) return Number(source);
  return evaluationError('badarg', `cannot compare a number with the non-numeric string ${describeValue(text)}`);
}

/**
 * A comparison operator as EMQX evaluates it: undefined equals only undefined and compares false
 * with anything else (`<>` included); a number and a string compare as numbers; true, false and
 * null compare with a string as their names; `=~` matches a topic against a filter.
 */
export function compare(operator: string, left: Value, right: Value): boolean {
  if (left === undefined || right === undefined) {
    if (left !== right) return false;
    return operator === '=' || operator === '<=' || operator === '>=';
  }
  if (operator === '=~') {
    if (!isBinary(left) || !isBinary(right)) evaluationError('badarg', `=~ matches a topic against a filter, got ${describeValue(left)} and ${describeValue(right)}`);
    return topicMatches(textOf(right), textOf(left));
  }
  if (typeof left === 'number' && isBinary(right)) right = coerceNumber(right);
  else if (isBinary(left) && typeof right === 'number') left = coerceNumber(left);
  else if ((typeof left === 'boolean' || left === null) && isBinary(right)) left = atomName(left);
  else if (isBinary(left) && (typeof right === 'boolean' || right === null)) right = atomName(right);
  if (typeof left === 'number' && typeof right === 'number') {
    switch (operator) {
      case '=':
        return left === right;
      case '!=':
      case '<>':
        return left !== right;
      case '<':
        return left < right;
      case '<=':
        return left <= right;
      case '>':
        return left > right;
      default:
        return left >= right;
    }
  }
  const order = termCompare(left, right);
  switch (operator) {
    case '=':
      return order === 0;
    case '!=':
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

// --- arithmetic ---------------------------------------------------------------------------------

export function add(left: Value, right: Value): Value {
  if (typeof left === 'number' && typeof right === 'number') return left + right;
  if (isBinary(left) || isBinary(right)) return concatenate([left, right]);
  return evaluationError('badarith', `+ takes two numbers, or a string and a value; got ${describeValue(left)} and ${describeValue(right)}`);
}

export function arithmetic(operator: '-' | '*' | '/' | 'div', left: Value, right: Value): number {
  if (typeof left !== 'number' || typeof right !== 'number') {
    return evaluationError('badarith', `${operator} takes two numbers, got ${describeValue(left)} and ${describeValue(right)}`);
  }
  switch (operator) {
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      if (right === 0) evaluationError('badarith', 'division by zero');
      return left / right;
    case 'div':
      if (!Number.isInteger(left) || !Number.isInteger(right)) evaluationError('badarith', `div takes two integers, got ${describeValue(left)} and ${describeValue(right)}`);
      if (right === 0) evaluationError('badarith', 'division by zero');
      return Math.trunc(left / right);
  }
}

export function negate(value: Value): number {
  if (typeof value !== 'number') return evaluationError('badarith', `unary minus takes a number, got ${describeValue(value)}`);
  return -value;
}

/** Joins values as text (EMQX concat: non-strings become their text form). */
export function concatenate(values: readonly Value[]): string | Buffer {
  let text = '';
  let bytes: Buffer[] | undefined;
  for (const value of values) {
    const part = toText(value);
    if (bytes !== undefined) bytes.push(bytesOf(part));
    else if (typeof part === 'string') text += part;
    else bytes = [Buffer.from(text, 'utf8'), part];
  }
  return bytes === undefined ? text : binaryFromBytes(Buffer.concat(bytes));
}

// --- logic --------------------------------------------------------------------------------------

/** An AND/OR operand or a WHERE/INCASE result: must be true or false. */
export function booleanOf(value: Value, where: string): boolean {
  if (value === true || value === false) return value;
  return evaluationError('bad_condition', `${where}: expected true or false, got ${describeValue(value)}`);
}

// --- nested get and put -------------------------------------------------------------------------

/** One step of a path as the evaluator resolves it: a key, a 1-based index (negative from the end), head or tail. */
export type ResolvedStep = string | number | 'head' | 'tail';
export type StepKind = 0 | 1; // 0: key, 1: index

/** A JSON string met on the way down a path is decoded (EMQX general_find); not JSON: not found. */
function decodedOrUndefined(value: string | Buffer): Value {
  try {
    return jsonDecode(value);
  } catch {
    return undefined;
  }
}

export function getKey(container: Value, key: string): Value {
  // The common case first: a decoded JSON object.
  if (typeof container === 'object' && container !== null && !Array.isArray(container) && !(container instanceof Uint8Array)) {
    return Object.hasOwn(container, key) ? container[key] : undefined;
  }
  if (!isBinary(container)) return undefined;
  const decoded = decodedOrUndefined(container);
  return isMap(decoded) && Object.hasOwn(decoded, key) ? decoded[key] : undefined;
}

export function getIndex(container: Value, index: Value): Value {
  if (isBinary(container)) container = decodedOrUndefined(container);
  if (!Array.isArray(container) || typeof index !== 'number' || !Number.isInteger(index) || index === 0) return undefined;
  const position = index > 0 ? index - 1 : container.length + index;
  return position >= 0 && position < container.length ? container[position] : undefined;
}

/** `list[b..e]`: 1-based, inclusive, negative from the end; an error on something that is not a list. */
export function getRange(list: Value, begin: number, end: number): Value[] {
  if (!Array.isArray(list)) return evaluationError('range_get', `a range [${begin}..${end}] takes a list, got ${describeValue(list)}`);
  const length = list.length;
  const from = rangeIndex(begin, length);
  const to = rangeIndex(end, length);
  return list.slice(Math.max(0, from - 1), Math.max(0, to));
}

function rangeIndex(index: number, length: number): number {
  if (index === 0) return evaluationError('invalid_index', 'range indexes start at 1 (or -1 from the end), got 0');
  return index > 0 ? index : length + index + 1;
}

export function rangeList(begin: number, end: number): number[] {
  const list: number[] = [];
  for (let value = begin; value <= end; value++) list.push(value);
  return list;
}

/** A copy of `container` with `value` put at the path (containers made or replaced as needed). */
export function putPath(container: Value, steps: readonly ResolvedStep[], kinds: readonly StepKind[], value: Value, from = 0): Value {
  if (from === steps.length) return value;
  const step = steps[from]!;
  if (kinds[from] === 0) {
    const key = step as string;
    const map: ValueMap = isMap(container) ? { ...container } : {};
    const current = Object.hasOwn(map, key) ? map[key] : undefined;
    map[key] = putPath(current, steps, kinds, value, from + 1);
    return map;
  }
  // EMQX setnth: putting by index into something that is not a list makes a one-item list.
  if (!Array.isArray(container)) return [putPath(undefined, steps, kinds, value, from + 1)];
  const list = container;
  if (step === 'head') return [putPath(undefined, steps, kinds, value, from + 1), ...list];
  if (step === 'tail') return [...list, putPath(undefined, steps, kinds, value, from + 1)];
  if (typeof step !== 'number' || !Number.isInteger(step) || step === 0) return list;
  const position = step > 0 ? step - 1 : list.length + step;
  if (position < 0 || position >= list.length) return list;
  const copy = list.slice();
  copy[position] = putPath(list[position], steps, kinds, value, from + 1);
  return copy;
}
