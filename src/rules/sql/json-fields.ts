// Reads chosen top-level fields of a JSON object straight from a payload's bytes, without turning the
// payload into a string and without building the whole object: what `payload.temp` needs when the
// rules only read top-level keys. It checks the whole payload is JSON on the way, and gives up
// (returns false) on anything it does not handle cheaply (a top level that is not an object, deep
// nesting, invalid JSON); the caller then decodes the payload with JSON.parse, which also gives the
// error. When it does answer, its values are JSON.parse's values, bit for bit
// (test/unit/rules/json-fields.test.ts checks it against JSON.parse on random JSON and bytes).
//
// The scan is plain loops over the bytes with the position in a local (a few function calls per
// field, no object per field): it runs once per message for every rule that reads the payload.

import type { Buffer } from 'node:buffer';

import type { Value } from './values.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** Nesting deeper than this is left to JSON.parse. */
const MAX_DEPTH = 64;
/** A number with more significant digits than this may not be exact as an integer: Number() reads it. */
const MAX_EXACT_DIGITS = 15;
/** 10^0 ... 10^22 are exact doubles, so integer / 10^n rounds once, correctly (what JSON.parse gives). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);
/** A position (or key slot) meaning "not valid JSON here". */
const INVALID = -1;
/** The slot of a key no rule reads. */
const NOT_ASKED = -2;

/** Whether the reader can look a key up by its bytes: printable ASCII, no quote or backslash, and no name an object inherits. */
export function isPlainKey(key: string): boolean {
  if (key in Object.prototype || key === '__proto__') return false;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code < 0x20 || code > 0x7e || code === QUOTE || code === BACKSLASH) return false;
  }
  return true;
}

// What the last scanString/scanNumber saw (one scan runs at a time: nothing in a scan calls out).
let stringEscaped = false;
let stringAscii = true;
let numberValue = 0;

function skipWhitespace(bytes: Buffer, position: number, end: number): number {
  while (position < end) {
    const byte = bytes[position]!;
    // Most bytes are past the space: one comparison for them.
    if (byte > 0x20 || (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)) return position;
    position++;
  }
  return position;
}

/**
 * From an opening quote to past its closing quote, or INVALID (a control character, no closing quote).
 * Escapes are only stepped over: a string with one is checked and decoded by JSON.parse (stringEscaped).
 */
function scanString(bytes: Buffer, position: number, end: number): number {
  let escaped = false;
  let ascii = true;
  position++;
  while (position < end) {
    const byte = bytes[position]!;
    // Lower-case letters and everything past the backslash: one or two comparisons.
    if (byte > BACKSLASH) {
      if (byte >= 0x80) ascii = false;
      position++;
      continue;
    }
    if (byte === QUOTE) {
      stringEscaped = escaped;
      stringAscii = ascii;
      return position + 1;
    }
    if (byte === BACKSLASH) {
      escaped = true;
      position += 2;
      continue;
    }
    if (byte < 0x20) return INVALID;
    position++;
  }
  return INVALID;
}

/** JSON's number grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, its value in numberValue when `convert`. */
function scanNumber(bytes: Buffer, position: number, end: number, convert: boolean): number {
  const start = position;
  const negative = bytes[position] === MINUS;
  if (negative) position++;
  let mantissa = 0;
  let digits = 0;
  let byte = position < end ? bytes[position]! : -1;
  if (byte === ZERO) {
    position++;
    byte = position < end ? bytes[position]! : -1;
  } else {
    while (byte >= ZERO && byte <= NINE) {
      mantissa = mantissa * 10 + (byte - ZERO);
      digits++;
      position++;
      byte = position < end ? bytes[position]! : -1;
    }
    if (digits === 0) return INVALID;
  }
  let fractionDigits = 0;
  if (byte === DOT) {
    position++;
    byte = position < end ? bytes[position]! : -1;
    while (byte >= ZERO && byte <= NINE) {
      mantissa = mantissa * 10 + (byte - ZERO);
      fractionDigits++;
      position++;
      byte = position < end ? bytes[position]! : -1;
    }
    if (fractionDigits === 0) return INVALID;
  }
  let exponent = false;
  if (byte === 0x65 || byte === 0x45) {
    exponent = true;
    position++;
    byte = position < end ? bytes[position]! : -1;
    if (byte === PLUS || byte === MINUS) position++;
    const exponentStart = position;
    while (position < end && bytes[position]! >= ZERO && bytes[position]! <= NINE) position++;
    if (position === exponentStart) return INVALID;
  }
  if (!convert) return position;
  if (exponent || digits + fractionDigits > MAX_EXACT_DIGITS) {
    numberValue = Number(bytes.toString('latin1', start, position));
  } else {
    const magnitude = fractionDigits === 0 ? mantissa : mantissa / POWERS_OF_TEN[fractionDigits]!;
    numberValue = negative ? -magnitude : magnitude;
  }
  return position;
}

/** Past `true`, `false` or `null` (the first byte tells which), or INVALID. */
function scanLiteral(bytes: Buffer, position: number, end: number): number {
  const byte = bytes[position];
  if (byte === 0x74) return position + 3 < end && bytes[position + 1] === 0x72 && bytes[position + 2] === 0x75 && bytes[position + 3] === 0x65 ? position + 4 : INVALID;
  if (byte === 0x66) return position + 4 < end && bytes[position + 1] === 0x61 && bytes[position + 2] === 0x6c && bytes[position + 3] === 0x73 && bytes[position + 4] === 0x65 ? position + 5 : INVALID;
  if (byte === 0x6e) return position + 3 < end && bytes[position + 1] === 0x75 && bytes[position + 2] === 0x6c && bytes[position + 3] === 0x6c ? position + 4 : INVALID;
  return INVALID;
}

/** Past one valid JSON value (checked, not built), or INVALID; nesting deeper than MAX_DEPTH counts as INVALID. */
function skipValue(bytes: Buffer, position: number, end: number, depth: number): number {
  const byte = bytes[position];
  if (byte === QUOTE) {
    const after = scanString(bytes, position, end);
    return after !== INVALID && stringEscaped && !isJsonString(bytes, position, after) ? INVALID : after;
  }
  if (byte === MINUS || (byte !== undefined && byte >= ZERO && byte <= NINE)) return scanNumber(bytes, position, end, false);
  if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) return scanLiteral(bytes, position, end);
  if (depth > MAX_DEPTH) return INVALID;
  const isObject = byte === OPEN_BRACE;
  const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
  position = skipWhitespace(bytes, position + 1, end);
  if (bytes[position] === close) return position + 1;
  for (;;) {
    if (isObject) {
      if (bytes[position] !== QUOTE) return INVALID;
      position = skipValue(bytes, position, end, depth + 1);
      if (position === INVALID) return INVALID;
      position = skipWhitespace(bytes, position, end);
      if (bytes[position] !== COLON) return INVALID;
      position = skipWhitespace(bytes, position + 1, end);
    }
    position = skipValue(bytes, position, end, depth + 1);
    if (position === INVALID) return INVALID;
    position = skipWhitespace(bytes, position, end);
    const next = bytes[position];
    if (next === close) return position + 1;
    if (next !== COMMA) return INVALID;
    position = skipWhitespace(bytes, position + 1, end);
  }
}

function isJsonString(bytes: Buffer, start: number, end: number): boolean {
  try {
    JSON.parse(bytes.toString('utf8', start, end));
    return true;
  } catch {
    return false;
  }
}

/** One reader per set of keys (the keys every loaded rule reads), reused for every message. */
export class JsonFieldReader {
  private readonly codes: readonly number[][];

  /** `keys` must all pass isPlainKey. */
  constructor(readonly keys: readonly string[]) {
    for (const key of keys) if (!isPlainKey(key)) throw new Error(`JsonFieldReader: key ${JSON.stringify(key)} cannot be read from bytes`);
    this.codes = keys.map((key) => Array.from(key, (char) => char.charCodeAt(0)));
  }

  /**
   * Puts the value of keys[i] in out[i] (undefined when the object has no such key; the last one when
   * it has it twice, as JSON.parse). False when the bytes are not a JSON object it reads: then out is
   * not meaningful and JSON.parse must decide.
   */
  read(bytes: Buffer, out: Value[]): boolean {
    const keyCount = this.codes.length;
    for (let index = 0; index < keyCount; index++) out[index] = undefined;
    const end = bytes.length;
    let position = skipWhitespace(bytes, 0, end);
    if (bytes[position] !== OPEN_BRACE) return false;
    position = skipWhitespace(bytes, position + 1, end);
    if (bytes[position] === CLOSE_BRACE) return skipWhitespace(bytes, position + 1, end) === end;
    for (;;) {
      if (bytes[position] !== QUOTE) return false;
      const keyStart = position;
      position = scanString(bytes, position, end);
      if (position === INVALID) return false;
      const slot = stringEscaped ? this.slotOfEscaped(bytes, keyStart, position) : this.slotOf(bytes, keyStart + 1, position - 1);
      if (slot === INVALID) return false;
      position = skipWhitespace(bytes, position, end);
      if (bytes[position] !== COLON) return false;
      position = skipWhitespace(bytes, position + 1, end);
      const valueStart = position;
      const byte = bytes[position];
      if (byte === QUOTE) {
        position = scanString(bytes, position, end);
        if (position === INVALID) return false;
        if (stringEscaped) {
          // JSON.parse checks and decodes the escapes.
          let text: Value;
          try {
            text = JSON.parse(bytes.toString('utf8', valueStart, position)) as string;
          } catch {
            return false;
          }
          if (slot >= 0) out[slot] = text;
        } else if (slot >= 0) {
          // Text past ASCII is decoded from UTF-8 as the whole payload would be: its ends are quotes,
          // which no invalid sequence swallows.
          out[slot] = bytes.toString(stringAscii ? 'latin1' : 'utf8', valueStart + 1, position - 1);
        }
      } else if (byte === MINUS || (byte !== undefined && byte >= ZERO && byte <= NINE)) {
        position = scanNumber(bytes, position, end, slot >= 0);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = numberValue;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        position = skipValue(bytes, position, end, 1);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = JSON.parse(bytes.toString('utf8', valueStart, position)) as Value;
      } else {
        position = scanLiteral(bytes, position, end);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = byte === 0x74 ? true : byte === 0x66 ? false : null;
      }
      position = skipWhitespace(bytes, position, end);
      const next = bytes[position];
      if (next === CLOSE_BRACE) return skipWhitespace(bytes, position + 1, end) === end;
      if (next !== COMMA) return false;
      position = skipWhitespace(bytes, position + 1, end);
    }
  }

  /** Which key a key without escapes is (-2: none asked for). Bytes past ASCII decode to characters no plain key has. */
  private slotOf(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    const codes = this.codes;
    for (let slot = 0; slot < codes.length; slot++) {
      const key = codes[slot]!;
      if (key.length !== length) continue;
      let index = 0;
      while (index < length && bytes[start + index] === key[index]) index++;
      if (index === length) return slot;
    }
    return NOT_ASKED;
  }

  /** A key with escapes (from its opening quote to past its closing one), decoded as JSON.parse decodes it; INVALID when it is not a valid string. */
  private slotOfEscaped(bytes: Buffer, start: number, end: number): number {
    let key: unknown;
    try {
      key = JSON.parse(bytes.toString('utf8', start, end));
    } catch {
      return INVALID;
    }
    const slot = this.keys.indexOf(key as string);
    return slot === -1 ? NOT_ASKED : slot;
  }
}
