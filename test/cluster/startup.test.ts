// Starting a cluster node: configuration errors name the key; with NATS unreachable the node logs a
// clear error, keeps retrying and accepts no client, and starts once NATS answers (never alone).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, StarlingBroker, createLogger } from '../../src/internal.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { startClusterNode, type ClusterNode } from '../helpers/cluster-nodes.js';
import { lastSpawnedLogs, runStarling, temporaryDataDir } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

describe('cluster start', { timeout: 120_000 }, () => {
  let nats: NatsCluster;
  let node: ClusterNode | undefined;
  before(async () => {
    nats = await startNatsCluster();
  });
  after(async () => {
    await node?.stop();
    await nats?.stop();
  });

  test('cluster start - configuration errors name the key', async () => {
    const logger = createLogger({ logLevel: 'silent', logPretty: false });
    assert.throws(() => new StarlingBroker({ logger, cluster: {} as never }), (error: unknown) => error instanceof ConfigError && /cluster\.nats: required/.test(error.message));
    assert.throws(() => new StarlingBroker({ logger, cluster: { nats: ['http://x'] } as never }), /cluster\.nats: expected a non-empty list of nats:\/\/host:port URLs/);
    assert.throws(() => new StarlingBroker({ logger, cluster: { nats: ['nats://127.0.0.1:4222'], node: 'a.b' } as never }), /cluster\.node: expected 1 to 64 letters/);
    assert.throws(() => new StarlingBroker({ logger, cluster: { nats: ['nats://127.0.0.1:4222'], replica: 3 } as never }), /cluster\.replica: unknown key.*did you mean replicas/);
    const { dataDir, remove } = await temporaryDataDir();
    const refused = await runStarling(dataDir, [], 10_000, { cluster: { nats: ['nats://127.0.0.1:1'], heartbeat_ms: 'often' } });
    await remove();
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cluster\.heartbeat_ms: expected an integer/);
  });

  test('cluster start - with NATS unreachable the node logs the error, retries, accepts nobody, and starts once NATS is back', async () => {
    for (let index = 0; index < 3; index++) await nats.kill(index);
    const starting = startClusterNode(nats, 'late', { cluster: { connect_retry_ms: 200 }, readyTimeoutMs: 60_000 });
    // It is not listening while it cannot reach NATS; it says why, more than once.
    const pending = starting.then((started) => (node = started));
    const logs = await waitForLogs();
    assert.ok(logs >= 2, 'retried');
    for (let index = 0; index < 3; index++) await nats.restart(index);
    await nats.waitForMetaLeader();
    node = await pending;
    assert.ok(node.logs.some((entry) => entry['msg'] === 'cluster: node started'));
  });
});

/** Counts the starting node's "cannot reach NATS" log lines (it has not listened yet, so only its logs show it). */
async function waitForLogs(): Promise<number> {
  let count = 0;
  await waitFor(() => {
    count = lastSpawnedLogs().filter((entry) => String(entry['msg']).startsWith('cluster: cannot reach NATS')).length;
    return count >= 2;
  }, 'two "cannot reach NATS" log lines', 30_000);
  return count;
}
