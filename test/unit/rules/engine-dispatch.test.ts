// Which rules a published message runs, through a broker core's publish path: the engine keeps the
// rule index's answer per topic, so random sequences of rule changes (added, replaced, disabled,
// removed) and publishes must run exactly the rules a plain filter match says, each once, never
// for $SYS topics. Rules whose WHEREs start with the same condition share its answer per message:
// their outputs and counters must be what each rule gives on its own. Also: the payload fields the
// rules read follow the rules as they change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pino } from 'pino';
import { BrokerCore } from '../../../src/broker/broker.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { createMessage } from '../../../src/core/message.js';
import { topicMatches } from '../../../src/core/topic.js';
import { RuleEngine } from '../../../src/rules/engine.js';
import { compileSql } from '../../../src/rules/sql/sql.js';
import { EvaluationScope, columnsOf } from '../../../src/rules/sql/scope.js';
import { jsonEncode, type Value } from '../../../src/rules/sql/values.js';

function engineOnCore(): { core: BrokerCore; engine: RuleEngine } {
  const core = new BrokerCore(defaultConfig());
  const engine = new RuleEngine({ core, logger: pino({ level: 'silent' }), nodeName: 'test', connector: () => undefined, connectedClients: () => [] });
  return { core, engine };
}

const FILTERS = ['t/#', 't/+', 't/a', '+/a', '#', '$SYS/#', 'u/+/c', 't/a/#', '$other/+'];
const TOPICS = ['t/a', 't/b', 't', 'u/b/c', 't/a/b', '$SYS/x', '$other/x', 'a'];
const IDS = ['r1', 'r2', 'r3'];

type Operation =
  | { kind: 'upsert'; id: string; from: string[]; enable: boolean }
  | { kind: 'remove'; id: string }
  | { kind: 'publish'; topic: string };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('upsert' as const), id: fc.constantFrom(...IDS), from: fc.subarray(FILTERS, { minLength: 1, maxLength: 3 }), enable: fc.boolean() }),
  fc.record({ kind: fc.constant('remove' as const), id: fc.constantFrom(...IDS) }),
  { arbitrary: fc.record({ kind: fc.constant('publish' as const), topic: fc.constantFrom(...TOPICS) }), weight: 4 },
);

test('property - a message runs each enabled rule whose FROM matches its topic once, across rule changes', () => {
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
      const { core, engine } = engineOnCore();
      const model = new Map<string, { from: string[]; enable: boolean; matched: number }>();
      for (const step of operations) {
        if (step.kind === 'upsert') {
          const sql = `SELECT payload.a AS a FROM ${step.from.map((filter) => JSON.stringify(filter)).join(', ')}`;
          engine.upsert({ id: step.id, sql, enable: step.enable }, 'store');
          model.set(step.id, { from: step.from, enable: step.enable, matched: model.get(step.id)?.matched ?? 0 });
        } else if (step.kind === 'remove') {
          engine.remove(step.id);
          model.delete(step.id);
        } else {
          core.publish(createMessage({ topic: step.topic, payload: '{"a": 1}' }, 'c1', 'test'));
          if (step.topic.startsWith('$SYS/')) continue;
          for (const rule of model.values()) if (rule.enable && rule.from.some((filter) => topicMatches(filter, step.topic))) rule.matched++;
        }
      }
      for (const id of IDS) assert.equal(engine.get(id)?.metrics.matched, model.get(id)?.matched, `${id} after ${JSON.stringify(operations)}`);
      engine.close();
    }),
    { numRuns: 300 },
  );
});

test('more topics than the engine remembers (10,000): every message still runs exactly the rules that match it', () => {
  const { core, engine } = engineOnCore();
  engine.upsert({ id: 's', sql: 'SELECT 1 AS one FROM "s/#"' }, 'store');
  engine.upsert({ id: 'odd', sql: 'SELECT 1 AS one FROM "s/+/odd", "s/+/#"' }, 'store');
  let s = 0;
  let odd = 0;
  const publish = (topic: string): void => {
    core.publish(createMessage({ topic, payload: '{}' }, 'c1', 'test'));
    if (topic.startsWith('s/')) s++;
    if (topicMatches('s/+/odd', topic) || topicMatches('s/+/#', topic)) odd++;
  };
  // Distinct topics past the limit (the engine stops keeping them), then a few topics over and over.
  for (let index = 0; index < 32_000; index++) publish(index % 3 === 0 ? `other/${index}` : index % 2 === 0 ? `s/${index}` : `s/${index}/odd`);
  for (let index = 0; index < 5_000; index++) publish(['s/1', 's/2/odd', 'x'][index % 3]!);
  engine.upsert({ id: 'late', sql: 'SELECT 1 AS one FROM "s/#"' }, 'store');
  for (let index = 0; index < 3_000; index++) publish(`s/${index}`);
  assert.equal(engine.get('s')!.metrics.matched, s);
  assert.equal(engine.get('odd')!.metrics.matched, odd);
  assert.equal(engine.get('late')!.metrics.matched, 3_000);
  engine.close();
});

test('a rule added later reads its own payload keys, and one that reads the whole payload still gets it', async () => {
  const { core, engine } = engineOnCore();
  const republish = (id: string) => [{ function: 'republish', args: { topic: `out/${id}`, payload: '${.}' } }];
  const outputs: Record<string, unknown[]> = { temp: [], unit: [], whole: [] };
  core.events.on('message.published', ({ message }) => {
    if (message.topic.startsWith('out/')) outputs[message.topic.slice(4)]!.push(JSON.parse(message.payload.toString()));
  });
  engine.upsert({ id: 'temp', sql: 'SELECT payload.temp AS temp FROM "s/#"', actions: republish('temp') }, 'store');
  core.publish(createMessage({ topic: 's/1', payload: '{"temp": 20, "unit": "C", "list": [5, 6]}' }, 'c1', 'test'));
  engine.upsert({ id: 'unit', sql: 'SELECT payload.unit AS unit, payload.temp AS temp FROM "s/#" WHERE payload.temp > 25', actions: republish('unit') }, 'store');
  engine.upsert({ id: 'whole', sql: 'SELECT payload[1] AS first, payload.list[2] AS second FROM "s/#"', actions: republish('whole') }, 'store');
  core.publish(createMessage({ topic: 's/2', payload: '{"temp": 30, "unit": "F", "list": [7, 8]}' }, 'c1', 'test'));
  core.publish(createMessage({ topic: 's/3', payload: 'not json' }, 'c1', 'test'));
  await engine.runner.idle();
  assert.deepEqual(outputs, { temp: [{ temp: 20 }, { temp: 30 }], unit: [{ unit: 'F', temp: 30 }], whole: [{ first: null, second: 8 }] });
  assert.equal(engine.get('temp')!.metrics.failedException, 1, 'a payload that is not JSON fails a rule that reads a field of it');
  assert.equal(engine.get('whole')!.metrics.failedException, 1);
  engine.close();
});

const CONDITIONS = [
  'payload.temp > 50',
  "payload.unit = 'C'",
  "topic =~ 's/+'",
  'payload.list[1] = 1',
  'qos = 0',
  "metadata.rule_id = 'r1'",
  "upper(payload.unit) = 'C'",
  'payload.temp < 80',
];
const PAYLOADS = [
  '{"temp": 60, "unit": "C", "list": [1, 2]}',
  '{"temp": 40, "unit": "F", "list": [2]}',
  '{"temp": "hot", "unit": "C"}',
  '{"temp": "70", "unit": "C", "list": [1]}',
  '{"unit": "C"}',
  'not json',
  '[1, 2]',
  ' {"temp" : 99.5 , "temp": 10} ',
];

test('property - rules starting with the same condition share its answer, with the outputs and counters each gives alone', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...CONDITIONS), fc.option(fc.tuple(fc.constantFrom('AND', 'OR'), fc.constantFrom(...CONDITIONS)), { nil: undefined })), { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.constantFrom('s/a', 's/b/c'), fc.constantFrom(...PAYLOADS)), { minLength: 1, maxLength: 6 }),
      async (wheres, messages) => {
        const { core, engine } = engineOnCore();
        const got = new Map<string, unknown[]>();
        core.events.on('message.published', ({ message }) => {
          if (message.topic.startsWith('out/')) got.get(message.topic.slice(4))!.push(JSON.parse(message.payload.toString()));
        });
        const rules = wheres.map(([first, rest], index) => {
          const id = `r${index + 1}`;
          const sql = `SELECT payload.temp AS temp, clientid FROM "s/#" WHERE ${first}${rest === undefined ? '' : ` ${rest[0]} ${rest[1]}`}`;
          engine.upsert({ id, sql, actions: [{ function: 'republish', args: { topic: `out/${id}`, payload: '${.}' } }] }, 'store');
          got.set(id, []);
          return { id, sql, compiled: compileSql(sql, id), expected: [] as unknown[], passed: 0, exception: 0, noResult: 0 };
        });
        for (const [topic, payload] of messages) {
          core.publish(createMessage({ topic, payload }, 'c1', 'test'));
          const { columns, names } = columnsOf({ payload, topic, qos: 0, clientid: 'c1' });
          for (const rule of rules) {
            let output: Value;
            try {
              output = rule.compiled.evaluate(new EvaluationScope(columns, names)) as Value;
            } catch {
              rule.exception++;
              continue;
            }
            if (output === undefined) rule.noResult++;
            else {
              rule.passed++;
              rule.expected.push(JSON.parse(jsonEncode(output)));
            }
          }
        }
        await engine.runner.idle();
        for (const rule of rules) {
          const metrics = engine.get(rule.id)!.metrics;
          const counts = { matched: metrics.matched, passed: metrics.passed, exception: metrics.failedException, noResult: metrics.failedNoResult };
          assert.deepEqual(counts, { matched: messages.length, passed: rule.passed, exception: rule.exception, noResult: rule.noResult }, rule.sql);
          assert.deepEqual(got.get(rule.id), rule.expected, rule.sql);
        }
        engine.close();
      },
    ),
    { numRuns: 200 },
  );
});

test('only a first condition on input fields is shared: not one naming the rule (metadata) or calling a function', () => {
  const shared = (where: string): boolean => compileSql(`SELECT 1 AS x FROM "t/#" WHERE ${where}`, 'r').sharedCondition !== undefined;
  assert.equal(shared('payload.temp > 50 AND qos = 1'), true);
  assert.equal(shared("topic =~ 't/+'"), true);
  assert.equal(shared("metadata.rule_id = 'r' AND qos = 1"), false);
  assert.equal(shared("upper(payload.unit) = 'C'"), false);
  assert.equal(shared('payload.temp > 50 OR qos = 1'), false);
  assert.equal(compileSql('SELECT 1 AS temp FROM "t/#" WHERE temp > 0', 'r').sharedCondition, undefined, 'a WHERE reading a selected field runs after SELECT');
  assert.equal(compileSql('SELECT payload.temp FROM "t/#" WHERE payload.temp > 50', 'r').sharedCondition, undefined, 'WHERE sees the selected payload.temp over the input');
  assert.equal(
    compileSql('SELECT clientid AS who FROM "t/#" WHERE payload.temp > 50', 'a').sharedCondition?.key,
    compileSql('SELECT clientid FROM "t/#"  WHERE  payload.temp>50 AND qos = 2', 'b').sharedCondition?.key,
  );
});
