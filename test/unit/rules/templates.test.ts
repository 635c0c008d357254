// Templates: `${field}` text (EMQX emqx_template: missing is "undefined", maps as JSON, a JSON string
// decoded on the way down), SQL statements with bound parameters and multi-row batches, InfluxDB line
// protocol with escaping, and the action queue's bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, render, renderValue } from '../../../src/rules/template.js';
import { batchStatement, parseSqlTemplate, sqlParameters } from '../../../src/rules/connectors/sql-template.js';
import { parseLineTemplate, renderLine } from '../../../src/rules/connectors/influxdb.js';
import { ActionRunner } from '../../../src/rules/action-runner.js';
import { RuleMetrics } from '../../../src/rules/metrics.js';
import { createLogger } from '../../../src/internal.js';
import type { ValueMap } from '../../../src/rules/sql/values.js';

const output = { clientid: 'c1', n: 3, ok: true, nested: { a: [1, 2] }, raw: '{"x": {"y": 5}}', nothing: null } as unknown as ValueMap;

test('templates - fields, nested paths, JSON strings decoded on the way, ${.}, ${$}, missing as undefined', () => {
  const text = (source: string) => render(parseTemplate(source), output);
  assert.equal(text('t/${clientid}/${n}'), 't/c1/3');
  assert.equal(text('${ok} ${nothing} ${missing}'), 'true null undefined');
  assert.equal(text('${nested}'), '{"a":[1,2]}');
  assert.equal(text('${raw.x.y}'), '5');
  assert.equal(text('${.clientid}'), 'c1');
  assert.equal(text('cost: ${$}5'), 'cost: $5');
  assert.equal(text('${.}'), JSON.stringify(output));
  assert.deepEqual(renderValue(parseTemplate('${nested.a}'), output), [1, 2]);
  assert.equal(renderValue(parseTemplate('x${n}'), output), 'x3');
});

test('sql templates - placeholders become bound parameters ($n or ?), quotes around them dropped, INSERT batches as one statement', () => {
  const pg = parseSqlTemplate("INSERT INTO t (a, b, c) VALUES (${clientid}, '${n}', ${nested})", 'numbered');
  assert.equal(pg.text, 'INSERT INTO t (a, b, c) VALUES ($1, $2, $3)');
  assert.deepEqual(sqlParameters(pg, output), ['c1', 3, '{"a":[1,2]}']);
  const batch = batchStatement(pg, [['a', 1, 'x'], ['b', 2, 'y']]);
  assert.equal(batch.text, 'INSERT INTO t (a, b, c) VALUES ($1, $2, $3), ($4, $5, $6)');
  assert.deepEqual(batch.values, ['a', 1, 'x', 'b', 2, 'y']);
  const mysql = parseSqlTemplate('INSERT INTO t (a) VALUES (${missing}) ON DUPLICATE KEY UPDATE a = a;', 'question');
  assert.equal(batchStatement(mysql, [[1], [2]]).text, 'INSERT INTO t (a) VALUES (?), (?) ON DUPLICATE KEY UPDATE a = a');
  assert.deepEqual(sqlParameters(mysql, output), [null]);
  const update = parseSqlTemplate('UPDATE t SET a = ${n} WHERE id = ${clientid}', 'numbered');
  assert.equal(update.rows, undefined);
  assert.equal(update.text, 'UPDATE t SET a = $1 WHERE id = $2');
  assert.throws(() => parseSqlTemplate('INSERT INTO t VALUES (${a-b})', 'numbered'), /placeholder holds characters/);
});

test('influxdb line protocol - measurement, escaped tags, typed fields, timestamp; a field without a value is left out', () => {
  const template = parseLineTemplate('temp,device=${clientid},site=${site} value=${v},count=${n}i,label="${label}",on=${ok} ${ts}');
  const line = renderLine(template, { clientid: 'a b', site: 'x,y', v: 21.5, n: 4, label: 'say "hi"', ok: true, ts: 1700000000000 } as unknown as ValueMap);
  assert.equal(line, 'temp,device=a\\ b,site=x\\,y value=21.5,count=4i,label="say \\"hi\\"",on=true 1700000000000');
  assert.equal(renderLine(template, { clientid: 'd', v: 1, label: 'l', ts: 5 } as unknown as ValueMap), 'temp,device=d value=1,label="l" 5');
  assert.throws(() => renderLine(parseLineTemplate('m v=${missing}'), {} as ValueMap), /no field has a value/);
  assert.throws(() => parseLineTemplate('only-a-measurement'), /write_syntax/);
});

test('action queue - past its bound, results are dropped and counted as failed (out of service) on their rule', async () => {
  const runner = new ActionRunner(createLogger({ logLevel: 'silent', logPretty: false }), 3);
  const metrics = new RuleMetrics();
  const ran: unknown[] = [];
  const rule = { id: 'r', metrics, actions: [{ name: 'record', run: (out: ValueMap) => void ran.push(out['n']) }] };
  for (let n = 0; n < 5; n++) runner.enqueue(rule, { n } as unknown as ValueMap, {}, undefined);
  await runner.idle();
  assert.deepEqual(ran, [0, 1, 2]);
  assert.equal(runner.dropped, 2);
  assert.equal(metrics.actionsFailedOutOfService, 2);
  assert.equal(metrics.actionsTotal, 5);
});
