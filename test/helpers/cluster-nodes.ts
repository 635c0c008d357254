// Starling node processes joined into one cluster over a test NATS cluster (nats-cluster.ts): each
// node is `starling start` with a `cluster` section listing every NATS server, its own first.

import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsCluster } from './nats-cluster.js';
import { startBrokerProcess, temporaryDataDir, type BrokerProcess } from './broker-process.js';

export interface ClusterNode extends BrokerProcess {
  readonly name: string;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** Starts the same node again (same name and data directory) after it was killed or stopped. */
  restart(): Promise<ClusterNode>;
}

export interface NodeOptions {
  /** Index of the NATS server listed first. */
  server?: number;
  /** More keys of the `cluster` section (snake_case). */
  cluster?: Record<string, unknown>;
  /** More top-level config keys. */
  config?: Record<string, unknown>;
  readyTimeoutMs?: number;
}

/** Fast failure detection for tests: nodes are told dead after 3 s without a heartbeat. */
export const TEST_CLUSTER_TIMING = { heartbeat_ms: 500, node_ttl_ms: 3000 };

export async function startClusterNode(nats: NatsCluster, name: string, options: NodeOptions = {}): Promise<ClusterNode> {
  const { dataDir } = await temporaryDataDir();
  const first = options.server ?? 0;
  const urls = [...nats.urls.slice(first), ...nats.urls.slice(0, first)];
  const config = { ...options.config, cluster: { nats: urls, node: name, ...TEST_CLUSTER_TIMING, ...options.cluster } };
  const start = async (): Promise<ClusterNode> => {
    const logLevel = globalThis.process.env['STARLING_CLUSTER_TEST_LOG_LEVEL'];
    const process = await startBrokerProcess(dataDir, logLevel === undefined ? [] : ['--log-level', logLevel], config, options.readyTimeoutMs ?? 30_000);
    // STARLING_CLUSTER_TEST_LOGS=<dir>: each node's output goes to <dir>/<node>.log too (for looking into a failure;
    // STARLING_CLUSTER_TEST_LOG_LEVEL sets the nodes' level).
    const logDir = globalThis.process.env['STARLING_CLUSTER_TEST_LOGS'];
    if (logDir !== undefined) process.child.stdout!.on('data', (chunk: string) => appendFileSync(join(logDir, `${name}.log`), chunk));
    return { ...process, name, url: `mqtt://127.0.0.1:${process.port}`, restart: start };
  };
  return start();
}

/** Starts `count` nodes (n1 on server 0, n2 on server 1, ...) in parallel. */
export async function startClusterNodes(nats: NatsCluster, count: number, options: Omit<NodeOptions, 'server'> = {}): Promise<ClusterNode[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => startClusterNode(nats, `node${index + 1}`, { ...options, server: index % nats.servers.length })));
}
