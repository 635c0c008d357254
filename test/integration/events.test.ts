// Broker events: every kind is emitted with one event object, listeners that throw do not hurt the
// publisher, and the 'message.publish' hook rewrites or drops before routing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { ReasonCode, type BrokerEvents } from '../../src/index.js';
import { withChanges } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

type EventName = keyof BrokerEvents;

function record(broker: { on(event: EventName, listener: (event: never) => void): unknown }, names: EventName[]): Array<[EventName, Record<string, unknown>]> {
  const seen: Array<[EventName, Record<string, unknown>]> = [];
  for (const name of names) broker.on(name, (event: never) => seen.push([name, event as Record<string, unknown>]));
  return seen;
}

test('events - a client lifecycle emits connack, session, authorization, delivery, ack and disconnect events with one object each', async () => {
  const server = await startBroker({ acl: { file: '', default: 'allow', rules: [{ permission: 'deny', action: 'publish', topic: 'forbidden' }], disconnectOnDeny: false, cacheSize: 1000 } });
  const names: EventName[] = [
    'client.connack', 'client.connected', 'client.disconnected', 'client.authorized',
    'session.created', 'session.resumed', 'session.taken_over', 'session.terminated',
    'session.subscribed', 'message.published', 'message.delivered', 'message.acked', 'message.dropped',
  ];
  const seen = record(server.broker as never, names);
  try {
    const client = await mqtt.connectAsync(server.url, { clientId: 'ev', protocolVersion: 5, reconnectPeriod: 0, clean: false, properties: { sessionExpiryInterval: 60 } });
    await client.subscribeAsync('ev/t', { qos: 1 });
    await client.publishAsync('ev/t', 'one', { qos: 1 });
    await assert.rejects(client.publishAsync('forbidden', 'no', { qos: 1 }), /Not authorized/);
    await client.publishAsync('nobody', 'none', { qos: 0 });
    await waitFor(() => seen.some(([name]) => name === 'message.acked'), 'the ack');
    // A second connection with the same id takes the session over.
    const second = await mqtt.connectAsync(server.url, { clientId: 'ev', protocolVersion: 5, reconnectPeriod: 0, clean: false });
    await second.endAsync();
    await waitFor(() => seen.some(([name]) => name === 'session.terminated'), 'the session without expiry to end with its connection');
    client.end(true);
    const kinds = new Set(seen.map(([name]) => name));
    for (const name of names) assert.ok(kinds.has(name), `${name} was emitted`);
    const find = (name: EventName, match: (event: Record<string, unknown>) => boolean = () => true) => seen.find(([n, e]) => n === name && match(e))?.[1];
    assert.equal(find('client.connack')!.reasonCode, ReasonCode.Success);
    assert.equal(find('message.published', (e) => (e.message as { topic: string }).topic === 'ev/t')!.publisher && true, true);
    assert.equal((find('message.published')!.publisher as { clientId: string }).clientId, 'ev');
    assert.deepEqual(
      ['publish', 'forbidden', 'deny', 'acl'],
      ((e) => [e.action, e.topic, e.result, e.source])(find('client.authorized', (e) => e.topic === 'forbidden')!),
    );
    assert.equal(find('client.authorized', (e) => e.topic === 'ev/t' && e.action === 'subscribe')!.result, 'allow');
    assert.equal(find('message.dropped', (e) => e.reason === 'not_authorized') !== undefined, true);
    assert.equal(find('message.dropped', (e) => e.reason === 'no_subscribers') !== undefined, true);
    assert.equal(find('message.delivered')!.clientId, 'ev');
    assert.equal(find('message.acked')!.qos, 1);
    assert.ok(seen.findIndex(([n]) => n === 'session.created') < seen.findIndex(([n]) => n === 'session.taken_over'));
  } finally {
    await server.close();
  }
});

test('events - a CONNACK refusal is reported with its reason code and no client', async () => {
  const server = await startBroker();
  const seen = record(server.broker as never, ['client.connack']);
  try {
    server.broker.addHook('authenticate', () => ({ result: 'deny', reasonCode: ReasonCode.NotAuthorized }));
    await assert.rejects(mqtt.connectAsync(server.url, { clientId: 'refused', protocolVersion: 5, reconnectPeriod: 0 }));
    await waitFor(() => seen.length === 1, 'the connack event');
    assert.equal(seen[0]![1].reasonCode, ReasonCode.NotAuthorized);
    assert.equal(seen[0]![1].clientId, 'refused');
    assert.equal(seen[0]![1].client, undefined);
  } finally {
    await server.close();
  }
});

test('events - a listener that throws is logged and skipped: the publisher stays connected and the other listeners run', async () => {
  const server = await startBroker();
  let others = 0;
  server.broker.on('message.published', () => {
    throw new Error('listener bug');
  });
  server.broker.on('message.published', () => others++);
  try {
    const client = await mqtt.connectAsync(server.url, { clientId: 'thrower', reconnectPeriod: 0 });
    await client.publishAsync('t', 'a', { qos: 1 });
    await client.publishAsync('t', 'b', { qos: 1 });
    assert.equal(others, 2);
    assert.equal(client.connected, true);
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('events - the message.publish hook rewrites a topic (keeping id and origin) or drops a message before routing', async () => {
  const server = await startBroker();
  server.broker.addHook('message.publish', ({ message }) => {
    if (message.topic === 'drop/me') return null;
    if (message.topic.startsWith('old/')) return withChanges(message, { topic: `new/${message.topic.slice(4)}` });
    return undefined;
  });
  const dropped = record(server.broker as never, ['message.dropped']);
  try {
    const local = await server.broker.connectLocal({ clientId: 'watcher' });
    await local.subscribe(['new/#', 'old/#', 'drop/#'], { qos: 1 });
    const topics: string[] = [];
    local.onMessage((message) => topics.push(message.topic));
    const client = await mqtt.connectAsync(server.url, { clientId: 'rewriter', protocolVersion: 5, reconnectPeriod: 0 });
    await client.publishAsync('drop/me', 'x', { qos: 1 });
    await client.publishAsync('old/a', 'x', { qos: 1 });
    await waitFor(() => topics.length === 1, 'the rewritten message');
    assert.deepEqual(topics, ['new/a']);
    assert.equal(dropped.filter(([, e]) => e.reason === 'dropped_by_hook').length, 1);
    await client.endAsync();
    await local.disconnect();
  } finally {
    await server.close();
  }
});
