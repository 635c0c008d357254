// Type conversion (EMQX str, str_utf8, str_utf16_le, bool, int, float, float2str, map,
// bin2hexstr, hexstr2bin) and type checks (is_null ... is_empty, null, coalesce, coalesce_ne).

import { Buffer } from 'node:buffer';

import { binaryFromBytes, bytesOf, isBinary, isMap, jsonDecode, textOf, toText, type Value, type ValueMap } from '../sql/values.js';
import { badArgument, binary, failure, fn, integer, list, newMap, number, text, type FunctionTable } from './registry.js';

const INTEGER = /^[-+]?\d+$/;
const FLOAT = /^[-+]?\d+\.\d+([eE][-+]?\d+)?$/;

/** emqx_utils_conv:int: strings as integers, else as floats rounded down; floats rounded down; true/false as 1/0. */
function toInteger(value: Value): number {
  if (typeof value === 'number') return Math.floor(value);
  if (value === true) return 1;
  if (value === false) return 0;
  if (isBinary(value)) {
    const source = textOf(value).trim();
    if (INTEGER.test(source)) return Number(source);
    if (FLOAT.test(source)) return Math.floor(Number(source));
  }
  return badArgument('int', 'a number, a numeric string or a boolean', value);
}

function toFloat(value: Value): number {
  if (typeof value === 'number') return value;
  if (isBinary(value)) {
    const source = textOf(value).trim();
    if (FLOAT.test(source) || INTEGER.test(source)) return Number(source);
  }
  return badArgument('float', 'a number or a numeric string', value);
}

function toBoolean(value: Value): boolean {
  if (value === true || value === 'true' || value === 1) return true;
  if (value === false || value === 'false' || value === 0) return false;
  return badArgument('bool', 'true, false, 1, 0, "true" or "false"', value);
}

/** float_to_binary(F, [{decimals, D}, compact]): D decimals, trailing zeros dropped (one kept). */
export function floatToString(value: number, decimals: number): string {
  const fixed = decimals <= 100 ? value.toFixed(decimals) : value.toFixed(100);
  if (!fixed.includes('.')) return `${fixed}.0`;
  const trimmed = fixed.replace(/0+$/, '');
  return trimmed.endsWith('.') ? `${trimmed}0` : trimmed;
}

/** EMQX map/1: a JSON object string, a list of [key, value] pairs, or a map. */
export function toMap(name: string, value: Value): ValueMap {
  if (isMap(value)) return value;
  if (isBinary(value)) {
    let decoded: Value;
    try {
      decoded = jsonDecode(value);
    } catch {
      return badArgument(name, 'a JSON object', value);
    }
    if (isMap(decoded)) return decoded;
    return badArgument(name, 'a JSON object', value);
  }
  if (Array.isArray(value)) {
    const out = newMap();
    for (const pair of value) {
      if (!Array.isArray(pair) || pair.length !== 2) return badArgument(name, 'a list of [key, value] pairs', value);
      out[textOf(toText(pair[0]))] = pair[1];
    }
    return out;
  }
  return badArgument(name, 'a map or a JSON object', value);
}

function hexOf(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase();
}

function fromHex(name: string, value: Value): string | Buffer {
  const source = text(name, value);
  if (source.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(source)) failure(name, `not a hex string: ${JSON.stringify(source.slice(0, 40))}`);
  return binaryFromBytes(Buffer.from(source, 'hex'));
}

function isNull(value: Value): boolean {
  return value === undefined;
}

function isEmpty(value: Value): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value === '' || (Buffer.isBuffer(value) && value.length === 0)) return true;
  return Object.keys(toMap('is_empty', value)).length === 0;
}

function firstNotNull(values: readonly Value[], empty: (value: Value) => boolean): Value {
  for (const value of values) if (!empty(value)) return value;
  return undefined;
}

const nullOrEmptyString = (value: Value): boolean => value === undefined || value === '' || (Buffer.isBuffer(value) && value.length === 0);

export const conversionFunctions: FunctionTable = {
  str: fn(1, 1, (value: Value) => toText(value)),
  str_utf8: fn(1, 1, (value: Value) => toText(value)),
  str_utf16_le: fn(1, 1, (value: Value) => Buffer.from(textOf(toText(value)), 'utf16le')),
  bool: fn(1, 1, toBoolean),
  int: fn(1, 1, toInteger),
  float: fn(1, 2, (value: Value, decimals?: Value) => {
    const result = toFloat(value);
    if (decimals === undefined) return result;
    const places = integer('float', decimals);
    if (places <= 0) failure('float', 'decimals must be greater than 0');
    return Number(result.toFixed(Math.min(places, 100)));
  }),
  float2str: fn(2, 2, (value: Value, decimals: Value) => floatToString(number('float2str', value), integer('float2str', decimals))),
  map: fn(1, 1, (value: Value) => toMap('map', value)),
  bin2hexstr: fn(1, 2, (value: Value, prefix?: Value) => (prefix === undefined ? '' : text('bin2hexstr', prefix)) + hexOf(bytesOf(binary('bin2hexstr', value)))),
  hexstr2bin: fn(1, 2, (value: Value, prefix?: Value) => {
    if (prefix === undefined) return fromHex('hexstr2bin', value);
    const source = text('hexstr2bin', value);
    const expected = text('hexstr2bin', prefix);
    if (!source.startsWith(expected)) failure('hexstr2bin', `the string does not start with ${JSON.stringify(expected)}`);
    return fromHex('hexstr2bin', source.slice(expected.length));
  }),
  sqlserver_bin2hexstr: fn(1, 1, (value: Value) => `0x${hexOf(bytesOf(binary('sqlserver_bin2hexstr', value)))}`),
  int2hexstr: fn(1, 1, (value: Value) => integer('int2hexstr', value).toString(16).toUpperCase()),

  null: fn(0, 0, () => undefined),
  is_null: fn(1, 1, isNull),
  is_not_null: fn(1, 1, (value: Value) => !isNull(value)),
  is_null_var: fn(1, 1, (value: Value) => value === undefined || value === null),
  is_not_null_var: fn(1, 1, (value: Value) => value !== undefined && value !== null),
  is_str: fn(1, 1, (value: Value) => isBinary(value)),
  is_bool: fn(1, 1, (value: Value) => typeof value === 'boolean'),
  is_int: fn(1, 1, (value: Value) => typeof value === 'number' && Number.isInteger(value)),
  is_float: fn(1, 1, (value: Value) => typeof value === 'number' && !Number.isInteger(value)),
  is_num: fn(1, 1, (value: Value) => typeof value === 'number'),
  is_map: fn(1, 1, (value: Value) => isMap(value)),
  is_array: fn(1, 1, (value: Value) => Array.isArray(value)),
  is_empty: fn(1, 1, isEmpty),
  coalesce: fn(1, 2, (...values: Value[]) => firstNotNull(values.length === 1 ? list('coalesce', values[0]) : values, isNull)),
  coalesce_ne: fn(1, 2, (...values: Value[]) => firstNotNull(values.length === 1 ? list('coalesce_ne', values[0]) : values, nullOrEmptyString)),
};
