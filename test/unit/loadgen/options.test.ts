// `starling bench` argument parsing and scenario planning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BenchUsageError, parseBenchArguments, type BenchOptions } from '../../../src/loadgen/options.js';
import { planScenario, splitPlan } from '../../../src/loadgen/plan.js';
import { SequenceSet } from '../../../src/loadgen/sequence-set.js';

function parse(argv: string[]): BenchOptions {
  const parsed = parseBenchArguments(argv);
  assert.equal(parsed.help, false);
  if (parsed.help) throw new Error('unreachable');
  return parsed.options;
}

test('options - flags in both spellings and --flag=value', () => {
  const options = parse(['pairs', '-p', '1884', '--qos=2', '-V', '5', '-c', '100', '--size', '64', '--rate', '20000',
    '--source', '127.0.0.1,127.0.0.2', '--nodelay', 'false', '-w', '2', '--json']);
  assert.equal(options.scenario, 'pairs');
  assert.equal(options.port, 1884);
  assert.equal(options.qos, 2);
  assert.equal(options.protocolVersion, 5);
  assert.equal(options.clients, 100);
  assert.equal(options.payloadSize, 64);
  assert.equal(options.rate, 20_000);
  assert.deepEqual(options.sourceAddresses, ['127.0.0.1', '127.0.0.2']);
  assert.equal(options.noDelay, false);
  assert.equal(options.workers, 2);
  assert.equal(options.json, true);
});

test('options - help, unknown scenario, out-of-range values', () => {
  assert.deepEqual(parseBenchArguments([]), { help: true });
  assert.deepEqual(parseBenchArguments(['pub', '--help']), { help: true });
  assert.throws(() => parseBenchArguments(['flood']), BenchUsageError);
  assert.throws(() => parseBenchArguments(['pub', '--qos', '3']), /--qos must be a number from 0 to 2/);
  assert.throws(() => parseBenchArguments(['pub', '--size', '8']), /--size/);
  assert.throws(() => parseBenchArguments(['pub', '--clients', '1.5']), /whole number/);
  assert.throws(() => parseBenchArguments(['pub', '--protocol', '4.0']), /--protocol/);
  assert.throws(() => parseBenchArguments(['pub', '--bogus']), /unknown option '--bogus'/);
  assert.throws(() => parseBenchArguments(['pub', '--port']), /--port needs a value/);
});

test('plan - pairs: subscriber i expects publisher i on topic i', () => {
  const plan = planScenario(parse(['pairs', '-c', '3', '-t', 'load/%i/x']));
  assert.deepEqual(plan.subscribers.map((entry) => [entry.filter, entry.expects]), [
    ['load/0/x', [0]], ['load/1/x', [1]], ['load/2/x', [2]],
  ]);
  assert.deepEqual(plan.publishers.map((entry) => entry.topic), ['load/0/x', 'load/1/x', 'load/2/x']);
});

test('plan - fanin subscribes a wildcard; fanout shares one topic', () => {
  const fanin = planScenario(parse(['fanin', '-c', '50']));
  assert.equal(fanin.publishers.length, 50);
  assert.deepEqual(fanin.subscribers.map((entry) => [entry.filter, entry.expects]), [['bench/+', 'all']]);
  const fanout = planScenario(parse(['fanout', '-c', '1000']));
  assert.equal(fanout.subscribers.length, 1000);
  assert.deepEqual(fanout.publishers.map((entry) => entry.topic), ['bench/0']);
});

test('plan - split across workers keeps every client exactly once and pairs together', () => {
  const plan = planScenario(parse(['pairs', '-c', '10']));
  const parts = splitPlan(plan, 3);
  assert.equal(parts.reduce((total, part) => total + part.publishers.length, 0), 10);
  for (const part of parts) {
    assert.deepEqual(part.publishers.map((entry) => entry.publisherId), part.subscribers.map((entry) => entry.subscriberId));
  }
  const conn = splitPlan(planScenario(parse(['conn', '-c', '10'])), 3);
  assert.deepEqual(conn.map((part) => [part.firstConnectionIndex, part.connections]), [[0, 4], [4, 3], [7, 3]]);
});

test('sequence set - duplicates, ranges and gaps', () => {
  const set = new SequenceSet();
  assert.equal(set.add(5), true);
  assert.equal(set.add(5), false);
  for (const sequence of [6, 7, 9, 20_000]) set.add(sequence);
  assert.equal(set.countInRange(0, 10), 4);
  assert.equal(set.countInRange(5, 8), 3);
  assert.equal(set.unique, 5);
  assert.equal(set.gaps(), 20_001 - 5 - 5);
});
