// Users, ACL rules, bans and records of any other kind are shared by every node (JetStream KV with a
// replica on each node), and each node lists the cluster's nodes with their status.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { StarlingBroker, clusterView, createLogger } from '../../src/internal.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNodes, TEST_CLUSTER_TIMING, type ClusterNode } from '../helpers/cluster-nodes.js';
import { starling } from '../helpers/ctl.js';
import { waitFor } from '../helpers/wait.js';

/** Connects, resolving with the CONNACK reason code (0 when accepted). */
async function connackCode(url: string, options: mqtt.IClientOptions): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
    await client.endAsync();
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

/** Asks `check` again (each answer is a round trip to a node) until it holds, for at most 15 s. */
async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20)); // lets the in-process nodes' timers run between checks
  }
}

describe('cluster records', { timeout: 180_000 }, () => {
  let nats: NatsCluster;
  let nodes: ClusterNode[];
  const brokers: StarlingBroker[] = [];

  before(async () => {
    nats = await startNatsCluster();
    nodes = await startClusterNodes(nats, 3, { config: { authentication: [{ type: 'builtin' }], allow_anonymous: true } });
  });
  after(async () => {
    await Promise.all(brokers.map((broker) => broker.close()));
    await Promise.all((nodes ?? []).map((node) => node.stop()));
    await nats?.stop();
  });

  test('cluster records - a user added on one node logs in on another; an ACL rule and a ban made on one node apply on the others', async () => {
    const [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    const added = await starling(['ctl', 'users', 'add', 'alice', '--password', 'alice password', '--data-dir', a.dataDir]);
    assert.equal(added.code, 0, added.stderr);
    // The other nodes' replicas follow the bucket: asked again until they have it.
    await eventually(async () => (await connackCode(b.url, { username: 'alice', password: 'alice password' })) === 0, 'alice logs in on node 2');
    assert.equal(await connackCode(c.url, { username: 'alice', password: 'wrong' }), 0x86, 'a wrong password is refused on node 3');

    const rule = await starling(['ctl', 'acl', 'add', 'deny', 'publish', 'secret/#', '--data-dir', b.dataDir]);
    assert.equal(rule.code, 0, rule.stderr);
    const publisher = await mqtt.connectAsync(c.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: 'acl-pub' });
    const puback = (): Promise<number> =>
      new Promise((resolve) => publisher.publish('secret/x', 'x', { qos: 1 }, (_error, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0)));
    await eventually(async () => (await puback()) === 0x87, 'the ACL rule made on node 2 denies on node 3 (PUBACK 0x87)');
    await publisher.endAsync();

    const ban = await starling(['ctl', 'banned', 'add', 'clientid', 'bad-device', '--data-dir', c.dataDir]);
    assert.equal(ban.code, 0, ban.stderr);
    await eventually(async () => (await connackCode(a.url, { clientId: 'bad-device' })) === 0x8a, 'the ban made on node 3 refuses on node 1 (0x8A)');
  });

  test('cluster records - records of any kind are replicated (a kind no node knows of), and every node lists the cluster\'s nodes', async () => {
    const logger = createLogger({ logLevel: 'silent', logPretty: false });
    const make = (name: string): StarlingBroker =>
      new StarlingBroker({ logger, sysInterval: 0, cluster: { nats: nats.urls, node: name, heartbeatMs: TEST_CLUSTER_TIMING.heartbeat_ms, nodeTtlMs: TEST_CLUSTER_TIMING.node_ttl_ms } as never });
    const first = make('inproc1');
    const second = make('inproc2');
    brokers.push(first, second);
    await Promise.all([first.start(), second.start()]);
    first.store!.records.save('rule' as never, 'r1', { sql: 'SELECT * FROM "t/#"', enabled: true });
    await waitFor(() => second.store!.records.get('rule' as never, 'r1') !== undefined, 'the record on the other node', 15_000);
    assert.deepEqual(second.store!.records.get('rule' as never, 'r1'), { sql: 'SELECT * FROM "t/#"', enabled: true });
    second.store!.records.delete('rule' as never, 'r1');
    await waitFor(() => first.store!.records.get('rule' as never, 'r1') === undefined, 'the deletion on the other node', 15_000);

    let listed: Awaited<ReturnType<StarlingBroker['nodes']>> = [];
    await eventually(async () => (listed = await first.nodes()).filter((node) => node.status === 'up').length === 5, 'five nodes up').catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${JSON.stringify(listed)}`);
    });
    assert.equal(listed[0]!.name, 'inproc1');
    assert.equal(listed[0]!.self, true);
    assert.deepEqual(listed.filter((node) => node.status === 'up').map((node) => node.name).sort(), ['inproc1', 'inproc2', 'node1', 'node2', 'node3']);
    for (const node of listed) {
      assert.equal(typeof node.version, 'string');
      assert.ok(node.uptimeSeconds >= 0);
      assert.ok(node.connections >= 0);
    }
    // The management API's /api/v5/nodes lists the other members through this view (EMQX's node objects).
    const others = await clusterView(first).otherNodes();
    assert.deepEqual(others.filter((node) => node.node_status === 'running').map((node) => node.node).sort(), ['inproc2', 'node1', 'node2', 'node3']);
    // A broker running alone lists itself.
    const alone = new StarlingBroker({ logger, sysInterval: 0 });
    await alone.start();
    const own = await alone.nodes();
    await alone.close();
    assert.equal(own.length, 1);
    assert.equal(own[0]!.status, 'up');
    assert.equal(own[0]!.self, true);
  });
});
