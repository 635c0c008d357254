// Rule engine over real sockets: a rule filters published messages with SQL and republishes a
// templated message (topic, QoS, retain, payload, user properties), never republishes its own
// output again, and a rule that fails never holds up the publisher.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

test('republish - a rule with a WHERE on a JSON field republishes a templated message with QoS, retain and user properties', async () => {
  const server = await startBroker({
    rules: {
      hot: {
        id: 'hot',
        sql: 'SELECT payload.temp AS t, clientid, pub_props FROM "sensors/+/temp" WHERE payload.temp > 30',
        actions: [
          {
            function: 'republish',
            args: { topic: 'alerts/${clientid}', qos: 1, retain: true, payload: '{"temp": ${t}, "from": "${clientid}"}', userProperties: "${pub_props.'User-Property'}", mqttProperties: { 'Content-Type': 'application/json' } },
          },
        ],
        enable: true,
        description: '',
      },
    },
  });
  try {
    const subscriber = await mqtt.connectAsync(server.url, { clientId: 'watcher', protocolVersion: 5, reconnectPeriod: 0 });
    await subscriber.subscribeAsync('alerts/#', { qos: 1 });
    const publisher = await mqtt.connectAsync(server.url, { clientId: 'probe-7', protocolVersion: 5, reconnectPeriod: 0 });
    const received = nextEvent<[string, Buffer, mqtt.IPublishPacket]>(subscriber, 'message');
    await publisher.publishAsync('sensors/a/temp', JSON.stringify({ temp: 21 }), { qos: 1 });
    await publisher.publishAsync('sensors/a/temp', JSON.stringify({ temp: 35.5 }), { qos: 1, properties: { userProperties: { site: 'north' } } });
    const [topic, payload, packet] = await received;
    assert.equal(topic, 'alerts/probe-7');
    assert.deepEqual(JSON.parse(payload.toString()), { temp: 35.5, from: 'probe-7' });
    assert.equal(packet.qos, 1);
    assert.equal(packet.properties?.contentType, 'application/json');
    assert.deepEqual({ ...packet.properties?.userProperties }, { site: 'north' });
    const metrics = server.broker.rules.engine.get('hot')!.metrics;
    await waitFor(() => metrics.actionsSuccess === 1, 'the action to be counted');
    assert.equal(metrics.matched, 2);
    assert.equal(metrics.passed, 1);
    assert.equal(metrics.failedNoResult, 1);
    // retain: a late subscriber gets the republished message as retained.
    const late = await mqtt.connectAsync(server.url, { clientId: 'late', protocolVersion: 5, reconnectPeriod: 0 });
    const retained = nextEvent<[string, Buffer, mqtt.IPublishPacket]>(late, 'message');
    await late.subscribeAsync('alerts/probe-7');
    assert.equal((await retained)[2].retain, true);
    await Promise.all([subscriber.endAsync(), publisher.endAsync(), late.endAsync()]);
  } finally {
    await server.close();
  }
});

test('republish - a rule whose FROM matches its own output does not republish it again (loop protection)', async () => {
  const server = await startBroker({
    rules: {
      echo: { id: 'echo', sql: 'SELECT payload FROM "loop/#"', actions: [{ function: 'republish', args: { topic: 'loop/again', qos: 0, retain: false, payload: '${payload}', userProperties: '', mqttProperties: {} } }], enable: true, description: '' },
    },
  });
  try {
    const client = await mqtt.connectAsync(server.url, { clientId: 'looper', reconnectPeriod: 0 });
    await client.subscribeAsync('loop/#');
    const seen: string[] = [];
    client.on('message', (topic) => seen.push(topic));
    await client.publishAsync('loop/start', 'x');
    const metrics = server.broker.rules.engine.get('echo')!.metrics;
    await waitFor(() => metrics.actionsDiscarded === 1, 'the second republish to be discarded');
    await waitFor(() => seen.length === 2, 'the original and one republished message');
    await server.broker.rules.engine.runner.idle();
    assert.deepEqual(seen, ['loop/start', 'loop/again']);
    assert.equal(metrics.matched, 2);
    assert.equal(metrics.actionsSuccess, 1);
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('republish - FOREACH republishes one message per array item, with INCASE filtering (EMQX documentation example 2)', async () => {
  const server = await startBroker({
    rules: {
      each: {
        id: 'each',
        sql: 'FOREACH payload.sensors DO clientid, item.name as name, item.idx as idx INCASE item.idx >= 1 FROM "t/#"',
        actions: [{ function: 'republish', args: { topic: 'sensors/${idx}', qos: 0, retain: false, payload: 'clientid=${clientid},name=${name}', userProperties: '', mqttProperties: {} } }],
        enable: true,
        description: '',
      },
    },
  });
  try {
    const client = await mqtt.connectAsync(server.url, { clientId: 'c_steve', reconnectPeriod: 0 });
    await client.subscribeAsync('sensors/#');
    const seen: string[] = [];
    client.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await client.publishAsync('t/1', JSON.stringify({ date: '2020-04-24', sensors: [{ name: 'a', idx: 0 }, { name: 'b', idx: 1 }, { name: 'c', idx: 2 }] }));
    await waitFor(() => seen.length === 2, 'two republished messages');
    assert.deepEqual(seen.sort(), ['sensors/1 clientid=c_steve,name=b', 'sensors/2 clientid=c_steve,name=c']);
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('republish - a rule that throws on every message (payload not JSON) counts failed.exception and does not hold up PUBACK', async () => {
  const server = await startBroker({
    rules: { strict: { id: 'strict', sql: 'SELECT payload.x FROM "raw/#"', actions: [{ function: 'console' }], enable: true, description: '' } },
  });
  try {
    const client = await mqtt.connectAsync(server.url, { clientId: 'raw', reconnectPeriod: 0 });
    for (let index = 0; index < 20; index++) await client.publishAsync('raw/x', 'not json', { qos: 1 });
    const metrics = server.broker.rules.engine.get('strict')!.metrics;
    assert.equal(metrics.matched, 20);
    assert.equal(metrics.failedException, 20);
    assert.equal(metrics.passed, 0);
    assert.equal(server.broker.metrics.value('rules.failed.exception', { rule: 'strict' }), 20);
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('republish - with no rule the broker registers no publish hook; the first rule adds it and removing the last takes it away', async () => {
  const server = await startBroker();
  try {
    const hooks = server.broker.core.hooks;
    assert.equal(hooks.has('message.publish'), false);
    const engine = server.broker.rules.engine;
    engine.upsert({ id: 'r', sql: 'SELECT * FROM "a/#"', actions: [], enable: true, description: '' }, 'store');
    assert.equal(hooks.has('message.publish'), true);
    engine.remove('r');
    assert.equal(hooks.has('message.publish'), false);
  } finally {
    await server.close();
  }
});
