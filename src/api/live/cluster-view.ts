// The other nodes of a cluster as the management API's node objects (EMQX's shape), from the cluster's
// own list (broker.nodes(): src/cluster/fabric.ts).

import type { StarlingBroker } from '../../instance.js';
import type { ClusterView } from './live-state.js';
import type { NodeInfo } from './stats.js';

export function clusterView(broker: StarlingBroker): ClusterView {
  return {
    async otherNodes(): Promise<NodeInfo[]> {
      const nodes = await broker.nodes();
      return nodes
        .filter((node) => !node.self)
        .map((node) => ({
          node: node.name,
          node_status: node.status === 'up' ? 'running' : 'stopped',
          role: 'core',
          version: node.version,
          edition: 'Opensource',
          uptime: node.uptimeSeconds * 1000,
          connections: node.sessions,
          live_connections: node.connections,
          cluster_sessions: node.sessions,
          load1: node.load[0],
          load5: node.load[1],
          load15: node.load[2],
          memory_total: '',
          memory_used: '',
          node_version: '',
          process_rss: node.rssBytes,
          sys_path: '',
          log_path: 'standard output',
        }));
    },
  };
}
