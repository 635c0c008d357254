// Rule SQL parsing: every construct of EMQX's dialect, and errors that name the line, the column,
// what was found and what was expected (instead of EMQX's "syntax error before: ...").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSql } from '../../../src/rules/sql/parser.js';
import { tokenize } from '../../../src/rules/sql/lexer.js';
import { SqlSyntaxError } from '../../../src/rules/sql/errors.js';
import { compileSql } from '../../../src/rules/sql/sql.js';

function syntaxError(sql: string): SqlSyntaxError {
  try {
    compileSql(sql, 'r');
  } catch (error) {
    assert.ok(error instanceof SqlSyntaxError, `expected a SqlSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(sql)} to be refused`);
}

test('lexer - single quotes are strings, double quotes names, keywords any case, comments skipped, ranges one token', () => {
  const tokens = tokenize(`select "t/#", 'it''s', x -- comment\n FROM [1..-2] div 1.5e3`);
  assert.deepEqual(
    tokens.map((token) => [token.kind, 'value' in token ? token.value : token.kind === 'range' ? `${token.begin}..${token.end}` : '']),
    [
      ['keyword', 'SELECT'],
      ['name', 't/#'],
      ['punctuation', ','],
      ['string', "it's"],
      ['punctuation', ','],
      ['name', 'x'],
      ['keyword', 'FROM'],
      ['range', '1..-2'],
      ['punctuation', 'div'],
      ['float', 1500],
      ['end', ''],
    ],
  );
  assert.deepEqual(tokens[6]!.at, { line: 2, column: 2 });
});

test('parser - SELECT fields with AS and bare aliases, *, paths, indexes, lists, ranges, functions, CASE and operators', () => {
  const statement = parseSql(
    `SELECT *, payload.a.b AS x, payload.list[1] y, payload.'key with space', a[-1], a[i], [1, 'two'], [1..3], c[2..4],
            emqx_rule_funcs.upper(clientid) AS u, CASE WHEN qos = 1 THEN 'one' ELSE 'other' END AS q, -(1 + 2) * 3 div 2 AS n, a < b AS lt
     FROM "t/#", '$events/client_connected' WHERE NOT a = 1 AND (b IN (1, 2) OR c NOT IN ('x')) AND topic =~ 't/+'`,
  );
  assert.equal(statement.kind, 'select');
  assert.deepEqual(statement.from, ['t/#', '$events/client_connected']);
  const fields = statement.fields;
  assert.equal(fields[0]!.kind, 'all');
  const field = (index: number) => fields[index] as Extract<(typeof fields)[number], { kind: 'field' }>;
  assert.deepEqual(field(1).expression, { kind: 'path', steps: [{ kind: 'key', key: 'payload' }, { kind: 'key', key: 'a' }, { kind: 'key', key: 'b' }], at: { line: 1, column: 11 } });
  assert.deepEqual(field(2).alias, { kind: 'var', name: 'y', at: field(2).alias!.at });
  assert.deepEqual((field(3).expression as { steps: unknown[] }).steps[1], { kind: 'key', key: 'key with space' });
  assert.deepEqual((field(4).expression as { steps: unknown[] }).steps[1], { kind: 'index', index: -1 });
  assert.equal(((field(5).expression as { steps: Array<{ kind: string }> }).steps[1]!).kind, 'indexBy');
  assert.equal(field(6).expression.kind, 'list');
  assert.equal(field(7).expression.kind, 'range');
  assert.equal(field(8).expression.kind, 'getRange');
  assert.deepEqual({ kind: field(9).expression.kind, name: (field(9).expression as { name: string }).name }, { kind: 'call', name: 'emqx_rule_funcs.upper' });
  assert.equal(field(10).expression.kind, 'case');
  assert.equal(field(11).expression.kind, 'arithmetic');
  assert.equal(field(12).expression.kind, 'compare');
  assert.equal(statement.where?.kind, 'and');
});

test('parser - FOREACH with DO and INCASE; aliases into lists ([0] head, [-0] tail)', () => {
  const statement = parseSql('FOREACH payload.sensors AS s DO s.name AS name, 1 AS c[-0], 0 AS c[0] INCASE s.idx >= 1 FROM "t/#" WHERE qos > 0');
  assert.equal(statement.kind, 'foreach');
  if (statement.kind !== 'foreach') return;
  assert.equal(statement.doFields.length, 3);
  const tail = statement.doFields[1] as { alias: { steps: unknown[] } };
  assert.deepEqual(tail.alias.steps[1], { kind: 'index', index: 'tail' });
  const head = statement.doFields[2] as { alias: { steps: unknown[] } };
  assert.deepEqual(head.alias.steps[1], { kind: 'index', index: 'head' });
  assert.equal(statement.incase?.kind, 'compare');
});

test('parser - operator precedence: OR < AND < NOT < comparison < + - < * / div < unary minus', () => {
  const where = parseSql('SELECT 1 FROM "t" WHERE a = 1 OR b = 2 AND NOT c = 3').where!;
  assert.equal(where.kind, 'or');
  assert.equal((where as { right: { kind: string } }).right.kind, 'and');
  const sum = (parseSql('SELECT 1 + 2 * -3 AS x FROM "t"').fields[0] as { expression: { kind: string; operator: string; right: { operator: string; right: { kind: string } } } }).expression;
  assert.equal(sum.operator, '+');
  assert.equal(sum.right.operator, '*');
  assert.equal(sum.right.right.kind, 'negate');
});

test('parser errors - line, column, what was found and what would have fitted', () => {
  const missingFrom = syntaxError('SELECT a, b\nWHERE a = 1');
  assert.deepEqual(missingFrom.position, { line: 2, column: 1 });
  assert.deepEqual(missingFrom.expected, ["','", 'FROM']);
  assert.equal(missingFrom.found, 'WHERE');
  assert.equal(missingFrom.message, "line 2, column 1: expected ',' or FROM, found WHERE");

  const dangling = syntaxError('SELECT a FROM "t" WHERE');
  assert.equal(dangling.message, 'line 1, column 24: expected an expression, found end of input');

  const typo = syntaxError('SELECT a FROM "t" WHER a = 1');
  assert.equal(typo.message, "line 1, column 19: expected WHERE, ',' or end of input, found 'WHER'");

  const unclosed = syntaxError("SELECT 'abc FROM \"t\"");
  assert.match(unclosed.message, /line 1, column 8: unterminated string/);

  const caseWithoutEnd = syntaxError('SELECT CASE WHEN a = 1 THEN 2 FROM "t"');
  assert.deepEqual(caseWithoutEnd.expected, ['WHEN', 'ELSE', 'END']);
  assert.equal(caseWithoutEnd.found, 'FROM');

  const badChar = syntaxError('SELECT a ; FROM "t"');
  assert.match(badChar.message, /line 1, column 10: unexpected character ';'/);

  const emptyFrom = syntaxError('SELECT a FROM');
  assert.match(emptyFrom.message, /expected a topic filter or event in quotes/);

  assert.match(syntaxError('').message, /the SQL is empty: expected SELECT or FOREACH/);
  assert.equal(syntaxError('UPDATE t SET a = 1').message, "line 1, column 1: expected SELECT or FOREACH, found 'UPDATE'");
  assert.equal(syntaxError('SELECT a = b = c FROM "t"').message, "line 1, column 14: expected ',' or FROM, found '='");
  assert.equal(syntaxError('SELECT f(a FROM "t"').found, 'FROM');
});

test('compile errors - unknown functions, wrong arities and unsupported EMQX functions name the position', () => {
  assert.equal(syntaxError('SELECT nosuch(a) FROM "t"').message, "line 1, column 8: unknown function nosuch() (see the README's list of functions)");
  assert.equal(syntaxError('SELECT a,\n  upper(a, b) FROM "t"').message, 'line 2, column 3: upper() takes 1 argument, got 2');
  assert.equal(syntaxError('SELECT substr(a) FROM "t"').message, 'line 1, column 8: substr() takes 2 to 3 arguments, got 1');
  assert.match(syntaxError("SELECT jq('.', payload) FROM \"t\"").message, /jq\(\) is not supported by Starling \(needs the jq library\)/);
  assert.match(syntaxError('SELECT other_module.upper(a) FROM "t"').message, /functions of module other_module are not available/);
  assert.equal(syntaxError('SELECT UPPER(a) FROM "t"').message, "line 1, column 8: unknown function UPPER() (see the README's list of functions)");
});
