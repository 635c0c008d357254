// What the broker instance sees of a cluster, whatever carries it: the nodes and their status (for the
// management API and $SYS), and stop. src/cluster/nats/ is the implementation on NATS JetStream.

/** One node as the management API lists it. */
export interface NodeInfo {
  name: string;
  /** `up` while its liveness record is fresh; `down` once it is older than node_ttl_ms (until it is forgotten). */
  status: 'up' | 'down';
  /** This is the node answering. */
  self: boolean;
  version: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  uptimeSeconds: number;
  connections: number;
  sessions: number;
  subscriptions: number;
  /** Milliseconds since the epoch of its last liveness record. */
  lastSeen: number;
  /** The NATS server it is connected to (server_name), if any. */
  natsServer: string | undefined;
  /** Resident memory of its process, and its machine's load averages (1, 5, 15 minutes), at its last record. */
  rssBytes: number;
  load: [number, number, number];
}

export interface ClusterFabric {
  /** This node's name in the cluster. */
  readonly node: string;
  /** Every node known (this one first), with its status. */
  nodes(): Promise<NodeInfo[]>;
  stop(): Promise<void>;
}
