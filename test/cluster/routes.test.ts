// The route table on a real 3-server nats-server JetStream cluster with Starling node processes: a
// publishing node sends a topic's messages only to nodes with a matching filter (observed on the nodes'
// NATS inboxes), stops once a node unsubscribes, a node started later learns every route before it takes
// clients, a node that stops withdraws its routes, a session with 12,000 filters resumed on a restarted
// node is announced whole (its session record and its routes in several records), and a killed node's
// routes are withdrawn by the node that takes it over.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNode, startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { decodeBatch } from '../../src/cluster/nats/envelope.js';

type Received = [string, Buffer, mqtt.IPublishPacket];

/** Every topic sent to each node's live inbox, in arrival order (one NATS connection: one order across inboxes). */
class InboxTap {
  readonly topics = new Map<string, string[]>();
  constructor(private readonly nc: NatsConnection) {}

  static async open(nats: NatsCluster, nodes: string[]): Promise<InboxTap> {
    const nc = await connect({ servers: nats.urls[0]! });
    const tap = new InboxTap(nc);
    for (const node of nodes) {
      tap.topics.set(node, []);
      nc.subscribe(`st.n.${node}`, {
        callback: (_error, msg) => {
          tap.topics.get(node)!.push(...decodeBatch(msg.data).map((entry) => entry.message.topic));
        },
      });
    }
    await nc.flush();
    return tap;
  }

  count(node: string, topic: string): number {
    return this.topics.get(node)!.filter((seen) => seen === topic).length;
  }

  close(): Promise<void> {
    return this.nc.drain();
  }
}

/** The last record of a node's subject in the routes stream: its kind, and the entries it adds. */
async function lastRouteRecord(nats: NatsCluster, node: string): Promise<{ k: string; a: string[] } | undefined> {
  const nc = await connect({ servers: nats.urls[0]! });
  try {
    const last = await (await jetstreamManager(nc)).streams.getMessage('ST_ROUTES', { last_by_subj: `st.rt.${node}` });
    if (last === null) return undefined;
    const record = JSON.parse(last.string()) as { k: string; a?: string[] };
    return { k: record.k, a: record.a ?? [] };
  } finally {
    await nc.drain();
  }
}

describe('cluster route table', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  const clients: mqtt.MqttClient[] = [];
  let tap: InboxTap;
  let nextId = 0;

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3);
    tap = await InboxTap.open(nats, ['node1', 'node2', 'node3', 'node4']);
  });
  after(async () => {
    await tap?.close();
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });

  const connectTo = async (node: ClusterNode): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(node.url, { protocolVersion: 5, clientId: `r${nextId++}`, reconnectPeriod: 0 });
    clients.push(client);
    return client;
  };

  /** Publishes `topic` `count` times then `marker` from `publisher`, and waits until the marker reached every node in `through`. */
  const publishThenMarker = async (publisher: mqtt.MqttClient, topic: string, count: number, marker: string, through: string[]): Promise<void> => {
    const before = new Map(through.map((node) => [node, tap.count(node, marker)]));
    for (let i = 0; i < count; i++) await publisher.publishAsync(topic, `m${i}`, { qos: 0 });
    await publisher.publishAsync(marker, 'marker', { qos: 0 });
    await waitFor(() => through.every((node) => tap.count(node, marker) > before.get(node)!), `${marker} at ${through.join(', ')}`, 10_000);
  };

  test('cluster route table - only nodes with a matching filter receive a topic; a node that unsubscribes stops receiving it', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const subscriber = await connectTo(b);
    await subscriber.subscribeAsync('interest/+/b', { qos: 0 });
    for (const node of [b, c]) await (await connectTo(node)).subscribeAsync('interest/marker', { qos: 0 });
    const publisher = await connectTo(a);
    const received = nextEvent<Received>(subscriber, 'message', 10_000);
    // Both inboxes carry the marker, published after the topic from the same node: whatever the topic sent
    // to node3 would have come first.
    await publishThenMarker(publisher, 'interest/only/b', 5, 'interest/marker', ['node2', 'node3']);
    assert.equal((await received)[0], 'interest/only/b');
    assert.equal(tap.count('node2', 'interest/only/b'), 5, 'node2 subscribes: it gets the topic');
    assert.equal(tap.count('node3', 'interest/only/b'), 0, 'node3 has no matching filter: nothing for the topic reaches it');
    assert.equal(tap.count('node1', 'interest/only/b'), 0, 'the publishing node delivers its own, never through NATS');

    await subscriber.unsubscribeAsync('interest/+/b');
    // UNSUBACK does not wait for the other nodes: within a few rounds node1 has read node2's withdrawal.
    let rounds = 0;
    for (;;) {
      const before = tap.count('node2', 'interest/only/b');
      await publishThenMarker(publisher, 'interest/only/b', 1, 'interest/marker', ['node2']);
      rounds++;
      if (tap.count('node2', 'interest/only/b') === before) break;
      assert.ok(rounds < 200, 'node1 stops sending the topic to node2 after its unsubscribe');
    }
    const after = tap.count('node2', 'interest/only/b');
    await publishThenMarker(publisher, 'interest/only/b', 5, 'interest/marker', ['node2']);
    assert.equal(tap.count('node2', 'interest/only/b'), after, 'nothing more for the topic reaches node2');
  });

  test('cluster route table - a node started later learns the routes before it takes clients, the others learn its own, and it withdraws them when it stops', async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const early = await connectTo(b);
    await early.subscribeAsync('late/to-b', { qos: 0 });
    const late = await startClusterNode(nats, 'node4', { server: 0 });
    nodes.push(late);
    // Its first publish, right after it listens, reaches node2's subscriber.
    const atB = nextEvent<Received>(early, 'message', 10_000);
    const publisher = await connectTo(late);
    await publisher.publishAsync('late/to-b', 'from node4', { qos: 0 });
    assert.equal((await atB)[1].toString(), 'from node4');
    // A subscription on node4 reaches node1's publications once SUBACK came.
    const onLate = await connectTo(late);
    await onLate.subscribeAsync('late/to-4', { qos: 0 });
    const at4 = nextEvent<Received>(onLate, 'message', 10_000);
    await (await connectTo(a)).publishAsync('late/to-4', 'from node1', { qos: 0 });
    assert.equal((await at4)[1].toString(), 'from node1');
    // A node that stops withdraws its routes itself.
    await late.stop();
    nodes.splice(nodes.indexOf(late), 1);
    assert.deepEqual(await lastRouteRecord(nats, 'node4'), { k: 's', a: [] });
  });

  test('cluster route table - a persistent session with 12,000 filters resumed on a restarted node: its session and routes are written in several records, and every filter is reached', async () => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const persistent = { protocolVersion: 5, clean: false, clientId: 'many-filters', reconnectPeriod: 0, properties: { sessionExpiryInterval: 600 } } as const;
    const owner = await mqtt.connectAsync(b.url, persistent);
    const count = 12_000;
    for (let start = 0; start < count; start += 1000) {
      await owner.subscribeAsync(Array.from({ length: 1000 }, (_, index) => `many/filters/${start + index}`), { qos: 0 });
    }
    await owner.endAsync();
    await b.stop();
    const restarted = await b.restart();
    nodes[nodes.indexOf(b)] = restarted;
    const resumed = await mqtt.connectAsync(restarted.url, persistent);
    clients.push(resumed);
    const received: string[] = [];
    resumed.on('message', (topic) => received.push(topic));
    const nc = await connect({ servers: nats.urls[0]! });
    try {
      const jsm = await jetstreamManager(nc);
      const routeRecords = async (): Promise<number> => (await jsm.streams.info('ST_ROUTES', { subjects_filter: 'st.rt.node2' })).state.subjects?.['st.rt.node2'] ?? 0;
      const deadline = Date.now() + 15_000;
      let records = await routeRecords();
      while (records < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        records = await routeRecords();
      }
      assert.ok(records >= 2, `node2's routes in several records: ${records}`);
    } finally {
      await nc.drain();
    }
    const publisher = await connectTo(a);
    for (const index of [0, 5_000, count - 1]) await publisher.publishAsync(`many/filters/${index}`, 'x', { qos: 0 });
    await waitFor(() => received.length === 3, 'the first, a middle and the last filter reached from node1', 10_000);
    assert.deepEqual(received, ['many/filters/0', 'many/filters/5000', `many/filters/${count - 1}`]);
  });

  test('cluster route table - a killed node\'s routes are withdrawn by the node that takes it over', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const doomed = await connectTo(c);
    await doomed.subscribeAsync('doomed/t', { qos: 0 });
    await (await connectTo(b)).subscribeAsync('doomed/marker', { qos: 0 });
    const publisher = await connectTo(a);
    await publishThenMarker(publisher, 'doomed/t', 1, 'doomed/marker', ['node2']);
    await waitFor(() => tap.count('node3', 'doomed/t') === 1, 'the topic sent to node3 while it lives', 10_000);

    const alive = await lastRouteRecord(nats, 'node3');
    assert.ok(alive !== undefined && alive.a.length > 0, `node3's last route record adds its routes while it lives: ${JSON.stringify(alive)}`);
    await c.kill();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const record = await lastRouteRecord(nats, 'node3');
      if (record?.k === 's' && record.a.length === 0) break;
      assert.ok(Date.now() < deadline, `node3's routes withdrawn within 30 s (last record ${JSON.stringify(record)})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // node1 has read the withdrawal once its marker to node2 comes after it: send rounds until one carries nothing to node3.
    let rounds = 0;
    for (;;) {
      const before = tap.count('node3', 'doomed/t');
      await publishThenMarker(publisher, 'doomed/t', 1, 'doomed/marker', ['node2']);
      rounds++;
      if (tap.count('node3', 'doomed/t') === before) break;
      assert.ok(rounds < 200, 'node1 stops sending to the dead node');
    }
    const after = tap.count('node3', 'doomed/t');
    await publishThenMarker(publisher, 'doomed/t', 5, 'doomed/marker', ['node2']);
    assert.equal(tap.count('node3', 'doomed/t'), after, 'nothing more goes to the dead node');
    nodes.splice(nodes.indexOf(c), 1);
  });
});
