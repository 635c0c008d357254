// The byte-level reader of top-level JSON fields (src/rules/sql/json-fields.ts) against JSON.parse of
// the payload as the rule engine decodes it (UTF-8 text, invalid sequences replaced): whenever the
// reader answers, its values are JSON.parse's (-0, duplicate keys, escapes, text past ASCII and
// invalid UTF-8 included), and it answers for the payloads rules usually get.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonFieldReader, isPlainKey } from '../../../src/rules/sql/json-fields.js';
import { binaryFromBytes, jsonDecode, type Value } from '../../../src/rules/sql/values.js';

const KEYS = ['a', 'temp', 'b', 'x y', '', 'é', 'list'] as const;
const PLAIN_KEYS = KEYS.filter(isPlainKey);

/** What `payload.<key>` reads from the whole decoded payload, for each key (the reference). */
function reference(bytes: Buffer, keys: readonly string[]): { ok: true; values: Value[]; object: boolean } | { ok: false } {
  let decoded: Value;
  try {
    decoded = jsonDecode(binaryFromBytes(bytes));
  } catch {
    return { ok: false };
  }
  const object = typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded);
  const values = keys.map((key) => (object && Object.hasOwn(decoded as object, key) ? (decoded as Record<string, Value>)[key] : undefined));
  return { ok: true, values, object };
}

function check(bytes: Buffer, keys: readonly string[] = PLAIN_KEYS): boolean {
  const reader = new JsonFieldReader(keys);
  const out: Value[] = [];
  const answered = reader.read(bytes, out);
  if (!answered) return false;
  const expected = reference(bytes, keys);
  assert.ok(expected.ok, `the reader answered for bytes JSON.parse refuses: ${JSON.stringify(bytes.toString('latin1'))}`);
  assert.ok(expected.object, `the reader answered for a top level that is not an object: ${bytes.toString('utf8')}`);
  assert.deepStrictEqual(out.slice(0, keys.length), expected.values, `values differ for ${JSON.stringify(bytes.toString('utf8'))}`);
  return true;
}

const whitespace = fc.array(fc.constantFrom(' ', '\n', '\r', '\t'), { maxLength: 2 }).map((chars) => chars.join(''));

/** Object keys, sometimes written with escapes, sometimes ones the reader looks for. */
const key = fc.oneof(
  fc.constantFrom(...KEYS).map((name) => JSON.stringify(name)),
  fc.constantFrom('"\\u0074emp"', '"te\\u006dp"', '"a\\n"', '"\\"a"', '"__proto__"', '"constructor"'),
  fc.string({ maxLength: 4 }).map((name) => JSON.stringify(name)),
);

/** JSON text of a value written in any of the ways JSON allows: spacing, escapes, number forms. */
const text: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('true', 'false', 'null'),
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((number) => JSON.stringify(number)),
      fc.integer().map(String),
      fc.constantFrom('-0', '0', '-0.0', '1e5', '1E+2', '2.5e-3', '0.1', '99.9', '123456789012345678', '9007199254740993', '1.7976931348623157e308', '5e-324', '0.30000000000000004', '100.000000000000000001'),
      fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 999999 })).map(([whole, fraction]) => `${whole}.${fraction}`),
    ),
    fc.tuple(fc.string({ unit: 'grapheme' }), fc.boolean()).map(([value, escapeAll]) => (escapeAll ? escapeEverything(value) : JSON.stringify(value))),
    fc.array(tie('value'), { maxLength: 3 }).chain((items) => whitespace.map((space) => `[${space}${items.join(`${space},${space}`)}${space}]`)),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).chain((entries) => whitespace.map((space) => `{${space}${entries.map(([name, value]) => `${name}${space}:${space}${value}`).join(`,${space}`)}${space}}`)),
  ),
})).value;

function escapeEverything(value: string): string {
  let out = '"';
  for (const char of value) for (let index = 0; index < char.length; index++) out += `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return `${out}"`;
}

const objectText = fc.array(fc.tuple(key, text), { maxLength: 6 }).chain((entries) =>
  fc.tuple(whitespace, whitespace).map(([outer, inner]) => `${outer}{${inner}${entries.map(([name, value]) => `${name}${inner}:${inner}${value}`).join(`,${inner}`)}${inner}}${outer}`),
);

test('property - the reader gives JSON.parse values for every key on random JSON objects', () => {
  let answered = 0;
  fc.assert(
    fc.property(objectText, (json) => {
      if (check(Buffer.from(json, 'utf8'))) answered++;
    }),
    { numRuns: 3000 },
  );
  assert.ok(answered > 1500, `the reader answered only ${answered} of 3000 objects`);
});

test('property - on any JSON value (arrays, strings, numbers at the top too) it answers only as JSON.parse does', () => {
  fc.assert(fc.property(text, (json) => void check(Buffer.from(json, 'utf8'))), { numRuns: 2000 });
});

/** Any byte, often one that matters to JSON (controls, quotes, backslashes, UTF-8 lead and stray bytes). */
const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x09, 0x0a, 0x1f, 0x20, 0x22, 0x2c, 0x2d, 0x2e, 0x30, 0x3a, 0x5c, 0x65, 0x7b, 0x7d, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xef, 0xff));

test('property - damaged and arbitrary bytes: it answers only when JSON.parse reads an object, with its values', () => {
  const damaged = fc.tuple(objectText, fc.array(fc.tuple(fc.nat(), byte, fc.constantFrom('replace', 'insert', 'delete')), { minLength: 1, maxLength: 3 })).map(([json, edits]) => {
    const bytes = [...Buffer.from(json, 'utf8')];
    for (const [at, byte, edit] of edits) {
      const index = bytes.length === 0 ? 0 : at % bytes.length;
      if (edit === 'replace' && bytes.length > 0) bytes[index] = byte;
      else if (edit === 'insert') bytes.splice(index, 0, byte);
      else bytes.splice(index, 1);
    }
    return Buffer.from(bytes);
  });
  fc.assert(fc.property(damaged, (bytes) => void check(bytes)), { numRuns: 3000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => void check(Buffer.from(bytes))), { numRuns: 2000 });
});

test('values inside strings with invalid UTF-8 are decoded as the whole payload is', () => {
  const bytes = Buffer.concat([Buffer.from('{"a": "x'), Buffer.from([0xe2, 0x82]), Buffer.from('", "temp": "'), Buffer.from([0xff, 0xc3]), Buffer.from('\\n"}')]);
  assert.ok(check(bytes));
});

test('the payloads rules usually get are read without JSON.parse', () => {
  const payloads = [
    '{"sensor": 3, "temp": 99.5, "seq": 12, "unit": "C"}        ',
    '{"a":1,"temp":-0,"b":[1,2,{"c":null}],"list":[]}',
    '{"temp": 1e3, "a": "text with \\"quotes\\" and é", "b": {"nested": {"deep": true}}}',
    '{"a": 1, "a": 2}',
    '{}',
  ];
  for (const payload of payloads) assert.ok(check(Buffer.from(payload)), payload);
  const out: Value[] = [];
  assert.ok(new JsonFieldReader(['a']).read(Buffer.from('{"a": 1, "a": 2}'), out));
  assert.equal(out[0], 2);
});

test('what JSON does not allow is refused, in a field read and in one skipped', () => {
  const values = ['1.', '1e', '1e+', '-', '01', '.5', '+1', '1.e5', '"\u0001"', '"\\x"', '"\\u12"', 'tru', 'nul', '[1,]', '[,1]', '{"b":1,}', '{"b" 1}', '{1:2}', "'s'", 'NaN', 'Infinity', '"a', '[1', '{'];
  for (const value of values) {
    for (const payload of [`{"a": ${value}}`, `{"skipped": ${value}, "a": 1}`, `{"a": 1, "skipped": [${value}]}`]) {
      assert.throws(() => JSON.parse(payload), SyntaxError, payload);
      assert.equal(new JsonFieldReader(['a']).read(Buffer.from(payload), []), false, payload);
    }
  }
  for (const payload of ['', ' ', '{"a":1}x', '{"a":1},', '{"a":1,}', '{,"a":1}', '{"a":1 "b":2}', '\ufeff{"a":1}']) {
    assert.equal(new JsonFieldReader(['a']).read(Buffer.from(payload), []), false, payload);
  }
});

test('keys an object inherits, or that need escapes, are refused at construction', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'a"b', 'a\\b', 'é']) {
    assert.equal(isPlainKey(name), false, name);
    assert.throws(() => new JsonFieldReader([name]), /cannot be read from bytes/);
  }
});
