// Node loss: kill -9 of a Starling node under QoS 1/2 load, with publishers on other nodes and a
// persistent subscriber on the killed node, then kill -9 of a publishers' node: every PUBACKed/PUBRECed
// message reaches the subscriber (duplicates counted and reported); the wills of the killed node's
// clients are published exactly once by a surviving node.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { CountingSubscriber, NumberedPublisher, expectEveryAcknowledgedReceived } from '../helpers/qos-clients.js';
import { waitFor } from '../helpers/wait.js';

describe('cluster node loss', { timeout: 240_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  const clients: mqtt.MqttClient[] = [];

  before(async () => {
    nats = await startNatsCluster();
    // The subscriber is offline for seconds under load: room for everything queued meanwhile.
    nodes = await startClusterNodes(nats, 3, { config: { max_queued_messages: 1_000_000 } });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });

  test('cluster node loss - kill -9 of the subscriber\'s node, then of a publisher\'s node: every acknowledged message is received, wills published once', async (t) => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    // Wills: a client on C with a will, one on C without (normal DISCONNECT later is impossible: C dies).
    const watcher = await mqtt.connectAsync(a.url, { protocolVersion: 5, clientId: 'will-watcher', reconnectPeriod: 0 });
    clients.push(watcher);
    const wills: string[] = [];
    watcher.on('message', (topic, payload) => wills.push(`${topic}=${payload.toString()}`));
    await watcher.subscribeAsync('wills/#', { qos: 1 });
    const doomed = await mqtt.connectAsync(c.url, {
      protocolVersion: 5, clientId: 'will-on-c', reconnectPeriod: 0,
      will: { topic: 'wills/c', payload: Buffer.from('c is gone'), qos: 1, retain: false, properties: { userProperties: { from: 'c' } } },
    });
    clients.push(doomed);
    doomed.on('error', () => undefined);

    const subscriber = new CountingSubscriber({ clientId: 'loss-sub', sessionExpiry: 600 });
    await subscriber.connect(c.port, true);
    await subscriber.subscribe('loss/#', 1);
    await subscriber.subscribe('loss2/#', 2);
    const p1 = new NumberedPublisher({ clientId: 'loss-pub-a', sessionExpiry: 600, window: 20, topicPrefix: 'loss' });
    const p2 = new NumberedPublisher({ clientId: 'loss-pub-b', sessionExpiry: 600, window: 20, topicPrefix: 'loss2' });
    await p1.connect(a.port, true);
    await p2.connect(b.port, true);
    p1.start();
    p2.start();
    await waitFor(() => subscriber.received.length >= 200 && p1.acknowledged.size >= 100 && p2.acknowledged.size >= 100, 'load flowing', 60_000);

    // 1. Kill the subscriber's node.
    await c.kill();
    await waitFor(() => !subscriber.connected, 'subscriber disconnected', 10_000);
    await waitFor(() => p1.acknowledged.size >= 300 && p2.acknowledged.size >= 300, 'acknowledgements go on without the killed node', 60_000);
    // The subscriber resumes its session on B (a surviving node).
    assert.equal(await subscriber.connect(b.port, false), true, 'session present on another node');
    await waitFor(() => wills.length >= 1, 'the will of the killed node\'s client', 30_000);

    // 2. Kill a publisher's node.
    await a.kill();
    await waitFor(() => p2.acknowledged.size >= 600, 'load goes on', 60_000);
    p1.stop();
    p2.stop();
    await waitFor(() => p2.inflightCount === 0, 'publisher B settled', 30_000);

    const acknowledged = [...p1.acknowledged, ...p2.acknowledged];
    const duplicates = await expectEveryAcknowledgedReceived(acknowledged, subscriber, 60_000);
    t.diagnostic(`acknowledged ${acknowledged.length} (A ${p1.acknowledged.size}, B ${p2.acknowledged.size}), received ${subscriber.received.length}, duplicates ${duplicates}`);
    // Nothing arrived that was never sent.
    const sent = new Set([...p1.sent, ...p2.sent]);
    assert.ok(subscriber.received.every((payload) => sent.has(payload)));
    // The will of C's client: exactly once, with its properties. (A watcher on A died with A: it saw it before.)
    assert.deepEqual(wills, ['wills/c=c is gone']);
    await subscriber.disconnect();
    await p2.disconnect();
  });
});
