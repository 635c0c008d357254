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

// What the last scanString saw (one scan runs at a time: nothing in a scan calls out).
let stringEscaped = false;
let stringAscii = true;

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

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

/** Past a number in JSON's grammar, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, or INVALID. */
function scanNumber(bytes: Buffer, position: number, end: number): number {
  if (bytes[position] === MINUS) position++;
  let byte = position < end ? bytes[position]! : -1;
  if (byte === ZERO) {
    position++;
    byte = position < end ? bytes[position]! : -1;
  } else {
    const digitsStart = position;
    while (byte >= ZERO && byte <= NINE) byte = ++position < end ? bytes[position]! : -1;
    if (position === digitsStart) return INVALID;
  }
  if (byte === DOT) {
    const fractionStart = ++position;
    byte = position < end ? bytes[position]! : -1;
    while (byte >= ZERO && byte <= NINE) byte = ++position < end ? bytes[position]! : -1;
    if (position === fractionStart) return INVALID;
  }
  if (byte === 0x65 || byte === 0x45) {
    byte = ++position < end ? bytes[position]! : -1;
    if (byte === PLUS || byte === MINUS) byte = ++position < end ? bytes[position]! : -1;
    const exponentStart = position;
    while (byte >= ZERO && byte <= NINE) byte = ++position < end ? bytes[position]! : -1;
    if (position === exponentStart) return INVALID;
  }
  return position;
}

/** The value of the number scanNumber found between start and end. */
function numberAt(bytes: Buffer, start: number, end: number): number {
  let position = start;
  const negative = bytes[position] === MINUS;
  if (negative) position++;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = -1;
  for (; position < end; position++) {
    const byte = bytes[position]!;
    if (byte === DOT) fractionDigits = 0;
    else if (byte < ZERO || byte > NINE) break;
    else {
      mantissa = mantissa * 10 + (byte - ZERO);
      digits++;
      if (fractionDigits >= 0) fractionDigits++;
    }
  }
  // An exponent, or more digits than an exact integer holds: Number() reads it, as exactly as JSON.parse.
  if (position < end || digits > MAX_EXACT_DIGITS) return Number(bytes.toString('latin1', start, end));
  const magnitude = fractionDigits <= 0 ? mantissa : mantissa / POWERS_OF_TEN[fractionDigits]!;
  return negative ? -magnitude : magnitude;
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
  if (byte === MINUS || (byte !== undefined && byte >= ZERO && byte <= NINE)) return scanNumber(bytes, position, end);
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
  /** The slots of the keys of each length (most keys in a payload are rejected by their length alone). */
  private readonly slotsByLength: ReadonlyArray<readonly number[] | undefined>;

  /** `keys` must all pass isPlainKey. */
  constructor(readonly keys: readonly string[]) {
    for (const key of keys) if (!isPlainKey(key)) throw new Error(`JsonFieldReader: key ${JSON.stringify(key)} cannot be read from bytes`);
    this.codes = keys.map((key) => Array.from(key, (char) => char.charCodeAt(0)));
    const slotsByLength: number[][] = [];
    keys.forEach((key, slot) => (slotsByLength[key.length] ??= []).push(slot));
    this.slotsByLength = slotsByLength;
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
      // Compact JSON has no whitespace between tokens: look before skipping.
      if (bytes[position] !== COLON) {
        position = skipWhitespace(bytes, position, end);
        if (bytes[position] !== COLON) return false;
      }
      position++;
      if (isWhitespace(bytes[position])) position = skipWhitespace(bytes, position, end);
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
        position = scanNumber(bytes, position, end);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = numberAt(bytes, valueStart, position);
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        position = skipValue(bytes, position, end, 1);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = JSON.parse(bytes.toString('utf8', valueStart, position)) as Value;
      } else {
        position = scanLiteral(bytes, position, end);
        if (position === INVALID) return false;
        if (slot >= 0) out[slot] = byte === 0x74 ? true : byte === 0x66 ? false : null;
      }
      let next = bytes[position];
      if (isWhitespace(next)) next = bytes[(position = skipWhitespace(bytes, position, end))];
      if (next === CLOSE_BRACE) return skipWhitespace(bytes, position + 1, end) === end;
      if (next !== COMMA) return false;
      position++;
      if (isWhitespace(bytes[position])) position = skipWhitespace(bytes, position, end);
    }
  }

  /** Which key a key without escapes is (-2: none asked for). Bytes past ASCII decode to characters no plain key has. */
  private slotOf(bytes: Buffer, start: number, end: number): number {
    const length = end - start;
    const slots = length < this.slotsByLength.length ? this.slotsByLength[length] : undefined;
    if (slots === undefined) return NOT_ASKED;
    for (let candidate = 0; candidate < slots.length; candidate++) {
      const slot = slots[candidate]!;
      const key = this.codes[slot]!;
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
