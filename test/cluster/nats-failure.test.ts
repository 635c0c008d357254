// NATS failures under load: kill -9 of the NATS server a node is connected to, then of the message
// stream's leader, each restarted: acknowledgements stall briefly, nothing acknowledged is lost. Then
// quorum loss (2 of 3 servers down): new CONNECTs are refused with 0x88, a PUBACK is withheld, and both
// resume once the servers are back.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, type ClusterNode } from '../helpers/cluster-nodes.js';
import { CountingSubscriber, NumberedPublisher, expectEveryAcknowledgedReceived } from '../helpers/qos-clients.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

/** The server (n1, n2, n3) leading the message stream's Raft group. */
async function streamLeader(nats: NatsCluster): Promise<number> {
  const nc = await connect({ servers: nats.urls.filter((_, index) => nats.servers[index]!.running()) });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('ST_MSGS');
    return nats.servers.findIndex((server) => server.name === info.cluster?.leader);
  } finally {
    await nc.close();
  }
}

/** Connects, trying again while the node refuses with 0x88 (its cluster still electing), for at most 60 s. */
async function connectEventually(url: string, clientId: string): Promise<mqtt.MqttClient> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await mqtt.connectAsync(url, { protocolVersion: 5, clientId, reconnectPeriod: 0, connectTimeout: 30_000 });
    } catch (error) {
      if ((error as { code?: number }).code !== 0x88 || Date.now() > deadline) throw error;
    }
  }
}

describe('cluster NATS failures', { timeout: 300_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3, { config: { max_queued_messages: 1_000_000 } });
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });

  test('cluster NATS failures - kill -9 of a node\'s NATS server, then of the stream leader: acknowledgements stall briefly, nothing acknowledged is lost', async (t) => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const subscriber = new CountingSubscriber({ clientId: 'nf-sub', sessionExpiry: 600 });
    await subscriber.connect(b.port, true);
    await subscriber.subscribe('nf/#', 1);
    const publisher = new NumberedPublisher({ clientId: 'nf-pub', sessionExpiry: 600, window: 10, topicPrefix: 'nf' });
    await publisher.connect(a.port, true);
    // The longest time between two acknowledgements: the stall a failure causes.
    let lastAck = Date.now();
    let longestGap = 0;
    const watch = setInterval(() => {
      const size = publisher.acknowledged.size;
      if (size !== watchedSize) {
        watchedSize = size;
        lastAck = Date.now();
      } else longestGap = Math.max(longestGap, Date.now() - lastAck);
    }, 20);
    let watchedSize = 0;
    publisher.start();
    try {
      await waitFor(() => publisher.acknowledged.size >= 100, 'load flowing', 30_000);
      // Node A lists server 0 first: that is the one it is connected to.
      await nats.kill(0);
      const before1 = publisher.acknowledged.size;
      await waitFor(() => publisher.acknowledged.size >= before1 + 200, 'acknowledgements resume after its server died', 60_000);
      await nats.restart(0);
      await nats.waitForMetaLeader();
      await nats.waitForReplicasCurrent();
      const leader = await streamLeader(nats);
      assert.ok(leader >= 0, 'the stream has a leader');
      await nats.kill(leader);
      const before2 = publisher.acknowledged.size;
      await waitFor(() => publisher.acknowledged.size >= before2 + 200, 'acknowledgements resume after the stream leader died', 60_000);
      await nats.restart(leader);
      await nats.waitForMetaLeader();
      await nats.waitForReplicasCurrent();
      publisher.stop();
      await waitFor(() => publisher.inflightCount === 0, 'publisher settled', 60_000);
    } finally {
      clearInterval(watch);
    }
    const acknowledged = [...publisher.acknowledged];
    const duplicates = await expectEveryAcknowledgedReceived(acknowledged, subscriber, 60_000);
    t.diagnostic(`acknowledged ${acknowledged.length}, duplicates ${duplicates}, longest stall ${longestGap} ms`);
    await subscriber.disconnect();
    await publisher.disconnect();
  });

  test('cluster NATS failures - quorum lost: CONNECT refused with 0x88, PUBACK withheld, both resume when quorum returns', async (t) => {
    const a = nodes[0]!;
    await nats.waitForReplicasCurrent();
    // After the restarts above the node takes clients again (asked until it does, on a loaded machine).
    const client = await connectEventually(a.url, 'quorum-pub');
    await client.publishAsync('quorum/t', 'before', { qos: 1 });
    // Node A is on server 0: take the other two away.
    await nats.kill(1);
    await nats.kill(2);
    let acknowledged = false;
    const published = client.publishAsync('quorum/t', 'during', { qos: 1 }).then(() => (acknowledged = true));
    // A new client is refused while the cluster cannot decide who owns its session.
    const raw = await RawClient.open(a.port, 5);
    const connack = await raw.connect({ clientId: 'quorum-new', clean: true }, 30_000);
    raw.destroy();
    const refused = connack.reasonCode;
    assert.equal(refused, 0x88, 'Server unavailable');
    assert.equal(acknowledged, false, 'no PUBACK without a quorum');
    const lostFor = Date.now();
    await nats.restart(1);
    await nats.restart(2);
    await nats.waitForMetaLeader(60_000);
    await published;
    t.diagnostic(`PUBACK came ${Date.now() - lostFor} ms after the servers were restarted`);
    // Every stream and bucket has its leader again (they elect one by one): new clients are let in.
    await nats.waitForReplicasCurrent();
    const again = await connectEventually(a.url, 'quorum-new');
    await again.endAsync();
    await client.endAsync();
  });
});
