// Node membership: each node renews `n.<node>` in the nodes bucket every heartbeat with what the API
// shows about it; the bucket's max age removes records of nodes gone for good. A record older than
// node_ttl_ms marks its node down (2.9 emits no event when a KV entry expires, so this is polled).

import type { KV } from '@nats-io/kv';
import type { NodeInfo } from '../fabric.js';
import type { Logger } from '../../log.js';

export interface NodeRecord {
  name: string;
  boot: string;
  version: string;
  startedAt: number;
  connections: number;
  sessions: number;
  subscriptions: number;
  natsServer: string | undefined;
  rssBytes: number;
  load: [number, number, number];
  /** Milliseconds since the epoch of this write. */
  at: number;
}

export class NodeMembership {
  /** The last poll's records by node name. */
  private known = new Map<string, NodeRecord>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  /** Called after each poll with nodes that went from up to down; resolves false when the node turned out alive (asked again later). */
  onDown: ((record: NodeRecord) => Promise<boolean>) | undefined;
  private readonly reported = new Set<string>();

  constructor(
    private readonly kv: KV,
    private readonly node: string,
    private readonly heartbeatMs: number,
    private readonly ttlMs: number,
    private readonly describe: () => Omit<NodeRecord, 'at'>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    await this.poll();
    this.timer = setInterval(() => {
      this.beating = this.beat().then(() => this.poll()).catch((error: unknown) => this.logger.warn({ err: error }, 'cluster: heartbeat failed'));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const record: NodeRecord = { ...this.describe(), at: Date.now() };
    await this.kv.put(`n.${this.node}`, JSON.stringify(record));
  }

  private async poll(): Promise<void> {
    const known = new Map<string, NodeRecord>();
    const keys = await this.kv.keys('n.>');
    const names: string[] = [];
    for await (const key of keys) names.push(key);
    for (const key of names) {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) continue;
      const record = JSON.parse(entry.string()) as NodeRecord;
      known.set(record.name, record);
    }
    this.known = known;
    const now = Date.now();
    for (const record of known.values()) {
      if (record.name === this.node) continue;
      const down = now - record.at > this.ttlMs;
      const key = `${record.name}/${record.boot}`;
      if (down && !this.reported.has(key) && this.onDown !== undefined) {
        this.reported.add(key);
        void this.onDown(record).then((handled) => {
          if (!handled) this.reported.delete(key);
        });
      }
    }
  }

  /** Other nodes whose records are fresh. */
  peers(): string[] {
    const now = Date.now();
    return [...this.known.values()].filter((record) => record.name !== this.node && now - record.at <= this.ttlMs).map((record) => record.name);
  }

  /** Every known node, this one first. */
  async list(): Promise<NodeInfo[]> {
    await this.beating.catch(() => undefined);
    const now = Date.now();
    const self: NodeRecord = { ...this.describe(), at: now };
    const records = [self, ...[...this.known.values()].filter((record) => record.name !== this.node)];
    return records.map((record) => ({
      name: record.name,
      status: now - record.at <= this.ttlMs ? 'up' : 'down',
      self: record.name === this.node,
      version: record.version,
      startedAt: record.startedAt,
      uptimeSeconds: Math.floor((now - record.startedAt) / 1000),
      connections: record.connections,
      sessions: record.sessions,
      subscriptions: record.subscriptions,
      lastSeen: record.at,
      natsServer: record.natsServer,
      rssBytes: record.rssBytes ?? 0,
      load: record.load ?? [0, 0, 0],
    }));
  }

  /** Stops renewing; the record is written as already expired, so the other nodes take over at once. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.beating.catch(() => undefined);
    const record: NodeRecord = { ...this.describe(), at: 0 };
    await this.kv.put(`n.${this.node}`, JSON.stringify(record)).catch(() => undefined);
  }
}
