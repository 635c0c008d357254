// The metrics registry: registration rules, collection, label filtering, and counter cells.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry } from '../../../src/internal.js';

test('metrics registry - a collector is read at every collection, with labels in definition order', () => {
  const metrics = new MetricsRegistry();
  const state = { tcp: 2, ws: 5 };
  metrics.register({ name: 'bytes.sent', help: 'Bytes sent', type: 'counter', labelNames: ['listener'] }, (sample) => {
    sample(state.tcp, { listener: 'tcp' });
    sample(state.ws, { listener: 'ws' });
  });
  assert.deepEqual(metrics.family('bytes.sent'), {
    name: 'bytes.sent',
    help: 'Bytes sent',
    type: 'counter',
    labelNames: ['listener'],
    samples: [
      { labels: { listener: 'tcp' }, value: 2 },
      { labels: { listener: 'ws' }, value: 5 },
    ],
  });
  state.tcp = 10;
  assert.equal(metrics.value('bytes.sent'), 15, 'the sum of every sample, read now');
  assert.equal(metrics.value('bytes.sent', { listener: 'tcp' }), 10);
  assert.equal(metrics.value('bytes.sent', { listener: 'wss' }), 0, 'no sample matches');
  assert.equal(metrics.family('no.such'), undefined);
  assert.throws(() => metrics.value('no.such'), /no metric named no\.such/);
});

test('metrics registry - collect lists every metric in registration order', () => {
  const metrics = new MetricsRegistry();
  metrics.register({ name: 'b.gauge', help: 'B', type: 'gauge' }, (sample) => sample(1));
  metrics.register({ name: 'a.counter', help: 'A', type: 'counter' }, (sample) => sample(2));
  assert.deepEqual(
    metrics.collect().map((family) => [family.name, family.type, family.samples[0]!.value]),
    [
      ['b.gauge', 'gauge', 1],
      ['a.counter', 'counter', 2],
    ],
  );
});

test('metrics registry - bad names, duplicate names and bad labels are refused', () => {
  const metrics = new MetricsRegistry();
  assert.throws(() => metrics.register({ name: 'Bytes Sent', help: '', type: 'counter' }, () => {}), /not lower-case dotted words/);
  assert.throws(() => metrics.register({ name: 'x', help: '', type: 'counter', labelNames: ['Listener'] }, () => {}), /label name/);
  metrics.register({ name: 'x', help: '', type: 'counter', labelNames: ['reason'] }, (sample) => sample(1, { listener: 'tcp' }));
  assert.throws(() => metrics.register({ name: 'x', help: '', type: 'gauge' }, () => {}), /registered twice/);
  assert.throws(() => metrics.collect(), /sample lacks label reason/);
  metrics.register({ name: 'y', help: '', type: 'counter' }, (sample) => sample(1, { extra: 'a' }));
  assert.throws(() => metrics.family('y'), /labels beyond none/);
});

test('metrics registry - a reading registers one unlabelled sample, read at collection', () => {
  const metrics = new MetricsRegistry();
  let connected = 3;
  metrics.registerReading({ name: 'clients.connected', help: 'Connected', type: 'gauge' }, () => connected);
  assert.equal(metrics.value('clients.connected'), 3);
  connected = 5;
  assert.deepEqual(metrics.family('clients.connected')!.samples, [{ labels: {}, value: 5 }]);
});
