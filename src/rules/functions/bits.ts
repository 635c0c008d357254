// Bitwise operations on integers and bit extraction from binary data (EMQX bitand ... bitsr,
// bitsize, bytesize, subbits). Integers are read as BigInt so shifts and sign work past 32 bits.

import { Buffer } from 'node:buffer';

import { bytesOf, type Value } from '../sql/values.js';
import { badArgument, binary, failure, fn, integer, text, type FunctionTable } from './registry.js';

function toSafe(name: string, value: bigint): number {
  const result = Number(value);
  if (!Number.isSafeInteger(result)) failure(name, 'the result is past 2^53 and cannot be represented exactly');
  return result;
}

function bitwise(name: string, operation: (a: bigint, b: bigint) => bigint) {
  return fn(2, 2, (a: Value, b: Value) => toSafe(name, operation(BigInt(integer(name, a)), BigInt(integer(name, b)))));
}

/** subbits: `length` bits from bit `start` (1-based) of `bytes`, as an unsigned big-endian BigInt, or undefined past the end. */
function readBits(bytes: Buffer, start: number, length: number): { value: bigint; bits: number } | undefined {
  const total = bytes.length * 8;
  const from = start - 1;
  if (from < 0 || from >= total || length < 0) return undefined;
  const bits = Math.min(length, total - from);
  let value = 0n;
  for (let bit = from; bit < from + bits; bit++) {
    const byte = bytes[bit >> 3]!;
    value = (value << 1n) | BigInt((byte >> (7 - (bit & 7))) & 1);
  }
  return { value, bits };
}

/** The bits read as little-endian: 8-bit groups from the start, the first one least significant. */
function littleEndian(value: bigint, bits: number): bigint {
  let result = 0n;
  let shift = 0n;
  for (let from = 0; from < bits; from += 8) {
    const size = Math.min(8, bits - from);
    const group = (value >> BigInt(bits - from - size)) & ((1n << BigInt(size)) - 1n);
    result |= group << shift;
    shift += BigInt(size);
  }
  return result;
}

function toFloat(name: string, value: bigint, bits: number): number {
  const buffer = Buffer.alloc(8);
  if (bits === 64) {
    buffer.writeBigUInt64BE(value);
    return buffer.readDoubleBE(0);
  }
  if (bits === 32) {
    buffer.writeUInt32BE(Number(value));
    return buffer.readFloatBE(0);
  }
  if (bits === 16) return halfToNumber(Number(value));
  return failure(name, `a float is 16, 32 or 64 bits, not ${bits}`);
}

function halfToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function subbits(data: Value, start: Value, length: Value, type: Value = 'integer', signedness: Value = 'unsigned', endianness: Value = 'big'): Value {
  const bytes = bytesOf(binary('subbits', data));
  const read = readBits(bytes, integer('subbits', start), integer('subbits', length));
  if (read === undefined) return undefined;
  const kind = text('subbits', type);
  const little = text('subbits', endianness) === 'little';
  const signed = text('subbits', signedness) === 'signed';
  let value = read.value;
  if (kind === 'bits') {
    const out = Buffer.alloc(Math.ceil(read.bits / 8));
    let rest = value << BigInt(out.length * 8 - read.bits);
    for (let index = out.length - 1; index >= 0; index--) {
      out[index] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    return out;
  }
  if (little) value = littleEndian(value, read.bits);
  if (kind === 'float') return toFloat('subbits', value, read.bits);
  if (kind !== 'integer') return badArgument('subbits', 'integer, float or bits', type);
  if (signed && read.bits > 0 && value >> BigInt(read.bits - 1) === 1n) value -= 1n << BigInt(read.bits);
  return toSafe('subbits', value);
}

export const bitFunctions: FunctionTable = {
  bitnot: fn(1, 1, (a: Value) => toSafe('bitnot', ~BigInt(integer('bitnot', a)))),
  bitand: bitwise('bitand', (a, b) => a & b),
  bitor: bitwise('bitor', (a, b) => a | b),
  bitxor: bitwise('bitxor', (a, b) => a ^ b),
  bitsl: bitwise('bitsl', (a, b) => a << b),
  bitsr: bitwise('bitsr', (a, b) => a >> b),
  bitsize: fn(1, 1, (data: Value) => bytesOf(binary('bitsize', data)).length * 8),
  bytesize: fn(1, 1, (data: Value) => bytesOf(binary('bytesize', data)).length),
  subbits: fn(2, 6, (data: Value, ...rest: Value[]) => (rest.length === 1 ? subbits(data, 1, rest[0]) : subbits(data, rest[0], rest[1], rest[2], rest[3], rest[4]))),
};
