// Shared subscriptions across nodes: each message goes to one member cluster-wide, spread over the
// nodes; the unacknowledged messages of a member whose node is killed go to another member.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { CountingSubscriber } from '../helpers/qos-clients.js';
import { waitFor } from '../helpers/wait.js';

describe('cluster shared subscriptions', { timeout: 180_000 }, () => {
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

  test('cluster shared subscriptions - each message to one member cluster-wide, every node taking a share (QoS 0 and 1)', async (t) => {
    for (const qos of [0, 1] as const) {
      const counts = [0, 0, 0];
      const seen = new Map<string, number>();
      const members = await Promise.all(
        nodes.map(async (node, index) => {
          const member = await mqtt.connectAsync(node.url, { protocolVersion: 5, clientId: `member-${qos}-${index}`, reconnectPeriod: 0 });
          clients.push(member);
          member.on('message', (_topic, payload) => {
            counts[index]!++;
            seen.set(payload.toString(), (seen.get(payload.toString()) ?? 0) + 1);
          });
          await member.subscribeAsync(`$share/workers/jobs/${qos}/+`, { qos });
          return member;
        }),
      );
      const publisher = await mqtt.connectAsync(nodes[0]!.url, { protocolVersion: 5, clientId: `shared-pub-${qos}`, reconnectPeriod: 0 });
      clients.push(publisher);
      const total = 600;
      for (let i = 0; i < total; i++) void publisher.publish(`jobs/${qos}/x`, `j${i}`, { qos });
      await waitFor(() => seen.size === total, `all ${total} QoS ${qos} messages delivered`, 30_000);
      t.diagnostic(`QoS ${qos}: per node ${counts.join(' / ')}`);
      assert.ok([...seen.values()].every((count) => count === 1), 'each message to exactly one member');
      // Spread, not an even split: NATS picks a node per NATS message (a batch of up to 16) at random for QoS 0,
      // and for QoS 1 the nodes pull, a busier node taking less. Every node takes part; none takes most.
      for (const count of counts) assert.ok(count > 0 && count < total * 0.7, `every node takes a share: ${counts.join(' / ')}`);
      await Promise.all(members.map((member) => member.endAsync()));
    }
  });

  test('cluster shared subscriptions - the unacknowledged messages of a member whose node is killed go to another member', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    // The member on C takes messages and never acknowledges them.
    const stuck = new CountingSubscriber({ clientId: 'stuck-member', sessionExpiry: 0 });
    await stuck.connect(c.port, true);
    stuck.withholdAcks = true;
    await stuck.subscribe('$share/crew/tasks/#', 1);
    const live = new Map<string, number>();
    for (const node of [a, b]) {
      const member = await mqtt.connectAsync(node.url, { protocolVersion: 5, clientId: `crew-${node.name}`, reconnectPeriod: 0 });
      clients.push(member);
      member.on('message', (_topic, payload) => live.set(payload.toString(), (live.get(payload.toString()) ?? 0) + 1));
      await member.subscribeAsync('$share/crew/tasks/#', { qos: 1 });
    }
    const publisher = await mqtt.connectAsync(a.url, { protocolVersion: 5, clientId: 'crew-pub', reconnectPeriod: 0 });
    clients.push(publisher);
    const total = 60;
    for (let i = 0; i < total; i++) await publisher.publishAsync('tasks/t', `t${i}`, { qos: 1 });
    await waitFor(() => stuck.received.length + live.size >= total, 'every task handed to a member', 30_000);
    assert.ok(stuck.received.length > 0, 'the member on C took some');
    await c.kill();
    // JetStream gives them to another member once their ack wait passes.
    await waitFor(() => Array.from({ length: total }, (_, i) => `t${i}`).every((task) => live.has(task)), 'every task at a live member', 60_000);
  });
});
