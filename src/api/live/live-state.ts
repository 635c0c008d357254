// What the management API keeps about a running broker's live state, from the moment its management
// plane opens: the client index (client-index.ts) and the monitor's samples (monitor.ts). Routes about
// clients, subscriptions, retained messages, publishing, stats and charts reach the broker through it;
// on `starling ctl` against a stopped broker's data directory there is none, and they answer 503.

import { Channel } from '../../channel/channel.js';
import type { StarlingBroker } from '../../instance.js';
import { AdminError } from '../../admin/operations.js';
import { ClientIndex } from './client-index.js';
import { Monitor, MONITOR_DEFAULTS, type MonitorOptions } from './monitor.js';
import type { NodeInfo } from './stats.js';

/**
 * The other nodes of a cluster, as the node routes list them. Standalone brokers have none; the
 * cluster module sets `LiveState.cluster` to list its members (their `/nodes` objects, status
 * `stopped` for members that are away).
 */
export interface ClusterView {
  otherNodes(): Promise<NodeInfo[]>;
}

export class LiveState {
  readonly clients: ClientIndex;
  readonly monitor: Monitor;
  /** When the management plane opened (at broker start): the node's uptime counts from here. */
  readonly startedAt = Date.now();
  cluster: ClusterView | undefined;

  constructor(
    readonly broker: StarlingBroker,
    monitorOptions: MonitorOptions = MONITOR_DEFAULTS,
  ) {
    this.clients = new ClientIndex({
      sessions: () => broker.registry.all(),
      connectedClients: () => connectedClients(broker),
      session: (clientId) => broker.registry.get(clientId),
      on: (event, listener) => void broker.on(event, listener),
      off: (event, listener) => void broker.off(event, listener),
    });
    this.monitor = new Monitor(broker.metrics, () => broker.store !== undefined, monitorOptions);
    this.monitor.start();
  }

  get nodeName(): string {
    return this.broker.config.nodeName;
  }

  /** The channel of a connected client (for its Receive Maximum and kick), if it is connected. */
  channel(clientId: string): Channel | undefined {
    const live = this.broker.registry.liveClient(clientId);
    return live instanceof Channel ? live : undefined;
  }

  close(): void {
    this.clients.close();
    this.monitor.stop();
  }
}

function* connectedClients(broker: StarlingBroker): Iterable<{ client: NonNullable<Channel['client']>; connectedAt: number }> {
  for (const link of broker.channels.all()) {
    const channel = link.channel;
    if (channel.state === 'connected' && channel.client !== undefined) yield { client: channel.client, connectedAt: channel.connectedAt };
  }
}

/** The live state of the running broker, or a 503 saying that this needs one. */
export function requireLive(live: LiveState | undefined): LiveState {
  if (live === undefined) throw new AdminError(503, 'no broker is running on this data directory: start it first', 'NO_BROKER');
  return live;
}
