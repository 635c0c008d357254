// The route table: a topic's destinations are exactly the nodes whose filters match it (MQTT matching,
// against a naive matcher for random filters and topics), this node apart; overlapping filters of a node
// give it once; shared groups list the nodes with members and are picked in turn; removals, snapshots and
// forgetting a node change what later lookups answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { topicMatches } from '../../../src/internal.js';
import { filterEntry, groupEntry, RouteTable } from '../../../src/cluster/route-table.js';

const level = fc.constantFrom('', 'a', 'b', '$SYS', 'c.d');
const topicName = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const topicFilter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 3 }), fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));
const nodes = ['self', 'n1', 'n2', 'n3'];

test('route table - destinations are the nodes with a matching filter (random filters and topics)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...nodes), topicFilter), { maxLength: 12 }), fc.array(topicName, { minLength: 1, maxLength: 10 }), (routes, topics) => {
      const table = new RouteTable('self');
      for (const [node, filter] of routes) table.add(node, filterEntry(filter));
      for (const topic of topics) {
        const expected = new Set(routes.filter(([, filter]) => topicMatches(filter, topic)).map(([node]) => node));
        const destinations = table.lookup(topic);
        assert.equal(destinations.self, expected.has('self'), `${topic}: self`);
        expected.delete('self');
        assert.deepEqual([...destinations.nodes].sort(), [...expected].sort(), `${topic}: ${JSON.stringify(routes)}`);
        assert.equal(table.lookup(topic), destinations, 'a second lookup is the remembered one');
      }
    }),
    { numRuns: 2000 },
  );
});

test('route table - overlapping filters of one node give it once; removals and snapshots change later lookups', () => {
  const table = new RouteTable('self');
  table.add('n1', filterEntry('a/+'));
  table.add('n1', filterEntry('a/#'));
  table.add('n2', filterEntry('a/b'));
  assert.deepEqual([...table.lookup('a/b').nodes].sort(), ['n1', 'n2']);
  assert.equal(table.add('n1', filterEntry('a/#')), false, 'an entry a node has already');
  table.remove('n1', filterEntry('a/+'));
  assert.deepEqual([...table.lookup('a/b').nodes].sort(), ['n1', 'n2'], 'a/# still matches');
  table.replace('n1', [filterEntry('x')]);
  assert.deepEqual(table.lookup('a/b').nodes, ['n2']);
  assert.deepEqual(table.lookup('x').nodes, ['n1']);
  table.forget('n2');
  assert.deepEqual(table.lookup('a/b').nodes, []);
  assert.deepEqual(table.nodes(), ['n1']);
  assert.deepEqual([...table.entries('n1')], [filterEntry('x')]);
});

test('route table - shared groups: the nodes with members, picked in turn; a group without members is gone', () => {
  const table = new RouteTable('self');
  table.add('n2', groupEntry('g/jobs/+'));
  table.add('self', groupEntry('g/jobs/+'));
  table.add('n1', groupEntry('g/jobs/+'));
  table.add('n1', groupEntry('h/jobs/#'));
  const { groups, nodes: ordinary, self } = table.lookup('jobs/1');
  assert.deepEqual(ordinary, []);
  assert.equal(self, false, 'shared members are no ordinary interest');
  assert.deepEqual(groups.map((group) => group.key).sort(), ['g/jobs/+', 'h/jobs/#']);
  const g = groups.find((group) => group.key === 'g/jobs/+')!;
  assert.deepEqual(Array.from({ length: 6 }, () => g.pick()), ['n1', 'n2', 'self', 'n1', 'n2', 'self']);
  table.remove('n2', groupEntry('g/jobs/+'));
  table.remove('self', groupEntry('g/jobs/+'));
  table.remove('n1', groupEntry('g/jobs/+'));
  assert.deepEqual(table.lookup('jobs/1').groups.map((group) => group.key), ['h/jobs/#']);
  assert.equal(table.lookup('jobs/1/2').groups.length, 1);
  assert.equal(table.lookup('other').groups.length, 0);
});
