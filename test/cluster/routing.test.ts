// Cross-node routing on a real 3-server nats-server JetStream cluster with three Starling node
// processes: QoS 0/1/2 between every pair of nodes with MQTT 5 properties and per-publisher order,
// topics that need escaping in NATS subjects, overlapping subscriptions and identifiers, No Local.
// (Interest, the route table, is routes.test.ts.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { collectEvents, nextEvent } from '../helpers/wait.js';

type Received = [string, Buffer, mqtt.IPublishPacket];

describe('cluster routing', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  const clients: mqtt.MqttClient[] = [];
  let nextId = 0;

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3, { config: { max_topic_levels: 1000 } });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });

  const connect = async (node: ClusterNode, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(node.url, { protocolVersion: 5, clientId: `c${nextId++}`, reconnectPeriod: 0, ...options });
    clients.push(client);
    return client;
  };

  test('cluster routing - QoS 0, 1 and 2 between every pair of nodes, with properties and in order', async () => {
    for (const qos of [0, 1, 2] as const) {
      for (let from = 0; from < 3; from++) {
        for (let to = 0; to < 3; to++) {
          if (from === to) continue;
          const topic = `pair/${qos}/${from}/${to}`;
          const subscriber = await connect(nodes[to]!);
          const publisher = await connect(nodes[from]!);
          await subscriber.subscribeAsync(topic, { qos });
          const count = 20;
          const received = collectEvents<Received>(subscriber, 'message', count, 20_000);
          for (let i = 0; i < count; i++) {
            void publisher.publish(topic, `m${i}`, {
              qos,
              properties: {
                contentType: 'text/plain',
                responseTopic: 'reply/here',
                correlationData: Buffer.from([1, 2, 3]),
                userProperties: { k: 'v', n: String(i) },
                payloadFormatIndicator: true,
                messageExpiryInterval: 600,
              },
            });
          }
          const messages = await received;
          assert.deepEqual(messages.map(([, payload]) => payload.toString()), Array.from({ length: count }, (_, i) => `m${i}`), `${topic}: all, in order`);
          const [, , packet] = messages[0]!;
          assert.equal(packet.qos, qos);
          assert.equal(packet.properties?.contentType, 'text/plain');
          assert.equal(packet.properties?.responseTopic, 'reply/here');
          assert.deepEqual(packet.properties?.correlationData, Buffer.from([1, 2, 3]));
          assert.deepEqual({ ...packet.properties?.userProperties }, { k: 'v', n: '0' });
          assert.equal(packet.properties?.payloadFormatIndicator, true);
          const expiry = packet.properties?.messageExpiryInterval ?? 0;
          assert.ok(expiry > 590 && expiry <= 600, `expiry ${expiry}`);
          await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
        }
      }
    }
  });

  test('cluster routing - topics NATS cannot take as they are: dots, wildcards, tildes, spaces, empty levels, UTF-8, $ topics, 3 KiB', async () => {
    const subscriber = await connect(nodes[1]!);
    const publisher = await connect(nodes[0]!);
    const topics = [
      'a.b/c', 'x/*/y', 'x/>/y', 'til~de/~_', 'with space/ok', 'a//b', '/lead', 'trail/', 'ünï/çödé/日本',
      'spBv1.0/group/NDATA/edge', `long/${'l'.repeat(3000)}`, `deep/${Array.from({ length: 250 }, (_, i) => `l${i}`).join('/')}`,
    ];
    for (const topic of topics) await subscriber.subscribeAsync(topic, { qos: 1 });
    // Wildcards: '+' matches the empty level of 'a//b'; '#' matches the parent level.
    await subscriber.subscribeAsync('wild/#', { qos: 1 });
    await subscriber.subscribeAsync('plus/+/end', { qos: 1 });
    const expected = [...topics, 'wild', 'wild/x.y', 'plus//end', 'plus/a.b/end'];
    for (const qos of [0, 1] as const) {
      const received = collectEvents<Received>(subscriber, 'message', expected.length, 20_000);
      for (const topic of expected) await publisher.publishAsync(topic, `${qos}:${topic.slice(0, 20)}`, { qos });
      const messages = await received;
      assert.deepEqual(messages.map(([topic]) => topic).sort(), [...expected].sort(), `QoS ${qos}`);
    }
    // Near misses must not arrive: a marker published after them is the next message.
    const marker = nextEvent<Received>(subscriber, 'message', 10_000);
    for (const miss of ['a/b/c', 'x/a/y', 'wildcard', 'plus/end', 'plus/a/b/end', 'a.b', 'a/b']) await publisher.publishAsync(miss, 'miss', { qos: 1 });
    await publisher.publishAsync('wild/marker', 'marker', { qos: 1 });
    const [topic] = await marker;
    assert.equal(topic, 'wild/marker');
  });

  test('cluster routing - $ topics are not matched by leading wildcards on another node [MQTT-4.7.2-1]', async () => {
    const subscriber = await connect(nodes[2]!);
    const publisher = await connect(nodes[0]!);
    await subscriber.subscribeAsync('#', { qos: 0 });
    await subscriber.subscribeAsync('+/info', { qos: 0 });
    await subscriber.subscribeAsync('$app/info', { qos: 0 });
    const messages: Received[] = [];
    subscriber.on('message', (...args: Received) => messages.push(args));
    const marker = new Promise<void>((resolve) => subscriber.on('message', (topic) => topic === 'done/marker' && resolve()));
    await publisher.publishAsync('$app/info', 'dollar', { qos: 1 });
    await publisher.publishAsync('done/marker', 'm', { qos: 1 });
    await marker;
    const dollar = messages.filter(([topic]) => topic === '$app/info');
    assert.equal(dollar.length, 1, 'once, through $app/info only');
  });

  test('cluster routing - overlapping subscriptions on another node give one copy with every subscription identifier; No Local holds across nodes', async () => {
    const subscriber = await connect(nodes[1]!);
    const publisher = await connect(nodes[2]!);
    await subscriber.subscribeAsync('ov/+/t', { qos: 1, properties: { subscriptionIdentifier: 3 } });
    await subscriber.subscribeAsync('ov/#', { qos: 1, properties: { subscriptionIdentifier: 9 } });
    await subscriber.subscribeAsync('ov/a/t', { qos: 0 });
    for (const qos of [0, 1] as const) {
      const messages: Received[] = [];
      const onMessage = (...args: Received): void => void messages.push(args);
      subscriber.on('message', onMessage);
      const marker = new Promise<void>((resolve) => subscriber.on('message', (topic) => topic === `ov/marker${qos}` && resolve()));
      await publisher.publishAsync('ov/a/t', 'x', { qos });
      await publisher.publishAsync(`ov/marker${qos}`, 'm', { qos: 1 });
      await marker;
      subscriber.off('message', onMessage);
      const copies = messages.filter(([topic]) => topic === 'ov/a/t');
      assert.equal(copies.length, 1, `QoS ${qos}: one copy`);
      const ids = copies[0]![2].properties?.subscriptionIdentifier;
      assert.deepEqual((Array.isArray(ids) ? ids : [ids]).sort((a, b) => Number(a) - Number(b)), [3, 9]);
    }

    // No Local: the publisher's own subscription on its node, and its session's on another node's... only its own node hosts it.
    const self = await connect(nodes[0]!, { clientId: 'nolocal-self' });
    const other = await connect(nodes[1]!);
    await self.subscribeAsync('nl/t', { qos: 1, nl: true });
    await other.subscribeAsync('nl/t', { qos: 1 });
    const selfMessages: string[] = [];
    self.on('message', (topic) => selfMessages.push(topic));
    const atOther = collectEvents<Received>(other, 'message', 2, 10_000);
    await self.publishAsync('nl/t', 'own', { qos: 1 });
    await self.publishAsync('nl/t', 'own0', { qos: 0 });
    await atOther;
    const marker = nextEvent<Received>(self, 'message', 10_000);
    await self.subscribeAsync('nl/marker', { qos: 1 });
    await other.publishAsync('nl/marker', 'm', { qos: 1 });
    await marker;
    assert.deepEqual(selfMessages, ['nl/marker']);
  });
});
