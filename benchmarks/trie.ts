// Benchmark of topic matching: TopicTrie.match with 100k mixed subscriptions over 1M published topics, and
// RetainedIndex insert/match at 1M retained topics. Run: node dist/benchmarks/trie.js

import { performance } from 'node:perf_hooks';
import { TopicTrie } from '../src/internal.js';
import { RetainedIndex } from '../src/internal.js';

// A small deterministic PRNG (mulberry32) so runs are comparable.
function createRandom(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * limit);
  };
}

interface Scenario {
  readonly name: string;
  readonly buildings: number;
  readonly devices: number;
}

// Dense: every topic matches many filters (wide fan-out). Sparse: a large device space, few matches per topic,
// so the time is the lookup itself.
const scenarios: readonly Scenario[] = [
  { name: 'dense (100 buildings x 1000 devices)', buildings: 100, devices: 1000 },
  { name: 'sparse (1000 buildings x 10000 devices)', buildings: 1000, devices: 10_000 },
];
const metrics = ['temperature', 'humidity', 'pressure', 'co2', 'voltage', 'current', 'power', 'status', 'rssi', 'battery'];

function metric(random: (limit: number) => number): string {
  return metrics[random(metrics.length)]!;
}

function buildSubscriptionFilters(count: number, { buildings, devices }: Scenario, random: (limit: number) => number): string[] {
  const filters: string[] = [];
  for (let index = 0; index < count; index++) {
    const kind = random(100);
    const building = random(buildings);
    const device = random(devices);
    if (kind < 70) filters.push(`sensors/${building}/${device}/${metric(random)}`);
    else if (kind < 77) filters.push(`sensors/+/${device}/${metric(random)}`);
    else if (kind < 84) filters.push(`sensors/${building}/+/${metric(random)}`);
    else if (kind < 90) filters.push(`sensors/${building}/${device}/+`);
    else if (kind < 99) filters.push(`sensors/${building}/${device}/#`);
    else filters.push(`sensors/${building}/#`);
  }
  return filters;
}

/** A template literal builds a rope (ConsString) that V8 flattens on first hashing; a topic decoded from a
 *  PUBLISH packet is a flat string, so the bench gives its topics the same shape. */
function asDecoded(topic: string): string {
  return Buffer.from(topic).toString('utf8');
}

function formatRate(count: number, milliseconds: number): string {
  return `${Math.round((count / milliseconds) * 1000).toLocaleString('en-US')}/s`;
}

function benchSubscriptionTrie(scenario: Scenario): void {
  const { buildings, devices } = scenario;
  const random = createRandom(42);
  const subscriptionCount = 100_000;
  const topicCount = 1_000_000;
  const filters = buildSubscriptionFilters(subscriptionCount, scenario, random);
  const trie = new TopicTrie<number>();
  let started = performance.now();
  for (let index = 0; index < filters.length; index++) trie.add(filters[index]!, index);
  const addMilliseconds = performance.now() - started;

  const topics: string[] = new Array<string>(topicCount);
  for (let index = 0; index < topicCount; index++) {
    topics[index] = asDecoded(`sensors/${random(buildings)}/${random(devices)}/${metric(random)}`);
  }

  let visits = 0;
  const visit = (): void => {
    visits++;
  };
  // Warm-up so the JIT has settled before timing.
  for (let index = 0; index < 100_000; index++) trie.match(topics[index]!, visit);
  visits = 0;
  started = performance.now();
  for (let index = 0; index < topicCount; index++) trie.match(topics[index]!, visit);
  const matchMilliseconds = performance.now() - started;

  console.log(`TopicTrie, ${scenario.name}: ${subscriptionCount.toLocaleString('en-US')} subscriptions (70% exact, 20% '+', 10% '#')`);
  console.log(`  add all:          ${addMilliseconds.toFixed(0)} ms`);
  console.log(`  match 1M topics:  ${matchMilliseconds.toFixed(0)} ms -> ${formatRate(topicCount, matchMilliseconds)} topics matched, ${(visits / topicCount).toFixed(2)} values per topic (${formatRate(visits, matchMilliseconds)} values)`);

  // Hot topics: the same 1,000 topics over and over, the case a topic -> values cache would serve.
  started = performance.now();
  for (let index = 0; index < topicCount; index++) trie.match(topics[index % 1000]!, visit);
  const hotMilliseconds = performance.now() - started;
  console.log(`  match 1M over 1k hot topics: ${hotMilliseconds.toFixed(0)} ms -> ${formatRate(topicCount, hotMilliseconds)}`);
}

function benchRetainedIndex(): void {
  // 1000 x 100 x 10 = 1M topics: sensors/<0..999>/<0..99>/<metric>
  const topics: string[] = [];
  for (let first = 0; first < 1000; first++) {
    for (let second = 0; second < 100; second++) {
      for (const name of metrics) topics.push(asDecoded(`sensors/${first}/${second}/${name}`));
    }
  }
  const index = new RetainedIndex<number>();
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  for (let position = 0; position < topics.length; position++) index.set(topics[position]!, position);
  const insertMilliseconds = performance.now() - started;
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`RetainedIndex: ${index.size.toLocaleString('en-US')} topics`);
  console.log(`  insert all:       ${insertMilliseconds.toFixed(0)} ms -> ${formatRate(topics.length, insertMilliseconds)} (${heapNote(heapAfter - heapBefore)})`);

  for (const filter of ['sensors/+/42/#', 'sensors/17/#', 'sensors/17/42/temperature', 'sensors/+/+/co2', '#']) {
    let found = 0;
    const visit = (): void => {
      found++;
    };
    index.match(filter, visit); // warm-up
    found = 0;
    const repetitions = filter === '#' || filter === 'sensors/+/+/co2' ? 3 : 20;
    started = performance.now();
    for (let repetition = 0; repetition < repetitions; repetition++) index.match(filter, visit);
    const milliseconds = (performance.now() - started) / repetitions;
    console.log(`  match ${filter.padEnd(27)} ${String(found / repetitions).padStart(8)} messages in ${milliseconds.toFixed(3)} ms`);
  }

  started = performance.now();
  for (let position = 0; position < topics.length; position += 2) index.delete(topics[position]!);
  const deleteMilliseconds = performance.now() - started;
  console.log(`  delete half:      ${deleteMilliseconds.toFixed(0)} ms -> ${formatRate(topics.length / 2, deleteMilliseconds)}`);
}

/** Heap numbers mean something only after a full collection: run with `node --expose-gc` to get them. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function heapNote(bytes: number): string {
  if ((globalThis as { gc?: () => void }).gc === undefined) return 'heap: run with --expose-gc';
  return `heap +${(bytes / 1048576).toFixed(0)} MB`;
}

for (const scenario of scenarios) benchSubscriptionTrie(scenario);
benchRetainedIndex();
