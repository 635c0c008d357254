// LocalRouter against ReferenceRouter: for random subscriptions (overlapping, shared, No Local, with and
// without Subscription Identifiers) and topics, both visit the same subscribers with the same outcome.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LocalRouter } from '../../../src/internal.js';
import type { Router } from '../../../src/internal.js';
import type { QoS } from '../../../src/internal.js';
import { createMessage } from '../../../src/internal.js';
import type { Subscriber } from '../../../src/internal.js';
import { createSubscription, type Subscription } from '../../../src/internal.js';
import { ReferenceRouter } from './reference-router.js';

class TestSubscriber implements Subscriber {
  constructor(
    readonly clientId: string,
    readonly connected: boolean,
  ) {}
  deliver(): void {}
}

const subscribers = [new TestSubscriber('c0', true), new TestSubscriber('c1', true), new TestSubscriber('c2', false)];
const level = fc.constantFrom('a', 'b', '', '$SYS');
const filter = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', '', '$SYS', '+'), { minLength: 0, maxLength: 3 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));
const subscriptionSpec = fc.record({
  subscriber: fc.integer({ min: 0, max: 2 }),
  filter,
  group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
  qos: fc.constantFrom<QoS>(0, 1, 2),
  noLocal: fc.boolean(),
  retainAsPublished: fc.boolean(),
  identifier: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
});

type Visit = { client: string | undefined; qos: QoS; retain: boolean; ids: string; group: string | undefined };

function visits(router: Router, topic: string, qos: QoS, retain: boolean, from: string | undefined): { count: number; visits: Visit[] } {
  const seen: Visit[] = [];
  const message = createMessage({ topic, payload: 'x', qos, retain }, from, 'test');
  const count = router.match(message, (_message, subscriber, grantedQoS, retainFlag, ids, group) => {
    // Which member of a shared group is picked is the strategy's business: compare the group, not the member
    // (nor what depends on the member: its QoS and identifier).
    if (group !== undefined) seen.push({ client: '(member)', qos: 0, retain: retainFlag, ids: '(member)', group });
    else seen.push({ client: subscriber.clientId, qos: grantedQoS, retain: retainFlag, ids: JSON.stringify(ids?.slice().sort()), group });
  });
  return { count, visits: seen.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) };
}

test('router - LocalRouter visits the subscribers ReferenceRouter visits, with the same QoS, RETAIN and identifiers', () => {
  fc.assert(
    fc.property(
      fc.array(subscriptionSpec, { maxLength: 25 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.constantFrom<QoS>(0, 1, 2), fc.boolean(), fc.constantFrom('c0', 'c1', undefined)), { minLength: 1, maxLength: 8 }),
      (specs, removals, publishes) => {
        const local = new LocalRouter('round_robin');
        const reference = new ReferenceRouter();
        // One subscription per (subscriber, topic filter), as a session keeps them; shared members also one per group.
        const bySubscriberAndFilter = new Map<string, Subscription>();
        for (const spec of specs) {
          const topicFilter = spec.group === undefined ? spec.filter : `$share/${spec.group}/${spec.filter}`;
          const subscription = createSubscription(subscribers[spec.subscriber]!, { topicFilter, qos: spec.qos, noLocal: spec.group === undefined && spec.noLocal, retainAsPublished: spec.retainAsPublished, retainHandling: 0 }, spec.identifier);
          const key = `${spec.subscriber} ${topicFilter}`;
          const existing = bySubscriberAndFilter.get(key);
          if (existing !== undefined) {
            local.remove(existing);
            reference.remove(existing);
          }
          bySubscriberAndFilter.set(key, subscription);
          assert.equal(local.add(subscription), reference.add(subscription));
        }
        const all = [...bySubscriberAndFilter.values()];
        for (const index of removals) {
          const subscription = all[index % Math.max(1, all.length)];
          if (subscription === undefined) continue;
          assert.equal(local.remove(subscription), reference.remove(subscription));
        }
        assert.equal(local.size, reference.size);
        for (const [levels, qos, retain, from] of publishes) {
          const topic = levels.join('/');
          assert.deepEqual(visits(local, topic, qos, retain, from), visits(reference, topic, qos, retain, from), `topic ${JSON.stringify(topic)}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('router - filter callbacks fire on the first subscription of a filter and after its last, shared groups included', () => {
  for (const router of [new LocalRouter('round_robin'), new ReferenceRouter()]) {
    const events: string[] = [];
    router.onFilterAdded = (f) => events.push(`+${f}`);
    router.onFilterRemoved = (f) => events.push(`-${f}`);
    const a = createSubscription(subscribers[0]!, { topicFilter: 'x/+', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }, undefined);
    const b = createSubscription(subscribers[1]!, { topicFilter: 'x/+', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }, undefined);
    const shared = createSubscription(subscribers[2]!, { topicFilter: '$share/g/y', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }, undefined);
    router.add(a);
    router.add(b);
    router.add(shared);
    router.remove(a);
    router.remove(b);
    router.remove(shared);
    assert.deepEqual(events, ['+x/+', '+y', '-x/+', '-y'], router.constructor.name);
  }
});

test('router - a publish made while a match is visiting (a nested publish) routes both correctly', () => {
  const router = new LocalRouter('round_robin');
  const got: string[] = [];
  const nested = createMessage({ topic: 'n', payload: 'x', qos: 1 }, undefined, 'test');
  const outer = createMessage({ topic: 'o', payload: 'x', qos: 2 }, undefined, 'test');
  const recorder = (name: string): Subscriber => ({ clientId: name, connected: true, deliver: () => {} });
  const first = recorder('first');
  const second = recorder('second');
  for (const [subscriber, topicFilter, qos] of [[first, 'o', 2], [second, 'o', 1], [second, '#', 0], [first, 'n', 1]] as const) {
    router.add(createSubscription(subscriber, { topicFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0 }, undefined));
  }
  router.match(outer, (_message, subscriber, qos) => {
    got.push(`outer ${subscriber.clientId} ${qos}`);
    if (subscriber === first) router.match(nested, (_inner, inner, innerQoS) => got.push(`nested ${inner.clientId} ${innerQoS}`));
  });
  assert.deepEqual(got.sort(), ['nested first 1', 'nested second 0', 'outer first 2', 'outer second 1']);
});
