// broker.connectLocal(): an in-process client through a real channel and session, no socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { ReasonCode } from '../../src/index.js';
import type { LocalMessage } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

function collect(client: { onMessage(listener: (message: LocalMessage) => void): () => void }): LocalMessage[] {
  const messages: LocalMessage[] = [];
  client.onMessage((message) => messages.push(message));
  return messages;
}

for (const qos of [0, 1, 2] as const) {
  test(`local client - QoS ${qos} round trip between two local clients, acknowledged with a reason code`, async () => {
    const server = await startBroker();
    try {
      const subscriber = await server.broker.connectLocal({ clientId: `sub-${qos}` });
      const publisher = await server.broker.connectLocal({ clientId: `pub-${qos}` });
      assert.deepEqual(await subscriber.subscribe('local/+', { qos, subscriptionIdentifier: 7 }), [qos]);
      const messages = collect(subscriber);
      const reasonCode = await publisher.publish('local/a', 'hello', { qos });
      assert.equal(reasonCode, ReasonCode.Success);
      await waitFor(() => messages.length === 1, 'the message');
      assert.equal(messages[0]!.topic, 'local/a');
      assert.equal(messages[0]!.payload.toString(), 'hello');
      assert.equal(messages[0]!.qos, qos);
      assert.deepEqual(messages[0]!.properties.subscriptionIdentifiers, [7]);
      if (qos > 0) {
        // Acknowledged by the local client: nothing stays in flight in its session.
        const session = server.broker.registry.get(`sub-${qos}`)!;
        await waitFor(() => session.inflightCount === 0, 'the delivery to be acknowledged');
      }
      assert.equal(await publisher.publish('nobody/here', 'x', { qos: qos === 0 ? 1 : qos }), ReasonCode.NoMatchingSubscribers);
      await publisher.disconnect();
      await subscriber.disconnect();
      assert.equal(server.broker.channels.size, 0);
    } finally {
      await server.close();
    }
  });
}

test('local client - messages cross between a local client and an MQTT.js client over TCP, both ways, QoS 1 and 2', async () => {
  const server = await startBroker();
  const remote = await mqtt.connectAsync(server.url, { clientId: 'tcp-side', protocolVersion: 5, reconnectPeriod: 0 });
  try {
    const local = await server.broker.connectLocal({ clientId: 'local-side' });
    await local.subscribe('to-local', { qos: 2 });
    await remote.subscribeAsync('to-remote', { qos: 2 });
    const localMessages = collect(local);
    const remoteMessages: string[] = [];
    remote.on('message', (topic, payload) => remoteMessages.push(`${topic} ${payload.toString()}`));
    await remote.publishAsync('to-local', 'from tcp', { qos: 2 });
    assert.equal(await local.publish('to-remote', 'from local', { qos: 1 }), ReasonCode.Success);
    await waitFor(() => localMessages.length === 1 && remoteMessages.length === 1, 'both messages');
    assert.equal(localMessages[0]!.payload.toString(), 'from tcp');
    assert.equal(localMessages[0]!.qos, 2);
    assert.deepEqual(remoteMessages, ['to-remote from local']);
    await local.disconnect();
  } finally {
    await remote.endAsync();
    await server.close();
  }
});

test('local client - a persistent local session keeps its QoS 1 messages across a broker restart (LMDB store)', async () => {
  let server = await startBroker({ durability: 'sync' });
  try {
    const first = await server.broker.connectLocal({ clientId: 'durable', clean: false, sessionExpiryInterval: 3600 });
    await first.subscribe('kept', { qos: 1 });
    await first.disconnect();
    const publisher = await server.broker.connectLocal({ clientId: 'durable-pub' });
    assert.equal(await publisher.publish('kept', 'survives', { qos: 1 }), ReasonCode.Success);
    await publisher.disconnect();
    server = await server.restart();
    const again = await server.broker.connectLocal({ clientId: 'durable', clean: false, sessionExpiryInterval: 3600 });
    assert.equal(again.sessionPresent, true);
    const messages = collect(again);
    await waitFor(() => messages.length === 1, 'the stored message');
    assert.equal(messages[0]!.payload.toString(), 'survives');
    await again.disconnect();
  } finally {
    await server.close();
  }
});

test('local client - a refused CONNECT rejects with its reason code; a kick closes the link with DISCONNECT', async () => {
  const server = await startBroker();
  try {
    const remove = server.broker.addHook('authenticate', (request) => (request.clientId === 'denied' ? { result: 'deny' } : undefined));
    await assert.rejects(server.broker.connectLocal({ clientId: 'denied' }), (error: { reasonCode?: number }) => error.reasonCode === ReasonCode.BadUserNameOrPassword);
    remove();
    const client = await server.broker.connectLocal({ clientId: 'kicked' });
    assert.equal(server.broker.disconnectClients((info) => info.clientId === 'kicked', ReasonCode.AdministrativeAction, 'test'), 1);
    await client.whenClosed();
    assert.equal(client.connected, false);
    assert.equal(client.disconnectReasonCode, ReasonCode.AdministrativeAction);
    await assert.rejects(client.publish('t', 'x', { qos: 1 }), /local link closed/);
  } finally {
    await server.close();
  }
});

test('local client - an invalid topic is refused at the call', async () => {
  const server = await startBroker();
  try {
    const client = await server.broker.connectLocal({ clientId: 'bad-topic' });
    await assert.rejects(client.publish('a/+', 'x'), (error: { reasonCode?: number }) => error.reasonCode === ReasonCode.TopicNameInvalid);
    await client.disconnect();
  } finally {
    await server.close();
  }
});

test('session directory - a CONNECT over TCP waits for a slow loader, then gets its CONNACK and works', async () => {
  const server = await startBroker();
  try {
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    server.broker.registry.loader = (clientId) => {
      if (clientId !== 'slow') return undefined;
      asked++;
      return loaded;
    };
    const connecting = mqtt.connectAsync(server.url, { clientId: 'slow', protocolVersion: 5, reconnectPeriod: 0 });
    await waitFor(() => asked === 1, 'the loader to be asked');
    assert.equal(server.broker.registry.get('slow'), undefined, 'no session before the loader is done');
    release();
    const client = await connecting;
    await client.subscribeAsync('slow/t', { qos: 1 });
    const got = new Promise<string>((resolve) => client.on('message', (_topic, payload) => resolve(payload.toString())));
    await client.publishAsync('slow/t', 'after load', { qos: 1 });
    assert.equal(await got, 'after load');
    await client.endAsync();
  } finally {
    await server.close();
  }
});

test('local client - packets sent while an async hook decides wait their turn, as on a socket', async () => {
  const server = await startBroker();
  try {
    let release!: () => void;
    const decided = new Promise<void>((resolve) => (release = resolve));
    server.broker.addHook('authorizeSubscribe', async () => {
      await decided;
      return true;
    });
    const client = await server.broker.connectLocal({ clientId: 'ordered' });
    const messages = collect(client);
    const subscribed = client.subscribe('ordered/t', { qos: 1 });
    // Sent after the SUBSCRIBE: it must be routed after the subscription exists, so the client gets it back.
    const published = client.publish('ordered/t', 'after subscribe', { qos: 1 });
    release();
    assert.deepEqual(await subscribed, [1]);
    assert.equal(await published, ReasonCode.Success);
    await waitFor(() => messages.length === 1, 'the message published after the subscription');
    await client.disconnect();
  } finally {
    await server.close();
  }
});
