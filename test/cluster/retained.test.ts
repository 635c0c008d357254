// Retained messages cluster-wide: set on one node and seen by subscribers on the others (exact and
// wildcard filters), deleted from any node, and present on a node that joins later.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNode, startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';

type Received = [string, Buffer, mqtt.IPublishPacket];

/** A retained message every node has (set first): retained messages of one SUBSCRIBE come in filter order, so it marks the end. */
const END = 'end/marker';

/** The retained messages a new subscription to `filter` on `node` gets. */
async function retainedAt(node: ClusterNode, filter: string): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(node.url, { protocolVersion: 5, reconnectPeriod: 0 });
  const seen = new Map<string, string>();
  const ended = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no retained ${END} on ${node.name}`)), 1000);
    client.on('message', (topic: string, payload: Buffer, packet: mqtt.IPublishPacket) => {
      if (topic === END) {
        clearTimeout(timer);
        resolve();
      } else if (packet.retain) seen.set(topic, payload.toString());
    });
  });
  await client.subscribeAsync([filter, END], { qos: 1 });
  await ended;
  await client.endAsync();
  return seen;
}

/** Subscribes on `node` again until `topic`'s retained message reads `payload` ('' for none): other nodes' replicas follow the stream. */
async function waitForRetained(node: ClusterNode, topic: string, payload: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await retainedAt(node, topic);
    if ((seen.get(topic) ?? '') === payload) return;
    if (Date.now() > deadline) throw new Error(`retained ${topic} on ${node.name}: ${seen.get(topic)} instead of ${payload || 'none'}`);
  }
}

/** Waits until `node`'s replica has the end marker (subscribing again until it arrives). */
async function waitForEnd(node: ClusterNode, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await retainedAt(node, END);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

describe('cluster retained', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  let late: ClusterNode | undefined;

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3);
    const publisher = await mqtt.connectAsync(nodes[0]!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await publisher.publishAsync(END, 'end', { qos: 1, retain: true });
    await publisher.endAsync();
    // Every node's replica has it before the tests look at others.
    for (const node of nodes) await waitForEnd(node);
  });
  after(async () => {
    await Promise.all([...(nodes ?? []), ...(late === undefined ? [] : [late])].map((node) => node.stop()));
    await nats?.stop();
  });

  test('cluster retained - set on one node, seen on the others (exact and wildcard), deleted from a third, and read by a node that joins later', async () => {
    const publisher = await mqtt.connectAsync(nodes[0]!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await publisher.publishAsync('ret/a', 'A1', { qos: 1, retain: true });
    await publisher.publishAsync('ret/b/c', 'C1', { qos: 0, retain: true });
    await publisher.publishAsync('ret/a', 'A2', { qos: 1, retain: true }); // replaces A1
    await publisher.publishAsync('ret/x.y', 'dotted', { qos: 1, retain: true, properties: { userProperties: { kept: 'yes' } } });
    await publisher.publishAsync('ret/marker', 'M', { qos: 1, retain: true });
    await publisher.endAsync();

    for (const node of nodes.slice(1)) {
      // Once the marker is there, everything written before it is (the replica applies the stream in order).
      await waitForRetained(node, 'ret/marker', 'M');
      assert.deepEqual(await retainedAt(node, 'ret/a'), new Map([['ret/a', 'A2']]), `${node.name} exact`);
      const all = await retainedAt(node, 'ret/#');
      assert.deepEqual([...all].sort(), [['ret/a', 'A2'], ['ret/b/c', 'C1'], ['ret/marker', 'M'], ['ret/x.y', 'dotted']]);
    }
    // Properties survive the crossing.
    const subscriber = await mqtt.connectAsync(nodes[1]!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const received = new Promise<Received>((resolve) => subscriber.on('message', (...args: Received) => resolve(args)));
    await subscriber.subscribeAsync('ret/x.y', { qos: 1 });
    const [, , packet] = await received;
    assert.deepEqual({ ...packet.properties?.userProperties }, { kept: 'yes' });
    await subscriber.endAsync();

    // Deleted from node 3 [MQTT-3.3.1-6]: gone everywhere.
    const deleter = await mqtt.connectAsync(nodes[2]!.url, { protocolVersion: 5, reconnectPeriod: 0 });
    await deleter.publishAsync('ret/a', '', { qos: 1, retain: true });
    await deleter.publishAsync('ret/marker', 'M2', { qos: 1, retain: true });
    await deleter.endAsync();
    for (const node of nodes) {
      await waitForRetained(node, 'ret/marker', 'M2');
      const all = await retainedAt(node, 'ret/#');
      assert.equal(all.has('ret/a'), false, `${node.name}: deleted`);
      assert.equal(all.get('ret/b/c'), 'C1');
    }

    // A node that joins now reads the current set at start.
    late = await startClusterNode(nats, 'node4');
    const atLate = await retainedAt(late, 'ret/#');
    assert.deepEqual([...atLate].sort(), [['ret/b/c', 'C1'], ['ret/marker', 'M2'], ['ret/x.y', 'dotted']]);
    assert.equal(atLate.size, 3);
  });
});
