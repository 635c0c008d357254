// Rule SQL evaluation, compiled and reference-interpreted alike (evaluate() checks they agree):
// EMQX's own examples (emqx_rule_engine_SUITE t_sqlparse_*, the rule SQL documentation) with the
// results EMQX gives, and its semantics for comparisons, undefined, payload decoding and aliases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, expression } from './evaluate.js';
import { RuleEvaluationError } from '../../../src/rules/sql/errors.js';

const json = (value: unknown): string => JSON.stringify(value);

test('select - fields, aliases, * with the columns and the rule metadata, WHERE on an alias', () => {
  const input = { clientid: 'c1', topic: 't/a', qos: 1, payload: json({ x: 1, clientid: 'inner' }) };
  assert.deepEqual(evaluate('SELECT clientid, payload.clientid as myclientid FROM "t/#", "my/other/topic"', input), { clientid: 'c1', myclientid: 'inner' });
  assert.deepEqual(evaluate('SELECT payload.x as y FROM "t/#" WHERE y = 1', input), { y: 1 });
  assert.equal(evaluate('SELECT payload.x as y FROM "t/#" WHERE y = 2', input), undefined);
  const all = evaluate('SELECT * FROM "t/#"', input) as Record<string, unknown>;
  assert.deepEqual(all, { ...input, metadata: { rule_id: 'test-rule' } });
  // t_sqlparse_select_matadata_1: metadata only when selected.
  assert.deepEqual(evaluate('select payload from "t/#"', { payload: 'abc', topic: 't/a' }), { payload: 'abc' });
  assert.deepEqual(evaluate('select payload, metadata from "t/#"', { payload: 'abc', topic: 't/a' }), { payload: 'abc', metadata: { rule_id: 'test-rule' } });
  // The documentation's expression examples.
  assert.deepEqual(evaluate("SELECT (upper(clientid) + '_UPPERCASE_LETTERS') as cid FROM \"t/#\"", input), { cid: 'C1_UPPERCASE_LETTERS' });
  assert.deepEqual(evaluate('SELECT (payload.integer_field + 2) * 2 as num FROM "t/#"', { payload: json({ integer_field: 5 }) }), { num: 14 });
  assert.deepEqual(evaluate('SELECT payload.a.b.c.deep as my_field FROM "t/#"', { payload: json({ a: { b: { c: { deep: 'yes' } } } }) }), { my_field: 'yes' });
  assert.deepEqual(evaluate("SELECT pub_props.'User-Property'.foo as foo FROM \"t/#\"", { pub_props: { 'User-Property': { foo: 'bar' } } }), { foo: 'bar' });
});

test('select - EMQX t_sqlparse_event_*: event columns, several FROM entries', () => {
  assert.deepEqual(evaluate('select topic as tp from "$events/session_subscribed"', { topic: 't/tt' }), { tp: 't/tt' });
  assert.deepEqual(evaluate('select clientid, topic as tp from "t/tt", "$events/client_connected"', { clientid: 'abc', topic: 't/tt' }), { clientid: 'abc', tp: 't/tt' });
  assert.deepEqual(evaluate('SELECT peername as ip_port FROM "$events/client_connected" WHERE clientid = \'c1\'', { clientid: 'c1', peername: '127.0.0.1:1883' }), { ip_port: '127.0.0.1:1883' });
  assert.deepEqual(evaluate("SELECT clientid FROM \"$events/session_subscribed\" WHERE topic =~ 't/#' and qos = 1", { clientid: 'c', topic: 't/a/b', qos: 1 }), { clientid: 'c' });
});

test('foreach - EMQX t_sqlparse_foreach_1..10', () => {
  const sensors = { payload: json({ sensors: [1, 2] }), topic: 't/a' };
  assert.deepEqual(evaluate('foreach payload.sensors as s from "t/#"', sensors), [{ ...sensors, metadata: { rule_id: 'test-rule' }, s: 1 }, { ...sensors, metadata: { rule_id: 'test-rule' }, s: 2 }]);
  const items = evaluate('foreach payload.sensors from "t/#"', { payload: json({ sensors: [{ cmd: '1' }, { cmd: '2', name: 'ct' }] }), clientid: 'c_a', topic: 't/a' }) as Array<Record<string, unknown>>;
  assert.deepEqual(items.map((item) => [item['item'], item['clientid']]), [[{ cmd: '1' }, 'c_a'], [{ cmd: '2', name: 'ct' }, 'c_a']]);
  const commands = { payload: json({ sensors: [{ cmd: '1' }, { cmd: '2' }] }), topic: 't/a' };
  assert.deepEqual(evaluate('foreach payload.sensors as s do s.cmd as msg_type from "t/#"', commands), [{ msg_type: '1' }, { msg_type: '2' }]);
  assert.deepEqual(evaluate('foreach payload.sensors do item.cmd as msg_type from "t/#"', commands), [{ msg_type: '1' }, { msg_type: '2' }]);
  assert.deepEqual(evaluate('foreach payload.sensors do item as item from "t/#"', sensors), [{ item: 1 }, { item: 2 }]);
  const numbered = { payload: json({ sensors: [{ cmd: 1 }, { cmd: 2 }, { cmd: 3 }] }), topic: 't/a' };
  assert.deepEqual((evaluate('foreach payload.sensors as s incase s.cmd != 1 from "t/#"', numbered) as Array<{ s: unknown }>).map((out) => out.s), [{ cmd: 2 }, { cmd: 3 }]);
  const doIncase = 'foreach payload.sensors as s do s.cmd as msg_type, s.name as name incase is_not_null(s.cmd) from "t/#"';
  assert.deepEqual(evaluate(doIncase, { payload: json({ sensors: [{ cmd: '1', name: 'n1' }, { cmd: '2' }, { name: 'n3' }] }) }), [{ msg_type: '1', name: 'n1' }, { msg_type: '2', name: undefined }]);
  assert.deepEqual(evaluate(doIncase, sensors), []);
  assert.deepEqual(evaluate('foreach payload.sensors as s do s.cmd as msg_type from "t/#"', { payload: json({ sensors: 1 }) }), []);
  assert.deepEqual(evaluate('foreach payload.sensors as s do s.cmd as msg_type from "t/#"', { payload: json({ sensors: [] }) }), []);
  const decoded = evaluate('foreach json_decode(payload) do item.id as zid, timestamp as t from "t/#"', { payload: '[{"id": 5},{"id": 15}]', timestamp: 1000 });
  assert.deepEqual(decoded, [{ zid: 5, t: 1000 }, { zid: 15, t: 1000 }]);
  const cascaded =
    "foreach json_decode(payload) as p, p.sensors as s, s.collection as c, c.info as info do info.cmd as msg_type, info.name as name incase is_not_null(info.cmd) from \"t/#\" where s.page = '2'";
  const payload = json({ sensors: { page: 2, collection: { info: [{ name: 'cmd1', cmd: '1' }, { cmd: '2' }] } } });
  assert.deepEqual(evaluate(cascaded, { payload }), [{ msg_type: '1', name: 'cmd1' }, { msg_type: '2', name: undefined }]);
  assert.equal(evaluate(cascaded.replace("'2'", "'3'"), { payload }), undefined);
  const sublist = "foreach json_decode(payload) as p, p.sensors as s, s.collection as c, sublist(2,1,c.info) as info do info.cmd as msg_type, info.name as name from \"t/#\" where s.page = '2'";
  assert.deepEqual(evaluate(sublist, { payload: json({ sensors: { page: 2, collection: { info: ['haha', { name: 'cmd1', cmd: '1' }] } } }) }), [{ msg_type: '1', name: 'cmd1' }]);
  const series = { payload: json([{ ts: 1451649600512, values: { heartrate: 130 } }]) };
  assert.deepEqual(evaluate('foreach json_decode(payload) as p do p.ts as ts from "t/#"', series), [{ ts: 1451649600512 }]);
  assert.deepEqual(evaluate('foreach payload as p do p.ts as ts from "t/#"', series), [{ ts: 1451649600512 }]);
  assert.deepEqual(evaluate('foreach payload as item do item.data as next_data from "t/#"', { payload: '[{"data": "value1"}, {"data": "value2"}]' }), [{ next_data: 'value1' }, { next_data: 'value2' }]);
});

test('foreach - the documentation examples (sensors republished one by one, nth(2, tokens(clientid, "_")))', () => {
  const input = { clientid: 'c_steve', timestamp: 7, topic: 't/1', payload: json({ date: '2020-04-24', sensors: [{ name: 'a', idx: 0 }, { name: 'b', idx: 1 }, { name: 'c', idx: 2 }] }) };
  assert.deepEqual(evaluate('FOREACH payload.sensors as sensor DO timestamp, clientid, upper(sensor.name) as name, sensor.idx as idx INCASE sensor.idx >= 1 FROM "t/#"', input), [
    { timestamp: 7, clientid: 'c_steve', name: 'B', idx: 1 },
    { timestamp: 7, clientid: 'c_steve', name: 'C', idx: 2 },
  ]);
  assert.deepEqual(evaluate("FOREACH payload.sensors as s DO nth(2, tokens(clientid,'_')) as clientid, s.name as name, s.idx as idx INCASE s.idx >= 1 FROM \"t/#\"", input), [
    { clientid: 'steve', name: 'b', idx: 1 },
    { clientid: 'steve', name: 'c', idx: 2 },
  ]);
});

test('case - EMQX t_sqlparse_case_when_1..3 (searched and simple CASE, no ELSE gives undefined)', () => {
  const clamp = 'select case when payload.x < 0 then 0 when payload.x > 7 then 7 else payload.x end as y from "t/#"';
  for (const [x, y] of [[1, 1], [0, 0], [-1, 0], [7, 7], [8, 7]]) assert.deepEqual(evaluate(clamp, { payload: json({ x }) }), { y });
  const lookup = 'select case payload.x when 1 then 2 when 2 then 3 else 4 end as y from "t/#"';
  for (const [x, y] of [[1, 2], [2, 3], [4, 4], [7, 4]]) assert.deepEqual(evaluate(lookup, { payload: json({ x }) }), { y });
  const partial = 'select case when payload.x < 0 then 0 when payload.x > 7 then 7 end as y from "t/#"';
  assert.deepEqual(evaluate(partial, { payload: json({ x: 1 }) }), { y: undefined });
  assert.deepEqual(evaluate(partial, { payload: json({ x: -1 }) }), { y: 0 });
});

test('arrays - EMQX t_sqlparse_array_index_1..5, array_range_1..2 and array_with_expressions', () => {
  assert.deepEqual(evaluate('select json_decode(payload) as p, p[1] as a from "t/#"', { payload: '[{"x": 1}]' }), { p: [{ x: 1 }], a: { x: 1 } });
  assert.deepEqual(evaluate('select json_decode(payload) as p, p[1] as a from "t/#"', { payload: '{"x": 1}' }), { p: { x: 1 }, a: undefined });
  assert.deepEqual(evaluate('select payload.x[2] from "t/#"', { payload: { x: [1, 3, 4] } }), { payload: { x: [3] } });
  assert.deepEqual(evaluate('select payload.x[2].y from "t/#"', { payload: { x: [1, { y: 3 }, 4] } }), { payload: { x: [{ y: 3 }] } });
  assert.deepEqual(evaluate('select payload.x[2].y as b from "t/#"', { payload: { x: [1, { y: 3 }, 4] } }), { b: 3 });
  assert.deepEqual(evaluate('select payload.x[-2].y as b from "t/#"', { payload: { x: [1, { y: 3 }, 4] } }), { b: 3 });
  assert.deepEqual(evaluate('select payload.x as b, 1 as c[-0], 2 as c[-0], b as c[0] from "t/#"', { payload: { x: 0 } }), { b: 0, c: [0, 1, 2] });
  assert.deepEqual(evaluate('select [] as c, 1 as c[-0], 2 as c[-0], 0 as c[0] from "t/#"', { payload: '' }), { c: [0, 1, 2] });
  assert.deepEqual(evaluate('select [payload.a, "topic", \'c\'] as c, 1 as c[-0], 2 as c[-0], 0 as c[0] from "t/#"', { payload: '{"a":11}', topic: 't/a' }), { c: [0, 11, 't/a', 'c', 1, 2] });
  assert.deepEqual(evaluate('select payload, payload.x[2].y from "t/#"', { payload: '{"x": [1,{"y": [1,2]},3]}' }), { payload: { x: [1, { y: [1, 2] }, 3] } });
  assert.deepEqual(evaluate('select payload.x[2].y as b from "t/#"', { payload: '{"x": [1,{"y": [1,2]},3]}' }), { b: [1, 2] });
  assert.deepEqual(evaluate('select payload.x[2].y as b.c from "t/#"', { payload: '{"x": [1,{"y": [1,2]},3]}' }), { b: { c: [1, 2] } });
  assert.deepEqual(evaluate('select 0 as payload.x[2].y from "t/#"', { payload: '{"x": [1,{"y": [1,2]},3]}' }), { payload: { x: [{ y: 0 }] } });
  assert.deepEqual(evaluate('select payload.x, 0 as payload.x[2].y from "t/#"', { payload: '{"x": [1,{"y": [1,2]},3]}' }), { payload: { x: [1, { y: 0 }, 3] } });
  assert.ok(Object.values(evaluate('select [1,2,3,4] from "t/#"', {}) as object).some((value) => json(value) === '[1,2,3,4]'));
  assert.ok(Object.values(evaluate('select [21 + 21, abs(-abs(-2)), [1 + 1], 4] from "t/#"', {}) as object).some((value) => json(value) === '[42,2,[2],4]'));
  assert.deepEqual(evaluate('select payload.a[1..4] as c from "t/#"', { payload: '{"a":[0,1,2,3,4,5]}' }), { c: [0, 1, 2, 3] });
  assert.throws(() => evaluate('select payload.a[1..4] as c from "t/#"', { payload: '{"x":[0,1,2,3,4,5]}' }), (error: Error) => error instanceof RuleEvaluationError && error.reason === 'range_get');
  assert.deepEqual(evaluate('select [1..4] as c, 5 as c[-0], 6 as c[-0], 0 as c[0] from "t/#"', {}), { c: [0, 1, 2, 3, 4, 5, 6] });
  assert.deepEqual(evaluate('select a[2..4] from "t/#"', { a: [1, 2, 3, 4, 5] }), { a: [2, 3, 4] });
  assert.deepEqual(evaluate('select payload.a[1..4] from "t/#"', { payload: '{"a":[0,1,2,3,4,5]}' }), { payload: { a: [0, 1, 2, 3] } });
});

test('values - EMQX t_sqlparse_true_false, new_map, payload_as, nested_get, undefined_variable, invalid_json', () => {
  assert.deepEqual(evaluate('select true as a, false as b, false as x.y, true as c[-0] from "t/#"', {}), { a: true, b: false, x: { y: false }, c: [true] });
  assert.deepEqual(evaluate('select map_new() as a, map_new() as b, map_new() as x.y, map_new() as c[-0] from "t/#"', {}), { a: {}, b: {}, x: { y: {} }, c: [{}] });
  const payloadAs = "SELECT payload, map_get('engineWorkTime', payload.params, -1) as payload.params.engineWorkTime, map_get('hydOilTem', payload.params, -1) as payload.params.hydOilTem FROM \"t/#\"";
  assert.deepEqual(evaluate(payloadAs, { payload: json({ msgId: 1002, params: { convertTemp: 20, engineSpeed: 42, hydOilTem: 30 } }) }), {
    payload: { msgId: 1002, params: { convertTemp: 20, engineSpeed: 42, hydOilTem: 30, engineWorkTime: -1 } },
  });
  assert.deepEqual(evaluate(payloadAs, { payload: json({ msgId: 1002, params: { convertTemp: 20, engineSpeed: 42 } }) }), {
    payload: { msgId: 1002, params: { convertTemp: 20, engineSpeed: 42, engineWorkTime: -1, hydOilTem: -1 } },
  });
  assert.deepEqual(evaluate('select payload as p, p.a.b as c from "t/#"', { payload: '{"a": {"b": 0}}' }), { p: '{"a": {"b": 0}}', c: 0 });
  assert.deepEqual(evaluate('select a, b from "t/#" where a = b', { payload: '' }), { a: undefined, b: undefined });
  assert.equal(evaluate('select a, b from "t/#" where a > b', { payload: '{"b":1}' }), undefined);
  assert.deepEqual(evaluate('select a < b as c from "t/#"', { payload: '{"b":1}' }), { c: false });
  assert.throws(() => evaluate('select payload.a[1..4] as c from "t/#"', { payload: '{"x":[0,1,2,3,}' }), (error: Error) => error instanceof RuleEvaluationError && error.reason === 'decode_json_failed');
  assert.throws(() => evaluate('foreach payload.sensors do item.cmd as msg_type from "t/#"', { payload: '{"sensors": [{"cmd":"1"} {"cmd":}]}' }), /payload is not JSON/);
});

test('comparison - EMQX semantics: numbers against numeric strings, undefined only equals undefined, =~ matches topic filters, IN is exact', () => {
  assert.equal(expression("1 = '1'"), true);
  assert.equal(expression("'2.5' > 2"), true);
  assert.throws(() => expression("1 = 'one'"), /cannot compare a number with the non-numeric string/);
  assert.equal(expression("true = 'true'"), true);
  assert.equal(expression('x = y'), true);
  assert.equal(expression('x <> 1'), false);
  assert.equal(expression('x != x'), false);
  assert.equal(expression("'b' > 'a'"), true);
  assert.throws(() => expression("'a' < 1"), /non-numeric string "a"/);
  assert.equal(expression("topic =~ 't/+/x'", { topic: 't/a/x' }), true);
  assert.equal(expression("topic =~ '#'", { topic: '$SYS/x' }), false);
  assert.equal(expression("'1' IN (1, 2)"), false);
  assert.equal(expression("qos IN (0, 1)", { qos: 1 }), true);
  assert.equal(expression("qos NOT IN (0, 1)", { qos: 2 }), true);
  assert.equal(expression('[1, 2] = [1, 2]'), true);
  assert.equal(expression('1 = 1.0'), true);
});

test('comparison - against a string constant: strings by code point (astral and high BMP characters too), numbers, booleans and undefined as EMQX compares them', () => {
  const payload = (value: unknown): { payload: string } => ({ payload: JSON.stringify({ v: value }) });
  const cases: Array<[string, unknown, boolean]> = [
    ["payload.v < 'a'", '\u{1F600}', false],
    ["payload.v < 'a'", '\uFB00', false],
    ["payload.v < 'a'", 'A', true],
    ["payload.v < 'a'", '', true],
    ["payload.v >= 'a'", 'ab', true],
    ["payload.v < '\uFB00'", '\u{1F600}', false],
    ["payload.v > '\uFB00'", '\u{1F600}', true],
    ["payload.v = '\uFB00'", '\uFB00', true],
    ["payload.v = '2'", 2, true],
    ["payload.v = '2'", '2.0', false],
    ["payload.v <> '2'", 2.5, true],
    ["payload.v = 'true'", true, true],
    ["'a' = payload.v", 'a', true],
    ["payload.v <> 'a'", undefined, false],
    ["payload.v = 'a'", undefined, false],
  ];
  for (const [condition, value, expected] of cases) assert.equal(expression(condition, payload(value)), expected, `${condition} with ${JSON.stringify(value)}`);
  assert.throws(() => expression("payload.v = 'x'", payload(2)), /non-numeric string/);
});

test('arithmetic and logic - + concatenates strings, / div errors, AND/OR need booleans, NOT of a non-boolean is false', () => {
  assert.equal(expression('1 + 2 * 3 - 4 / 2'), 5);
  assert.equal(expression('7 div 2'), 3);
  assert.equal(expression('-7 div 2'), -3);
  assert.equal(expression("'a' + 1"), 'a1');
  assert.equal(expression("1 + 'a'"), '1a');
  assert.equal(expression("'x' + payload", { payload: { a: 1 } }), 'x{"a":1}');
  assert.throws(() => expression('1 / 0'), /division by zero/);
  assert.throws(() => expression('x + 1'), /\+ takes two numbers/);
  assert.throws(() => expression('1.5 div 1'), /div takes two integers/);
  assert.equal(expression('-(2)'), -2);
  assert.throws(() => evaluate('select 1 from "t" where 1 and true', {}), /AND: expected true or false/);
  assert.equal(evaluate('select 1 from "t" where not 5', {}), undefined);
  assert.deepEqual(evaluate('select 1 as a from "t" where not false', {}), { a: 1 });
  assert.throws(() => evaluate('select 1 from "t" where x', {}), /WHERE: expected true or false, got undefined/);
  assert.deepEqual(evaluate('select 1 as a from "t" where payload.flag', { payload: '{"flag": true}' }), { a: 1 });
});

test('names - SELECT finds earlier aliases before columns; WHERE sees aliases over columns; a selected map without the path falls back to the column', () => {
  const input = { clientid: 'c1', payload: json({ a: 1, b: 2 }) };
  assert.deepEqual(evaluate('SELECT upper(clientid) AS clientid, clientid + \'!\' AS again FROM "t"', input), { clientid: 'C1', again: 'C1!' });
  assert.deepEqual(evaluate("SELECT 'x' AS clientid FROM \"t\" WHERE clientid = 'x'", input), { clientid: 'x' });
  assert.deepEqual(evaluate('SELECT payload.a AS payload, payload.b AS b FROM "t"', input), { payload: 1, b: 2 });
  assert.deepEqual(evaluate("SELECT 'abc' FROM \"t\"", input), { abc: 'abc' });
  assert.deepEqual(Object.keys(evaluate('SELECT upper(clientid), 1 + 1 FROM "t"', input) as object), ['_v_fun_upper_0', '_v_arithmetic_1']);
  assert.deepEqual(evaluate('SELECT "clientid" AS quoted FROM "t"', input), { quoted: 'c1' });
  assert.deepEqual(evaluate('SELECT a[i] AS x FROM "t"', { a: [10, 20, 30], i: 2 }), { x: 20 });
  assert.deepEqual(evaluate('SELECT x.constructor AS c, __proto__ AS p, toString AS s FROM "t"', { x: { a: 1 } }), { c: undefined, p: undefined, s: undefined });
});
