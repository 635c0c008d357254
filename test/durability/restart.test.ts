// Restart tests (issue 3): a child broker stopped gracefully (SIGTERM) and started again on the same
// data directory gives persistent sessions back exactly as they were: Session Present, queued
// messages delivered once and in order, in-flight ones resent with DUP under the same packet ids,
// QoS 2 state (PUBREL owed, inbound packet ids) kept.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { startBrokerProcess, temporaryDataDir, type BrokerProcess } from '../helpers/broker-process.js';
import { CountingSubscriber, NumberedPublisher } from '../helpers/qos-clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

/** Starts a broker, runs body with a restart function, and kills whatever is left at the end. */
async function withRestarts(
  extraArgs: readonly string[],
  body: (first: BrokerProcess, restart: () => Promise<BrokerProcess>) => Promise<void>,
): Promise<void> {
  const { dataDir, remove } = await temporaryDataDir();
  let broker: BrokerProcess | undefined;
  try {
    broker = await startBrokerProcess(dataDir, extraArgs);
    await body(broker, async () => {
      const status = await broker!.stop();
      assert.deepEqual(status, { code: 0, signal: null }, 'graceful stop exits 0');
      broker = await startBrokerProcess(dataDir, extraArgs);
      return broker;
    });
  } finally {
    await broker?.kill();
    await remove();
  }
}

async function publishAll(port: number, count: number, topicPrefix = 'load'): Promise<NumberedPublisher> {
  const publisher = new NumberedPublisher({ clientId: 'restart-publisher', sessionExpiry: 0, window: 16, topicPrefix });
  await publisher.connect(port, true);
  publisher.start(count);
  await waitFor(() => publisher.acknowledged.size === count && publisher.inflightCount === 0, `${count} messages acknowledged`);
  await publisher.disconnect();
  return publisher;
}

test('restart - an offline MQTT 5 session gets every queued QoS 1 and QoS 2 message once, in order, after a graceful restart', async () => {
  await withRestarts([], async (first, restart) => {
    const subscriber = new CountingSubscriber({ clientId: 'restart-v5', sessionExpiry: 300 });
    await subscriber.connect(first.port, true);
    await subscriber.subscribe('load/#', 2);
    await subscriber.disconnect();
    const publisher = await publishAll(first.port, 200);

    const broker = await restart();
    assert.equal(await subscriber.connect(broker.port, false), true, 'Session Present after the restart');
    try {
      await waitFor(() => subscriber.received.length >= 200, '200 messages');
      // Nothing more is owed: a message published now is the next one to arrive.
      await publishAll(broker.port, 1).then(() => waitFor(() => subscriber.received.length > 200, 'the message after'));
      assert.deepEqual(subscriber.received.slice(0, 200), [...publisher.sent], 'every message once, in publish order');
      assert.equal(subscriber.received.length, 201);
      assert.equal(subscriber.dupCount, 0, 'queued messages were never sent, so none has DUP');
    } finally {
      await subscriber.disconnect();
    }
  });
});

test('restart - an MQTT 3.1.1 clean-session=false subscriber (MQTT.js) resumes with Session Present and gets its queue once', async () => {
  await withRestarts([], async (first, restart) => {
    const options = { protocolVersion: 4 as const, clean: false, clientId: 'restart-v311', reconnectPeriod: 0 };
    const before = mqtt.connect(`mqtt://127.0.0.1:${first.port}`, options);
    await nextEvent(before, 'connect');
    await before.subscribeAsync('load/#', { qos: 2 });
    await before.endAsync();
    const publisher = await publishAll(first.port, 60);

    const broker = await restart();
    const after = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, options);
    const received: string[] = [];
    after.on('message', (_topic, payload) => received.push(payload.toString()));
    try {
      const [connack] = await nextEvent<[{ sessionPresent: boolean }]>(after, 'connect');
      assert.equal(connack.sessionPresent, true);
      await waitFor(() => received.length >= 60, '60 messages');
      await publishAll(broker.port, 1).then(() => waitFor(() => received.length > 60, 'the message after'));
      // MQTT.js hands a QoS 2 message over at PUBREL, so QoS 1 and QoS 2 interleave differently: compare as sets.
      assert.deepEqual(received.slice(0, 60).sort(), [...publisher.sent].sort(), 'every message once');
      assert.equal(received.length, 61);
    } finally {
      await after.endAsync();
    }
  });
});

test('restart - in-flight deliveries are resent with DUP and their packet ids; a PUBREC-ed QoS 2 gets its PUBREL, not the PUBLISH', async () => {
  await withRestarts([], async (first, restart) => {
    const connect = { clientId: 'restart-inflight', clean: true, properties: { sessionExpiryInterval: 300 } };
    const { client } = await RawClient.connect(first.port, connect);
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'load/#', qos: 2 }] });
    await client.expect('suback');
    await publishAll(first.port, 4); // load/q1:0, load/q2:1, load/q1:2, load/q2:3
    const sent: IPublishPacket[] = [];
    for (let i = 0; i < 4; i++) sent.push(await client.expect('publish'));
    assert.deepEqual(sent.map((p) => p.payload.toString()), ['load/q1:0', 'load/q2:1', 'load/q1:2', 'load/q2:3']);
    // Only load/q2:1 is received (PUBREC): the broker owes a PUBREL for it; the rest stay unacknowledged.
    client.send({ cmd: 'pubrec', messageId: sent[1]!.messageId! });
    assert.equal((await client.expect('pubrel')).messageId, sent[1]!.messageId);

    const broker = await restart();
    await client.closed();
    const { client: again, connack } = await RawClient.connect(broker.port, { ...connect, clean: false });
    try {
      assert.equal(connack.sessionPresent, true);
      const resent = [await again.next(), await again.next(), await again.next(), await again.next()];
      const summary = resent.map((p) => (p.cmd === 'publish' ? `publish ${p.messageId} dup=${p.dup} ${p.payload.toString()}` : `${p.cmd} ${(p as { messageId?: number }).messageId}`));
      assert.deepEqual(summary, [
        `publish ${sent[0]!.messageId} dup=true load/q1:0`,
        `pubrel ${sent[1]!.messageId}`,
        `publish ${sent[2]!.messageId} dup=true load/q1:2`,
        `publish ${sent[3]!.messageId} dup=true load/q2:3`,
      ]);
      // Completing them frees the session: the next message goes out at once, not as a resend.
      again.send({ cmd: 'puback', messageId: sent[0]!.messageId! });
      again.send({ cmd: 'pubcomp', messageId: sent[1]!.messageId! });
      again.send({ cmd: 'puback', messageId: sent[2]!.messageId! });
      again.send({ cmd: 'pubrec', messageId: sent[3]!.messageId! });
      assert.equal((await again.expect('pubrel')).messageId, sent[3]!.messageId);
      again.send({ cmd: 'pubcomp', messageId: sent[3]!.messageId! });
      await publishAll(broker.port, 1);
      const next = await again.expect('publish');
      assert.equal(next.payload.toString(), 'load/q1:0');
      assert.equal(next.dup, false);
    } finally {
      again.destroy();
    }
  });
});

test('restart - an inbound QoS 2 packet id PUBREC-ed before the restart is kept: a resend is not routed again, PUBREL gets PUBCOMP success', async () => {
  await withRestarts([], async (first, restart) => {
    const subscriber = new CountingSubscriber({ clientId: 'restart-qos2-sub', sessionExpiry: 300 });
    await subscriber.connect(first.port, true);
    await subscriber.subscribe('exactly/#', 2);
    await subscriber.disconnect();
    const connect = { clientId: 'restart-qos2-pub', clean: true, properties: { sessionExpiryInterval: 300 } };
    const { client } = await RawClient.connect(first.port, connect);
    client.send({ cmd: 'publish', topic: 'exactly/once', payload: Buffer.from('one'), qos: 2, dup: false, retain: false, messageId: 7 });
    assert.equal((await client.expect('pubrec')).messageId, 7);

    const broker = await restart();
    await client.closed();
    const { client: again, connack } = await RawClient.connect(broker.port, { ...connect, clean: false });
    try {
      assert.equal(connack.sessionPresent, true);
      again.send({ cmd: 'publish', topic: 'exactly/once', payload: Buffer.from('one'), qos: 2, dup: true, retain: false, messageId: 7 });
      assert.equal((await again.expect('pubrec')).messageId, 7);
      again.send({ cmd: 'pubrel', messageId: 7 });
      const pubcomp = await again.expect('pubcomp');
      assert.equal(pubcomp.messageId, 7);
      assert.equal(pubcomp.reasonCode ?? 0, 0, 'PUBCOMP success, not 0x92 Packet Identifier not found');
    } finally {
      again.destroy();
    }
    assert.equal(await subscriber.connect(broker.port, false), true);
    try {
      await publishAll(broker.port, 1, 'exactly'); // a marker behind anything still queued
      await waitFor(() => subscriber.count('exactly/q1:0') === 1, 'the marker');
      assert.deepEqual(subscriber.received, ['one', 'exactly/q1:0'], 'delivered exactly once across the restart');
    } finally {
      await subscriber.disconnect();
    }
  });
});

test('restart - with durability memory nothing is kept (Session Present 0), as documented', async () => {
  await withRestarts(['--durability', 'memory'], async (first, restart) => {
    const subscriber = new CountingSubscriber({ clientId: 'restart-memory', sessionExpiry: 300 });
    await subscriber.connect(first.port, true);
    await subscriber.subscribe('load/#', 1);
    await subscriber.disconnect();
    await publishAll(first.port, 2);
    const broker = await restart();
    assert.equal(await subscriber.connect(broker.port, false), false);
    await subscriber.disconnect();
    assert.equal(subscriber.received.length, 0);
  });
});

test('restart - with durability batched a graceful stop still writes everything (the last interval is only at risk on a crash)', async () => {
  await withRestarts(['--durability', 'batched', '--batch-interval-ms', '200'], async (first, restart) => {
    const subscriber = new CountingSubscriber({ clientId: 'restart-batched', sessionExpiry: 300 });
    await subscriber.connect(first.port, true);
    await subscriber.subscribe('load/#', 2);
    await subscriber.disconnect();
    const publisher = await publishAll(first.port, 50);
    const broker = await restart();
    assert.equal(await subscriber.connect(broker.port, false), true);
    try {
      await waitFor(() => subscriber.received.length >= 50, '50 messages');
      assert.deepEqual(subscriber.received, [...publisher.sent]);
    } finally {
      await subscriber.disconnect();
    }
  });
});

test('restart - one publish owed to several sessions: what one acknowledged, or an ended session was owed, does not come back; the others still get it', async () => {
  await withRestarts([], async (first, restart) => {
    const acknowledging = new CountingSubscriber({ clientId: 'owed-acknowledging', sessionExpiry: 300 });
    const offline = new CountingSubscriber({ clientId: 'owed-offline', sessionExpiry: 300 });
    const ended = new CountingSubscriber({ clientId: 'owed-ended', sessionExpiry: 300 });
    for (const subscriber of [acknowledging, offline, ended]) {
      await subscriber.connect(first.port, true);
      await subscriber.subscribe('load/#', 2);
    }
    await offline.disconnect();
    await ended.disconnect();
    const publisher = await publishAll(first.port, 20);
    await waitFor(() => acknowledging.received.length >= 20, '20 messages to the connected subscriber');
    await acknowledging.disconnect(); // after its acknowledgements, on the same connection
    // A clean start ends the session that was owed the 20 messages; the new one is persistent too.
    assert.equal(await ended.connect(first.port, true), false);
    await ended.subscribe('other/#', 1);
    await ended.disconnect();

    const broker = await restart();
    for (const subscriber of [acknowledging, offline, ended]) {
      assert.equal(await subscriber.connect(broker.port, false), true, `${subscriber.options.clientId} resumes its session`);
    }
    // Anything owed is sent on reconnection, before these markers.
    await publishAll(broker.port, 1, 'load/marker');
    await publishAll(broker.port, 1, 'other');
    await waitFor(() => acknowledging.received.includes('load/marker/q1:0'), 'the marker on load/');
    await waitFor(() => offline.received.includes('load/marker/q1:0'), 'the marker after the queue');
    await waitFor(() => ended.received.includes('other/q1:0'), 'the marker on other/');
    assert.deepEqual(acknowledging.received, [...publisher.sent, 'load/marker/q1:0'], 'nothing acknowledged comes back');
    assert.deepEqual(offline.received, [...publisher.sent, 'load/marker/q1:0'], 'the offline session gets every message once, in order');
    assert.deepEqual(ended.received, ['other/q1:0'], 'nothing the ended session was owed comes back');
    for (const subscriber of [acknowledging, offline, ended]) await subscriber.disconnect();
  });
});
