// POST /api/v5/publish and /publish/bulk over real HTTP: received by mosquitto_sub and MQTT.js
// subscribers with QoS, retain, properties and base64 payloads; 202 when nobody matches; 400
// `{reason_code, message}` for what cannot be published; and a 200 that survives kill -9 of the
// broker (the answer waits for the store's commit).

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { sendAdminRequest } from '../../src/admin/client.js';
import { defaultSocketPath } from '../../src/admin/socket-path.js';
import { ClientPool, messageOn } from '../helpers/client-pool.js';
import { startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';
import { Children, subscribedOrExited } from '../helpers/interop.js';
import { startManagedBroker } from '../helpers/management.js';

const children = new Children();
after(() => children.killAll());

test('publish - a message published through the API reaches mosquitto_sub, at the QoS asked', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const sub = children.start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-i', 'mosq-sub', '-t', 'api/#', '-q', '1', '-C', '2', '-v', '-V', 'mqttv5', '-F', '%t %q %p']);
    await subscribedOrExited(b.broker, 'mosq-sub', sub);
    const first = await b.call('POST', '/api/v5/publish', { token, body: { topic: 'api/plain', payload: 'hello from http', qos: 1 } });
    assert.equal(first.status, 200);
    assert.match(first.body.id, /^[0-9A-F]{16}$/);
    const second = await b.call('POST', '/api/v5/publish', { token, body: { topic: 'api/encoded', payload: Buffer.from('bytes\u00e9').toString('base64'), payload_encoding: 'base64' } });
    assert.equal(second.status, 200);
    const exit = await sub.succeeded();
    assert.deepEqual(exit.stdout.trim().split('\n'), ['api/plain 1 hello from http', 'api/encoded 0 bytes\u00e9']);
  } finally {
    await b.close();
  }
});

test('publish - retain, MQTT 5 properties and bulk; 202 without subscribers; 400 {reason_code, message} naming what is wrong', async () => {
  const b = await startManagedBroker({ maxPacketSize: 4096 });
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const { received } = await pool.connectRecording({ clientId: 'reader', protocolVersion: 5 });
    const reader = (await pool.lastClient())!;
    await reader.subscribeAsync('p/#', { qos: 2 });
    const withProperties = await b.call('POST', '/api/v5/publish', {
      token,
      body: {
        topic: 'p/props',
        payload: '{"a":1}',
        qos: 2,
        properties: { content_type: 'application/json', payload_format_indicator: 1, response_topic: 'p/reply', correlation_data: 'c-7', user_properties: { site: 'north' }, message_expiry_interval: 60 },
      },
    });
    assert.equal(withProperties.status, 200);
    const got = await messageOn(received, 'p/props', '{"a":1}');
    assert.equal(got.packet.qos, 2);
    const properties = got.packet.properties!;
    assert.deepEqual(
      [properties.contentType, properties.payloadFormatIndicator, properties.responseTopic, properties.correlationData?.toString(), { ...properties.userProperties }],
      ['application/json', true, 'p/reply', 'c-7', { site: 'north' }],
    );
    assert.ok(properties.messageExpiryInterval! <= 60);

    const retained = await b.call('POST', '/api/v5/publish', { token, body: { topic: 'nobody/listens', payload: 'kept', retain: true } });
    assert.deepEqual([retained.status, retained.body.reason_code, retained.body.message], [202, 16, 'no_matching_subscribers']);
    assert.equal(b.broker.core.retained.get('nobody/listens')?.payload.toString(), 'kept');

    const bulk = await b.call('POST', '/api/v5/publish/bulk', { token, body: [{ topic: 'p/1', payload: 'one' }, { topic: 'quiet/2', payload: 'two' }] });
    assert.equal(bulk.status, 202);
    assert.equal(bulk.body.length, 2);
    assert.match(bulk.body[0].id, /^[0-9A-F]{16}$/);
    assert.equal(bulk.body[1].reason_code, 16);
    await messageOn(received, 'p/1', 'one');
    const allDelivered = await b.call('POST', '/api/v5/publish/bulk', { token, body: [{ topic: 'p/2', payload: 'a' }, { topic: 'p/3', payload: 'b' }] });
    assert.equal(allDelivered.status, 200);

    const refusals: Array<[unknown, number, RegExp]> = [
      [{ topic: 'p/+', payload: 'x' }, 144, /^topic_name_invalid: body\.topic/],
      [{ topic: '$SYS/fake', payload: 'x' }, 144, /\$SYS/],
      [{ topic: 'p/x', payload: 'not base64!', payload_encoding: 'base64' }, 131, /^body\.payload: not base64/],
      [{ topic: 'p/x', payload: 'x'.repeat(5000) }, 151, /^packet_too_large/],
      [{ topic: 'p/x', payload: Buffer.from([0xff, 0xfe]).toString('base64'), payload_encoding: 'base64', properties: { payload_format_indicator: 1 } }, 153, /payload_format_indicator/],
    ];
    for (const [body, reasonCode, message] of refusals) {
      const answer = await b.call('POST', '/api/v5/publish', { token, body });
      assert.deepEqual([answer.status, answer.body.reason_code], [400, reasonCode], JSON.stringify(body).slice(0, 80));
      assert.match(answer.body.message, message);
    }
    // In bulk, one bad message refuses them all, naming it, and none is published
    const before = received.length;
    const mixed = await b.call('POST', '/api/v5/publish/bulk', { token, body: [{ topic: 'p/fine', payload: 'x' }, { topic: 'p/#', payload: 'x' }] });
    assert.deepEqual([mixed.status, mixed.body.reason_code], [400, 144]);
    assert.match(mixed.body.message, /body\.1\.topic/);
    const schema: Array<[unknown, RegExp]> = [
      [{ payload: 'x' }, /^body: must have required property 'topic'/],
      [{ topic: 'p/x', payload: 'x', qos: 3 }, /^body\.qos: /],
      [{ topic: 'p/x', payload: 'x', properties: { colour: 'red' } }, /^body\.properties: unknown field "colour"/],
      [{ topic: 'p/x', payload: 'x', payload_encoding: 'hex' }, /^body\.payload_encoding: must be one of plain, base64/],
    ];
    for (const [body, message] of schema) {
      const answer = await b.call('POST', '/api/v5/publish', { token, body });
      assert.deepEqual([answer.status, answer.body.code], [400, 'BAD_REQUEST']);
      assert.match(answer.body.message, message);
    }
    assert.equal((await b.call('POST', '/api/v5/publish/bulk', { token, body: [] })).status, 400);
    await messageOn(received, 'p/3', 'b');
    assert.equal(received.filter((message) => message.topic === 'p/fine').length, 0);
    assert.ok(received.length >= before);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('publish - a 200 for a QoS 1 message to an offline persistent session survives kill -9', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  try {
    let broker = await startBrokerProcess(dataDir);
    const socket = defaultSocketPath(dataDir);
    const options = { clientId: 'durable-reader', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 3600 } };
    const pool = new ClientPool(`mqtt://127.0.0.1:${broker.port}`);
    const reader = await pool.connect(options);
    await reader.subscribeAsync('orders/#', { qos: 1 });
    await reader.endAsync();
    await pool.closeAll();
    const answer = await sendAdminRequest(socket, { method: 'POST', path: '/api/v5/publish', body: { topic: 'orders/42', payload: 'paid', qos: 1 } });
    assert.equal(answer.status, 200);
    await broker.kill();

    broker = await startBrokerProcess(dataDir);
    const back = new ClientPool(`mqtt://127.0.0.1:${broker.port}`);
    try {
      const { received, connack } = await back.connectRecording(options);
      assert.equal(connack.sessionPresent, true);
      await messageOn(received, 'orders/42', 'paid');
    } finally {
      await back.closeAll();
      await broker.stop();
    }
  } finally {
    await remove();
  }
});
