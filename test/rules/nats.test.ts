// The NATS connector against a real nats-server the test starts: each output published to a
// templated subject, confirmed by a flush; buffered while the server is down, delivered when it is
// back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startNats, type TestServer } from '../helpers/servers.js';

let nats: TestServer;
let listener: NatsConnection;
const received: Array<{ subject: string; data: string }> = [];

async function listen(): Promise<void> {
  listener = await connect({ servers: `127.0.0.1:${nats.port}` });
  const subscription = listener.subscribe('iot.>');
  void (async () => {
    for await (const message of subscription) received.push({ subject: message.subject, data: message.string() });
  })();
  await listener.flush();
}

before(async () => {
  nats = await startNats();
  await listen();
});

after(async () => {
  await listener?.close().catch(() => undefined);
  await nats?.close();
});

test('nats - outputs published to templated subjects; buffered while the server is down, delivered when it is back', async () => {
  const server = await startBroker({
    connectors: { bus: { type: 'nats', enable: true, description: '', servers: `nats://127.0.0.1:${nats.port}`, subject: 'iot.${clientid}.${topic_level}', payload: '${payload}' } },
    rules: { relay: { sql: 'SELECT clientid, payload, nth(2, split(topic, \'/\')) AS topic_level FROM "nats/+"', actions: ['nats:bus'] } },
  });
  try {
    const connector = server.broker.rules.connectors.get('bus')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const client = await mqtt.connectAsync(server.url, { clientId: 'n1', reconnectPeriod: 0 });
    await client.publishAsync('nats/temp', '{"t": 1}', { qos: 1 });
    await waitFor(() => received.length === 1, 'the first message on NATS');
    assert.deepEqual(received[0], { subject: 'iot.n1.temp', data: '{"t": 1}' });
    await listener.close();
    await nats.stop();
    await waitFor(() => connector.status === 'disconnected', 'the connector to notice');
    for (let n = 2; n <= 6; n++) await client.publishAsync('nats/temp', `{"t": ${n}}`, { qos: 1 });
    await waitFor(() => connector.queued === 5, 'five buffered');
    await nats.start();
    await listen();
    await waitFor(() => received.length === 6, 'the five buffered ones after the restart', 15_000);
    assert.deepEqual(received.slice(1).map((message) => JSON.parse(message.data) as { t: number }).map((data) => data.t), [2, 3, 4, 5, 6]);
    assert.equal(connector.counters.success, 6);
    await client.endAsync();
  } finally {
    await server.close();
  }
});
