// Every event a rule can select from, fired by real clients over sockets: client_connected,
// client_connack (accepted and refused), client_check_authz_complete, session_subscribed and
// _unsubscribed, message_delivered, message_acked, message_dropped, delivery_dropped and
// client_disconnected, each with EMQX's field names. The outputs go to a webhook the test runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

type Output = Record<string, unknown>;

test('events - each event source fires on real client behaviour with EMQX\'s fields', async () => {
  const outputs: Output[] = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      outputs.push(JSON.parse(body) as Output);
      response.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  const events = ['client_connected', 'client_connack', 'client_check_authz_complete', 'session_subscribed', 'session_unsubscribed', 'message_delivered', 'message_acked', 'message_dropped', 'delivery_dropped', 'client_disconnected'];
  const rules = Object.fromEntries(
    events.map((event) => [event, { sql: `SELECT * FROM "$events/${event}"`, actions: ['hook'] }]),
  );
  // The newer event topic spellings select the same events.
  rules['connected_new_name'] = { sql: 'SELECT clientid, \'new\' AS spelling FROM "$events/client/connected" WHERE clientid = \'ev-sub\'', actions: ['hook'] };
  const server = await startBroker({
    maxQueuedMessages: 1,
    bans: [{ clientId: 'ev-banned' }],
    // Authorization runs (and client_check_authz_complete fires) when an ACL is configured.
    acl: { file: '', default: 'allow', rules: [{ permission: 'deny', action: 'publish', topic: 'ev/forbidden' }], disconnectOnDeny: false, cacheSize: 1000 },
    connectors: { hook: { type: 'webhook', enable: true, description: '', url: `http://127.0.0.1:${port}/events`, method: 'post', pool_size: 1 } },
    rules,
  });
  const find = (event: string, match: (output: Output) => boolean = () => true): Output | undefined => outputs.find((output) => output['event'] === event && match(output));
  try {
    await waitFor(() => server.broker.rules.connectors.get('hook')!.connector!.status === 'connected', 'the webhook connector');
    const subscriber = await mqtt.connectAsync(server.url, { clientId: 'ev-sub', username: 'watcher', protocolVersion: 5, reconnectPeriod: 0, keepalive: 30, properties: { sessionExpiryInterval: 300 }, clean: true });
    await subscriber.subscribeAsync('ev/data', { qos: 1 });
    await subscriber.subscribeAsync('ev/other', { qos: 0 });
    await subscriber.unsubscribeAsync('ev/other');
    const publisher = await mqtt.connectAsync(server.url, { clientId: 'ev-pub', protocolVersion: 5, reconnectPeriod: 0 });
    const delivered = new Promise((resolve) => subscriber.once('message', resolve));
    await publisher.publishAsync('ev/data', '{"v": 1}', { qos: 1, properties: { userProperties: { k: 'v' } } });
    await delivered;
    await publisher.publishAsync('ev/nobody', 'lost', { qos: 0 });
    await assert.rejects(publisher.publishAsync('ev/forbidden', 'no', { qos: 1 }));
    // A persistent session that is offline with a queue of one: the second message is dropped as queue_full.
    const offline = await mqtt.connectAsync(server.url, { clientId: 'ev-offline', protocolVersion: 5, reconnectPeriod: 0, clean: false, properties: { sessionExpiryInterval: 300 } });
    await offline.subscribeAsync('ev/queued', { qos: 1 });
    await offline.endAsync();
    await publisher.publishAsync('ev/queued', 'one', { qos: 1 });
    await publisher.publishAsync('ev/queued', 'two', { qos: 1 });
    await publisher.publishAsync('ev/queued', 'three', { qos: 1 });
    await assert.rejects(mqtt.connectAsync(server.url, { clientId: 'ev-banned', protocolVersion: 5, reconnectPeriod: 0 }));
    await subscriber.endAsync();
    await publisher.endAsync();

    await waitFor(() => find('client.disconnected', (output) => output['clientid'] === 'ev-pub') !== undefined && find('delivery.dropped') !== undefined && find('client.connack', (output) => output['clientid'] === 'ev-banned') !== undefined, 'every event to reach the webhook', 10_000);

    const connected = find('client.connected', (output) => output['clientid'] === 'ev-sub')!;
    assert.equal(connected['username'], 'watcher');
    assert.equal(connected['proto_ver'], 5);
    assert.equal(connected['proto_name'], 'MQTT');
    assert.equal(connected['keepalive'], 30);
    assert.equal(connected['clean_start'], true);
    assert.equal(connected['expiry_interval'], 300);
    assert.match(connected['peername'] as string, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof connected['connected_at'], 'number');
    assert.deepEqual(find('client.connected', (output) => output['spelling'] === 'new'), undefined, 'a rule with a narrower SELECT sends only its fields');
    assert.ok(outputs.some((output) => output['spelling'] === 'new' && output['clientid'] === 'ev-sub'));

    assert.equal(find('client.connack', (output) => output['clientid'] === 'ev-sub')!['reason_code'], 'success');
    assert.equal(find('client.connack', (output) => output['clientid'] === 'ev-banned')!['reason_code'], 'banned');

    const authz = find('client.check_authz_complete', (output) => output['action'] === 'publish' && output['topic'] === 'ev/data')!;
    assert.deepEqual([authz['clientid'], authz['result']], ['ev-pub', 'allow']);
    const denied = find('client.check_authz_complete', (output) => output['topic'] === 'ev/forbidden')!;
    assert.deepEqual([denied['clientid'], denied['result'], denied['authz_source']], ['ev-pub', 'deny', 'acl']);
    assert.equal(find('client.check_authz_complete', (output) => output['action'] === 'subscribe' && output['topic'] === 'ev/data')!['result'], 'allow');

    const subscribed = find('session.subscribed', (output) => output['topic'] === 'ev/data')!;
    assert.deepEqual([subscribed['clientid'], subscribed['qos'], subscribed['username']], ['ev-sub', 1, 'watcher']);
    assert.equal(find('session.unsubscribed')!['topic'], 'ev/other');

    const deliveredEvent = find('message.delivered', (output) => output['topic'] === 'ev/data')!;
    assert.deepEqual([deliveredEvent['from_clientid'], deliveredEvent['clientid'], deliveredEvent['username'], deliveredEvent['payload'], deliveredEvent['qos']], ['ev-pub', 'ev-sub', 'watcher', '{"v": 1}', 1]);
    assert.deepEqual((deliveredEvent['pub_props'] as Output)['User-Property'], { k: 'v' });
    const acked = find('message.acked', (output) => output['topic'] === 'ev/data')!;
    assert.deepEqual([acked['from_clientid'], acked['clientid']], ['ev-pub', 'ev-sub']);

    const dropped = find('message.dropped', (output) => output['topic'] === 'ev/nobody')!;
    assert.deepEqual([dropped['reason'], dropped['clientid'], dropped['payload']], ['no_subscribers', 'ev-pub', 'lost']);
    const deliveryDropped = find('delivery.dropped')!;
    assert.deepEqual([deliveryDropped['reason'], deliveryDropped['clientid'], deliveryDropped['from_clientid'], deliveryDropped['topic']], ['queue_full', 'ev-offline', 'ev-pub', 'ev/queued']);

    const disconnected = find('client.disconnected', (output) => output['clientid'] === 'ev-sub')!;
    assert.equal(disconnected['reason'], 'normal');
    assert.equal(typeof disconnected['disconnected_at'], 'number');
    for (const output of outputs.filter((each) => each['spelling'] === undefined)) {
      assert.equal(output['node'], server.broker.config.nodeName);
      assert.equal(typeof output['timestamp'], 'number');
    }
  } finally {
    await server.close();
    await new Promise((resolve) => http.close(resolve));
  }
});
