// Property test: random rule statements (every construct: paths, lists, ranges, arithmetic,
// comparisons, AND/OR/NOT, IN, CASE, function calls, aliases into paths and lists, FOREACH with DO
// and INCASE) on random inputs give the same answer compiled and reference-interpreted, errors
// included. The interpreter looks names up the way EMQX's evaluator does, so this also checks the
// compiler's static name resolution. The compiled rule also runs as the engine runs it on a published
// message (payload fields read from the payload's bytes), which must give the same.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertSameOutcome, runBoth } from './evaluate.js';

const names = ['a', 'b', 'x', 'payload', 'clientid', 'item', 's', 'metadata', 'topic'];
const keys = ['a', 'b', 'x', 'y', 'list'];

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const constant = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map(String),
  fc.constantFrom('1.5', '0.25', '2.0'),
  fc.constantFrom('a', '1', '2.5', 'x', "it's", '').map(quote),
  fc.constantFrom('true', 'false'),
);

const step = fc.oneof(fc.constantFrom(...keys).map((key) => `.${key}`), fc.constantFrom('[1]', '[-1]', '[2]', '[0]'));
const reference = fc.tuple(fc.constantFrom(...names), fc.array(step, { maxLength: 3 })).map(([name, steps]) => name + steps.join(''));
const alias = fc.oneof(
  fc.constantFrom(...names),
  fc.tuple(fc.constantFrom(...names), fc.array(fc.oneof(fc.constantFrom('.p', '.q', '.a'), fc.constantFrom('[1]', '[-0]', '[0]', '[2]', '[x]', '[a]')), { minLength: 1, maxLength: 2 })).map(([name, steps]) => name + steps.join('')),
);

const functions: Array<[string, number]> = [
  ['upper', 1], ['is_null', 1], ['str', 1], ['abs', 1], ['length', 1], ['json_encode', 1], ['int', 1],
  ['concat', 2], ['coalesce', 2], ['map_get', 2], ['nth', 2], ['is_map', 1], ['bool', 1],
];

const { expression } = fc.letrec<{ expression: string }>((tie) => ({
  expression: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    constant,
    reference,
    fc.array(tie('expression'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.constantFrom('[1..3]', '[2..-1]'),
    fc.tuple(reference, fc.constantFrom('[1..2]', '[2..-1]')).map(([target, range]) => target + range),
    fc.tuple(tie('expression'), fc.constantFrom('+', '-', '*', '/', 'div'), tie('expression')).map(([left, operator, right]) => `(${left} ${operator} ${right})`),
    fc.tuple(tie('expression'), fc.constantFrom('=', '!=', '<>', '<', '<=', '>', '>=', '=~'), tie('expression')).map(([left, operator, right]) => `(${left} ${operator} ${right})`),
    fc.tuple(tie('expression'), fc.constantFrom('AND', 'OR'), tie('expression')).map(([left, operator, right]) => `(${left} ${operator} ${right})`),
    tie('expression').map((operand) => `(NOT ${operand})`),
    tie('expression').map((operand) => `(- ${operand})`),
    fc.tuple(tie('expression'), fc.boolean(), fc.array(tie('expression'), { minLength: 1, maxLength: 3 })).map(([value, negated, list]) => `(${value} ${negated ? 'NOT IN' : 'IN'} (${list.join(', ')}))`),
    fc
      .tuple(fc.option(tie('expression'), { nil: undefined }), fc.array(fc.tuple(tie('expression'), tie('expression')), { minLength: 1, maxLength: 2 }), fc.option(tie('expression'), { nil: undefined }))
      .map(([subject, branches, otherwise]) => `CASE ${subject ?? ''} ${branches.map(([when, then]) => `WHEN ${when} THEN ${then}`).join(' ')} ${otherwise === undefined ? '' : `ELSE ${otherwise}`} END`),
    fc.constantFrom(...functions).chain(([name, arity]) => fc.array(tie('expression'), { minLength: arity, maxLength: arity }).map((args) => `${name}(${args.join(', ')})`)),
  ),
}));

const field = fc.oneof({ weight: 1, arbitrary: fc.constant('*') }, { weight: 6, arbitrary: fc.tuple(expression, fc.option(alias, { nil: undefined })).map(([value, name]) => (name === undefined ? value : `${value} AS ${name}`)) });
const fields = fc.array(field, { minLength: 1, maxLength: 4 }).map((list) => list.join(', '));
const where = fc.option(expression.map((condition) => ` WHERE ${condition}`), { nil: '' });

const select = fc.tuple(fields, where).map(([selected, condition]) => `SELECT ${selected} FROM "t/#"${condition}`);
const foreach = fc
  .tuple(fields, fc.option(fields, { nil: undefined }), fc.option(expression, { nil: undefined }), where)
  .map(([collect, each, incase, condition]) => `FOREACH ${collect}${each === undefined ? '' : ` DO ${each}`}${incase === undefined ? '' : ` INCASE ${incase}`} FROM "t/#"${condition}`);

const json = fc.jsonValue({ maxDepth: 2 });
const payloadObject = fc.record({ a: json, b: json, x: fc.oneof(fc.integer(), fc.string()), list: fc.array(json, { maxLength: 4 }) }, { requiredKeys: [] });
const input = fc.record({
  a: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('1', 'a', 't/+'), fc.array(fc.integer(), { maxLength: 3 })),
  b: json,
  x: fc.option(fc.integer(), { nil: undefined }),
  clientid: fc.constantFrom('c1', 'c_2'),
  topic: fc.constantFrom('t/a', 't/b/c'),
  payload: fc.oneof(
    payloadObject.map((value) => JSON.stringify(value)),
    payloadObject.map((value) => ` ${JSON.stringify(value, null, 1)}\n`),
    fc.constantFrom('not json', '[1,2,3]', '{"list": [{"a": 1}, {"a": 2}]}', '"{\\"a\\": 1}"', '{"a": "{\\"b\\": 2}", "b": "[1, 2]"}', '{"a": 1, "a": -0}', '{"x": 1} trailing', '{"a": "\\u0041", "\\u0062": 2}', '7', 'null'),
  ),
});

test('property - compiled and interpreted evaluation agree on random statements and inputs', () => {
  let ran = 0;
  fc.assert(
    fc.property(fc.oneof(select, foreach), input, (sql, values) => {
      const { compiled, interpreted, fromBytes } = runBoth(sql, values as never);
      ran++;
      assertSameOutcome(fromBytes, compiled, sql);
      if ('error' in compiled) {
        assert.ok('error' in interpreted, `${sql}\ncompiled threw ${compiled.error.message}, interpreted gave ${JSON.stringify(interpreted)}`);
        assert.equal(compiled.error.message, interpreted.error.message, sql);
      } else {
        assert.ok('value' in interpreted, `${sql}\ninterpreted threw ${'error' in interpreted ? interpreted.error.message : ''}`);
        assert.deepEqual(compiled.value, interpreted.value, sql);
      }
    }),
    { numRuns: Number(process.env['RULES_PROPERTY_RUNS'] ?? 3000) },
  );
  assert.ok(ran > 0);
});
