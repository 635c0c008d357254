// Stream messages a node's consumer never received (lost in transit when a NATS server dies with them):
// the node must notice the jump in stream sequences and read them from the stream, because the next
// acknowledgement (AckPolicy.All) covers them and JetStream will not send them again. The loss is made
// on purpose with the test-only STARLINGTEST_LOSE_STREAM_DELIVERIES fault (src/cluster/nats/durable.ts).

import { after, before, describe, test } from 'node:test';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNode, type ClusterNode } from '../helpers/cluster-nodes.js';
import { CountingSubscriber, NumberedPublisher, expectEveryAcknowledgedReceived } from '../helpers/qos-clients.js';
import { waitFor } from '../helpers/wait.js';

const LOST_SEQUENCES = '3-8';

describe('cluster lost deliveries', { timeout: 120_000 }, () => {
  let nats: NatsCluster;
  const nodes: ClusterNode[] = [];

  before(async () => {
    nats = await startNatsCluster();
    nodes.push(await startClusterNode(nats, 'node1', { server: 0 }));
    process.env['STARLINGTEST_LOSE_STREAM_DELIVERIES'] = LOST_SEQUENCES;
    try {
      nodes.push(await startClusterNode(nats, 'node2', { server: 1 }));
    } finally {
      delete process.env['STARLINGTEST_LOSE_STREAM_DELIVERIES'];
    }
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await nats?.stop();
  });

  test(`cluster lost deliveries - stream messages ${LOST_SEQUENCES} never reach the subscriber's node: it reads them from the stream, nothing acknowledged is lost`, async (t) => {
    const [a, b] = nodes as [ClusterNode, ClusterNode];
    const subscriber = new CountingSubscriber({ clientId: 'ld-sub', sessionExpiry: 600 });
    await subscriber.connect(b.port, true);
    await subscriber.subscribe('ld/#', 1);
    const publisher = new NumberedPublisher({ clientId: 'ld-pub', sessionExpiry: 600, window: 4, topicPrefix: 'ld' });
    await publisher.connect(a.port, true);
    publisher.start();
    await waitFor(() => publisher.acknowledged.size >= 300, 'load flowing', 30_000);
    publisher.stop();
    await waitFor(() => publisher.inflightCount === 0, 'publisher settled', 30_000);
    const acknowledged = [...publisher.acknowledged];
    const duplicates = await expectEveryAcknowledgedReceived(acknowledged, subscriber, 20_000);
    t.diagnostic(`acknowledged ${acknowledged.length}, duplicates ${duplicates}`);
    await subscriber.disconnect();
    await publisher.disconnect();
  });
});
