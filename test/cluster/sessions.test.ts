// Sessions anywhere: a persistent client resumes on any node with session present, its subscriptions
// and every queued and in-flight message; the same client id on another node takes the session over
// (the old connection gets DISCONNECT 0x8E), both ways; two simultaneous CONNECTs leave one owner;
// Clean Start discards what was stored.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { CountingSubscriber } from '../helpers/qos-clients.js';
import { collectEvents, nextEvent, waitFor } from '../helpers/wait.js';

type Received = [string, Buffer, mqtt.IPublishPacket];
const persistent = { protocolVersion: 5, clean: false, reconnectPeriod: 0, connectTimeout: 20_000, properties: { sessionExpiryInterval: 300 } } as const;

describe('cluster sessions', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  const clients: mqtt.MqttClient[] = [];

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });
  const connect = async (node: ClusterNode, options: mqtt.IClientOptions): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(node.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 20_000, ...options });
    clients.push(client);
    return client;
  };
  const sessionPresent = (client: mqtt.MqttClient): boolean => (client as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent === true;

  test('cluster sessions - a persistent client resumes on another node with session present and every queued QoS 1 and 2 message, in order', async () => {
    const first = await connect(nodes[0]!, { ...persistent, clientId: 'resume-me' });
    await first.subscribeAsync('resume/q1', { qos: 1 });
    await first.subscribeAsync('resume/q2', { qos: 2 });
    await first.endAsync();
    const publisher = await connect(nodes[1]!, { clientId: 'resume-pub' });
    for (let i = 0; i < 10; i++) await publisher.publishAsync(`resume/q${1 + (i % 2)}`, `m${i}`, { qos: (1 + (i % 2)) as 1 | 2 });
    const again = mqtt.connect(nodes[2]!.url, { ...persistent, clientId: 'resume-me' });
    clients.push(again);
    const received = collectEvents<Received>(again, 'message', 10, 20_000);
    await nextEvent(again, 'connect', 20_000);
    assert.equal(sessionPresent(again), true, 'session present');
    const messages = await received;
    // In order per topic (MQTT.js hands QoS 2 messages over at PUBREL, so the two topics interleave).
    for (const qos of [1, 2]) {
      const ofTopic = messages.filter(([topic]) => topic === `resume/q${qos}`).map(([, payload]) => payload.toString());
      assert.deepEqual(ofTopic, Array.from({ length: 10 }, (_, i) => `m${i}`).filter((_, i) => 1 + (i % 2) === qos));
    }
    // Its subscriptions came along: a live message reaches it on its new node.
    const live = nextEvent<Received>(again, 'message', 10_000);
    await publisher.publishAsync('resume/q1', 'live', { qos: 1 });
    assert.equal((await live)[1].toString(), 'live');
  });

  test('cluster sessions - messages left in flight (unacknowledged) are sent again with DUP on the next node', async () => {
    const subscriber = new CountingSubscriber({ clientId: 'inflight-me', sessionExpiry: 300 });
    await subscriber.connect(nodes[0]!.port, true);
    await subscriber.subscribe('inflight/t', 1);
    subscriber.withholdAcks = true;
    const publisher = await connect(nodes[1]!, { clientId: 'inflight-pub' });
    for (let i = 0; i < 5; i++) await publisher.publishAsync('inflight/t', `f${i}`, { qos: 1 });
    await waitFor(() => subscriber.received.length === 5, 'five deliveries in flight', 15_000);
    subscriber.drop();
    subscriber.withholdAcks = false;
    assert.equal(await subscriber.connect(nodes[2]!.port, false), true);
    await waitFor(() => subscriber.received.length === 10, 'five resent', 15_000);
    assert.deepEqual(subscriber.received.slice(5), ['f0', 'f1', 'f2', 'f3', 'f4']);
    assert.ok(subscriber.dupCount >= 5, 'resent with DUP');
    await subscriber.disconnect();
  });

  test('cluster sessions - the same client id on another node takes the session over (DISCONNECT 0x8E), both ways', async () => {
    const first = await connect(nodes[0]!, { ...persistent, clientId: 'takeover-me' });
    await first.subscribeAsync('takeover/t', { qos: 1 });
    const kicked = nextEvent<[mqtt.IDisconnectPacket]>(first, 'disconnect', 15_000);
    const second = await connect(nodes[1]!, { ...persistent, clientId: 'takeover-me' });
    assert.equal((await kicked)[0].reasonCode, 0x8e);
    assert.equal(sessionPresent(second), true);
    const publisher = await connect(nodes[2]!, { clientId: 'takeover-pub' });
    const atSecond = nextEvent<Received>(second, 'message', 10_000);
    await publisher.publishAsync('takeover/t', 'to-second', { qos: 1 });
    assert.equal((await atSecond)[1].toString(), 'to-second');
    // And back.
    const kickedAgain = nextEvent<[mqtt.IDisconnectPacket]>(second, 'disconnect', 15_000);
    const third = await connect(nodes[0]!, { ...persistent, clientId: 'takeover-me' });
    assert.equal((await kickedAgain)[0].reasonCode, 0x8e);
    assert.equal(sessionPresent(third), true);
    const atThird = nextEvent<Received>(third, 'message', 10_000);
    await publisher.publishAsync('takeover/t', 'to-third', { qos: 1 });
    assert.equal((await atThird)[1].toString(), 'to-third');
  });

  test('cluster sessions - two simultaneous CONNECTs with one client id on two nodes leave exactly one connected owner', async () => {
    for (let round = 0; round < 3; round++) {
      const id = `simultaneous-${round}`;
      const both = [nodes[0]!, nodes[1]!].map((node) => mqtt.connect(node.url, { ...persistent, clientId: id }));
      clients.push(...both);
      const closed = both.map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
      await Promise.all(both.map((client) => nextEvent(client, 'connect', 20_000)));
      // One of them is kicked (0x8E) by the other's takeover.
      await Promise.race(closed);
      const connected = both.filter((client) => client.connected);
      assert.equal(connected.length, 1, `round ${round}: one owner`);
      const owner = connected[0]!;
      await owner.subscribeAsync(`simultaneous/${round}`, { qos: 1 });
      const publisher = await connect(nodes[2]!, { clientId: `simultaneous-pub-${round}` });
      const received = nextEvent<Received>(owner, 'message', 10_000);
      await publisher.publishAsync(`simultaneous/${round}`, 'x', { qos: 1 });
      await received;
    }
  });

  test('cluster sessions - Clean Start on another node discards the stored session and its queue', async () => {
    const first = await connect(nodes[0]!, { ...persistent, clientId: 'clean-me' });
    await first.subscribeAsync('clean/t', { qos: 1 });
    await first.endAsync();
    const publisher = await connect(nodes[1]!, { clientId: 'clean-pub' });
    await publisher.publishAsync('clean/t', 'queued', { qos: 1 });
    const fresh = await connect(nodes[2]!, { protocolVersion: 5, clean: true, clientId: 'clean-me', properties: { sessionExpiryInterval: 300 } });
    assert.equal(sessionPresent(fresh), false);
    const messages: string[] = [];
    fresh.on('message', (topic) => messages.push(topic));
    await fresh.subscribeAsync('clean/marker', { qos: 1 });
    const marker = nextEvent<Received>(fresh, 'message', 10_000);
    await publisher.publishAsync('clean/marker', 'm', { qos: 1 });
    await marker;
    assert.deepEqual(messages, ['clean/marker'], 'no queued message, no old subscription');
  });
});
