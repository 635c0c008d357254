// The cluster on NATS JetStream, assembled: the connection, the streams and buckets, the live and
// durable planes, the Store, membership and the control subjects. The broker instance builds it from
// `config.cluster` (src/instance.ts) and reaches it only through the Router (ClusterRouter), the Store
// (NatsStore), the session loader and the ClusterFabric interface.

import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import { jetstream, jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { QoS } from '../../codec/types.js';
import type { BrokerConfig, ClusterConfig } from '../../config/types.js';
import type { Message } from '../../core/message.js';
import type { Subscriber } from '../../core/subscriber.js';
import { sharedKey } from '../../core/subscription.js';
import type { Logger } from '../../log.js';
import type { SessionPersistence } from '../../session/persistence.js';
import type { ClusterRouter, Forwarder } from '../cluster-router.js';
import { LocalRouter } from '../../broker/local-router.js';
import type { Session } from '../../session/session.js';
import type { BrokerCore } from '../../broker/broker.js';
import type { SessionRegistry } from '../../session/registry.js';
import { createMessage } from '../../core/message.js';
import { SessionDirectory } from './sessions.js';
import type { ClusterFabric, NodeInfo } from '../fabric.js';
import { CommitTracker } from './commit.js';
import { connectWithRetry } from './connection.js';
import { SharedGroups } from './shared.js';
import { DurablePlane } from './durable.js';
import { LivePlane } from './live.js';
import { ClusterNames } from './names.js';
import { NatsStore } from './nats-store.js';
import { NodeMembership, type NodeRecord } from './nodes.js';
import { RouteSync } from './routes.js';
import { filterEntry, groupEntry, RouteTable } from '../route-table.js';
import { RecordReplica } from './records.js';
import { RetainedReplica } from './retained.js';
import { SessionState } from './session-state.js';

export interface FabricHost {
  config: BrokerConfig;
  cluster: ClusterConfig;
  router: ClusterRouter;
  broker: BrokerCore;
  registry: SessionRegistry;
  logger: Logger;
  version: string;
  /** Counts the API shows per node. */
  counts(): { connections: number; sessions: number; subscriptions: number };
  /** True once the broker is closing (stops the connection retries). */
  closing(): boolean;
}

const PING_TIMEOUT_MS = 2000;

/** A session's durable deliveries held back while it is brought up to date. */
interface Hold {
  /** Skip messages up to this stream sequence (its previous owner routed them to it). */
  until: number;
  /** While replaying: live deliveries wait here, in order. */
  buffer: Array<{ message: Message; qos: QoS; retain: boolean; ids: number[] | undefined }> | undefined;
}

export class NatsFabric implements ClusterFabric, Forwarder {
  readonly node: string;
  readonly boot = randomBytes(6).toString('hex');
  readonly names: ClusterNames;
  readonly tracker: CommitTracker;
  store!: NatsStore;
  private nc!: NatsConnection;
  private jsm!: JetStreamManager;
  private live!: LivePlane;
  private durable!: DurablePlane;
  private membership!: NodeMembership;
  private routes!: RouteSync;
  private persistence: SessionPersistence | undefined;
  private readonly controls: NatsSubscription[] = [];
  private readonly startedAt = Date.now();
  /** Who wants which topic, cluster-wide (this node's entries included). */
  readonly table: RouteTable;

  // Visitors of remote deliveries (bound once: no closure per message).
  private readonly deliverRemote = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined, group: string | undefined): void => {
    if (group !== undefined) return; // shared groups are routed cluster-wide
    subscriber.deliver(message, qos, retain, ids, undefined);
  };
  private readonly routeLive = (message: Message): void => {
    this.host.router.local.match(message, this.deliverRemote);
  };
  private readonly routeShared = (key: string, message: Message): void => {
    this.shared.deliverLive(key, message);
  };
  private readonly wanted = (topic: string): boolean => this.table.lookup(topic).self;
  /** Sessions being brought up to date (replay: their live durable deliveries wait) or skipping what they already hold. */
  private readonly holds = new Map<Subscriber, Hold>();
  private routingSequence = 0;
  private readonly deliverDurable = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined, group: string | undefined): void => {
    if (group !== undefined) return; // shared groups are routed cluster-wide
    if (this.holds.size !== 0) {
      const hold = this.holds.get(subscriber);
      if (hold !== undefined) {
        if (hold.buffer !== undefined) {
          hold.buffer.push({ message, qos, retain, ids });
          return;
        }
        if (this.routingSequence <= hold.until) return; // its previous owner routed this one to it already
        this.holds.delete(subscriber);
      }
    }
    subscriber.deliver(message, qos, retain, ids, undefined);
  };
  private readonly routeDurable = (message: Message, sequence: number): void => {
    this.routingSequence = sequence;
    this.host.router.local.match(message, this.deliverDurable);
  };
  constructor(private readonly host: FabricHost) {
    this.node = host.cluster.node;
    this.tracker = new CommitTracker(host.cluster.publishTimeoutMs);
    this.names = new ClusterNames(host.cluster.prefix);
    this.table = new RouteTable(this.node);
  }

  /** Connects (retrying until NATS answers), makes sure streams and buckets exist, and builds the Store. */
  async connect(): Promise<NatsStore> {
    const { cluster, logger } = this.host;
    this.nc = await connectWithRetry(cluster, `starling-${this.node}`, logger, this.host.closing);
    logger.info({ node: this.node, server: this.nc.info?.server_name, version: this.nc.info?.version }, 'cluster: connected to NATS');
    this.watchConnection();
    this.checkServer();
    this.jsm = await this.retrying('reach JetStream', () => jetstreamManager(this.nc, { timeout: 10_000 }));
    const js = jetstream(this.nc, { timeout: 10_000 });
    const { owners, nodes, records } = await this.retrying('set up streams and buckets', () => this.setUp());
    this.owners = owners;
    const sessions = new SessionState(js, this.jsm, this.names, this.tracker, this.node);
    const retained = new RetainedReplica(js, this.jsm, this.names, this.tracker, this.node, logger);
    const recordReplica = new RecordReplica(records, js, this.jsm, this.names.recordsBucket, this.tracker, logger);
    await this.retrying('read the configuration records', () => recordReplica.start());
    this.store = new NatsStore(sessions, retained, recordReplica, this.tracker, () => this.directory.clientsOf(this.node));
    this.live = new LivePlane(this.nc, this.names, this.node, this.routeLive, this.routeShared, logger);
    this.durable = new DurablePlane(
      this.nc, this.jsm, this.names, this.tracker,
      { node: this.node, boot: this.boot },
      this.wanted,
      this.routeDurable,
      () => this.persistence?.barrier(),
      logger,
    );
    this.membership = new NodeMembership(nodes, this.node, cluster.heartbeatMs, cluster.nodeTtlMs, () => this.describe(), logger);
    this.routes = new RouteSync(this.nc, js, this.jsm, this.names, this.tracker, this.table, { node: this.node, boot: this.boot, peers: () => this.membership.peers() }, logger);
    this.directory = new SessionDirectory({
      nc: this.nc,
      js,
      owners,
      names: this.names,
      node: this.node,
      store: this.store,
      registry: this.host.registry,
      broker: this.host.broker,
      persistence: () => this.persistence!,
      logger,
      routedSequence: () => this.durable.routedSequence,
      cursorOf: (node) => this.durable.cursorOf(node),
      catchUp: (session, cursor) => this.catchUp(session, cursor),
    });
    this.host.registry.loader = this.directory.loader;
    this.shared = new SharedGroups(js, this.jsm, this.names, this.host.router, this.host.broker, logger);
    this.host.router.forwarder = this;
    return this.store;
  }

  owners!: KV;
  private directory!: SessionDirectory;
  private shared!: SharedGroups;

  /** After the store was opened and restored: start routing and announce this node. */
  async start(persistence: SessionPersistence, applyRetained: (topic: string, message: import('../../store/store.js').StoredMessage | undefined) => void): Promise<void> {
    this.persistence = persistence;
    this.controls.push(this.nc.subscribe(this.names.control(this.node, 'ping'), { callback: (_error, msg) => void msg.respond() }));
    this.live.start();
    // The whole route table before this node takes clients; its own entries (restored sessions') announced.
    await this.retrying('read the route table', () => this.routes.start());
    this.store.retained.follow(this.store.retainedSequence, applyRetained);
    this.directory.start();
    // Wills this node recorded in a run that ended without disconnecting its clients (killed, restarted before anyone took over).
    void this.publishWillsOf(this.node).catch((error: unknown) => this.host.logger.warn({ err: error }, 'cluster: publishing wills left by an earlier run failed'));
    this.membership.onDown = (record) =>
      this.nodeDown(record).catch((error: unknown) => {
        this.host.logger.error({ err: error, node: record.name }, 'cluster: taking over a dead node failed');
        return false;
      });
    await this.retrying('create this node\'s message consumer', () => this.durable.start());
    await this.retrying('announce this node', () => this.membership.start());
  }

  /**
   * A node stopped renewing its record. One surviving node (elected by creating `j.<node>.<boot>`)
   * publishes the wills of its clients and adopts its persistent sessions from where its consumer
   * acknowledged; clients that reconnect elsewhere first take theirs at CONNECT.
   */
  private async nodeDown(record: NodeRecord): Promise<boolean> {
    const { logger } = this.host;
    // A stale record may only mean JetStream could not take its heartbeats (an election): a node that answers is alive.
    if (record.at !== 0 && (await this.answers(record.name))) return false;
    try {
      await this.owners.create(`j.${record.name}.${record.boot}`, this.node);
    } catch (error) {
      if (/wrong last sequence|key exists/i.test(String(error))) return true; // another node is taking care of it
      throw error;
    }
    logger.warn({ node: record.name }, 'cluster: node is down: publishing its clients\' wills and adopting its sessions');
    await this.routes.withdraw(record.name, record.boot);
    const wills = await this.publishWillsOf(record.name);
    const cursor = await this.durable.cursorOf(record.name);
    let adopted = 0;
    for (const clientId of await this.directory.clientsOf(record.name)) {
      if (await this.directory.adoptFrom(record.name, clientId, cursor)) adopted++;
    }
    await this.durable.removeConsumerOf(record.name);
    logger.info({ node: record.name, adopted, wills }, 'cluster: took over a dead node');
    return true;
  }

  /** Whether `node` answers on its control subject. */
  private async answers(node: string): Promise<boolean> {
    try {
      await this.nc.request(this.names.control(node, 'ping'), undefined, { timeout: PING_TIMEOUT_MS });
      return true;
    } catch {
      return false;
    }
  }

  /** Publishes the wills recorded by `node` for clients it lost without a DISCONNECT, and deletes them; returns how many. */
  private async publishWillsOf(node: string): Promise<number> {
    const wills = await this.directory.willsOf(node);
    for (const { key, stored } of wills) {
      const { willDelayInterval: _delay, ...properties } = stored.will.properties;
      const will = stored.will;
      this.host.broker.publish(createMessage({ topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties }, stored.clientId, this.node));
      await this.owners.delete(key).catch(() => undefined);
    }
    return wills.length;
  }

  private describe(): Omit<NodeRecord, 'at'> {
    return {
      name: this.node,
      boot: this.boot,
      version: this.host.version,
      startedAt: this.startedAt,
      ...this.host.counts(),
      natsServer: this.nc.info?.server_name,
      rssBytes: process.memoryUsage.rss(),
      load: loadavg() as [number, number, number],
    };
  }

  nodes(): Promise<NodeInfo[]> {
    return this.membership.list();
  }

  /**
   * Brings a session taken from another node up to date: that node routed the stream to it up to
   * `cursor`. Ahead of this node: skip until then. Behind: replay (cursor, here] through the session's
   * own subscriptions while live durable deliveries to it wait, then hand those on in order.
   */
  async catchUp(session: Session, cursor: number): Promise<void> {
    const here = this.durable.routedSequence;
    if (cursor >= here) {
      if (cursor > here) this.holds.set(session, { until: cursor, buffer: undefined });
      return;
    }
    const hold: Hold = { until: here, buffer: [] };
    this.holds.set(session, hold);
    try {
      const router = new LocalRouter('round_robin');
      for (const subscription of session.subscriptions.values()) if (subscription.group === undefined) router.add(subscription);
      await this.durable.replay(cursor, here, (message) => router.match(message, this.deliverReplayed));
    } finally {
      if (this.holds.get(session) === hold) this.holds.delete(session);
      for (const { message, qos, retain, ids } of hold.buffer ?? []) session.deliver(message, qos, retain, ids, undefined);
      hold.buffer = undefined;
    }
  }

  private readonly deliverReplayed = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined): void => {
    subscriber.deliver(message, qos, retain, ids, undefined);
  };

  // --- Forwarder ----------------------------------------------------------------------------

  forwardLive(message: Message): void {
    const destinations = this.table.lookup(message.topic);
    const nodes = destinations.nodes;
    for (let index = 0; index < nodes.length; index++) this.live.send(nodes[index]!, message);
    const groups = destinations.groups;
    for (let index = 0; index < groups.length; index++) {
      const group = groups[index]!;
      const node = group.pick();
      if (node === this.node) this.shared.deliverLive(group.key, message);
      else if (node !== undefined) this.live.send(node, message, group.key);
    }
  }

  forwardDurable(message: Message): void {
    this.durable.publish(message, this.table.lookup(message.topic).groups.length > 0);
    this.persistence?.noteExternalWrite();
  }

  interestAdded(filter: string): void {
    this.announced(this.routes.add(filterEntry(filter)));
  }

  interestRemoved(filter: string): void {
    this.routes.remove(filterEntry(filter));
  }

  groupAdded(group: string, filter: string): void {
    const key = sharedKey(group, filter);
    // QoS 1/2 from the group's consumer; QoS 0 from publishers that know the route.
    this.tracker.track(this.shared.add(group, filter));
    this.persistence?.noteExternalWrite();
    this.announced(this.routes.add(groupEntry(key)));
  }

  groupRemoved(group: string, filter: string): void {
    this.shared.remove(group, filter);
    this.routes.remove(groupEntry(sharedKey(group, filter)));
  }

  /** A route announced: SUBACK waits until every node has it (sync_subscribe), or nothing waits. */
  private announced(propagated: Promise<void>): void {
    if (!this.host.cluster.syncSubscribe) {
      propagated.catch(() => undefined);
      return;
    }
    this.tracker.track(propagated);
    this.persistence?.noteExternalWrite();
  }

  // --- set-up -------------------------------------------------------------------------------

  /** Streams and buckets, created by the first node (the others find them). */
  private async setUp(): Promise<{ owners: KV; nodes: KV; records: KV }> {
    const { cluster } = this.host;
    await this.ensureStreams();
    // KV operations time out after 5 s (nats.js' default): a CONNECT waiting on them is refused (0x88) well within connect_timeout.
    const kvm = new Kvm(this.nc);
    const replicas = cluster.replicas;
    const [owners, nodes, records] = await Promise.all([
      kvm.create(this.names.ownersBucket, { replicas, history: 1, allow_direct: false }),
      kvm.create(this.names.nodesBucket, { replicas, history: 1, ttl: Math.max(cluster.nodeTtlMs * 20, 60_000), allow_direct: false }),
      kvm.create(this.names.recordsBucket, { replicas, history: 1, allow_direct: false }),
    ]);
    return { owners, nodes, records };
  }

  /** JetStream may not be ready yet (no meta leader, a server still catching up): retry, logging each failure. */
  private async retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let count = 1; ; count++) {
      try {
        return await attempt();
      } catch (error) {
        if (this.host.closing()) throw error;
        this.host.logger.error({ err: error, attempt: count }, `cluster: cannot ${what} in JetStream yet; retrying`);
        await new Promise((resolve) => setTimeout(resolve, this.host.cluster.connectRetryMs));
      }
    }
  }

  private async ensureStreams(): Promise<void> {
    const { replicas, messageRetention } = this.host.cluster;
    const maxPayload = this.nc.info?.max_payload ?? 1024 * 1024;
    const common: Partial<StreamConfig> = { num_replicas: replicas, storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old };
    await this.addStream({
      ...common,
      name: this.names.messagesStream,
      subjects: [`${this.names.prefix}.d.>`],
      max_age: messageRetention * 1_000_000_000,
      duplicate_window: 120 * 1_000_000_000,
      max_msg_size: maxPayload,
    });
    await this.addStream({ ...common, name: this.names.retainedStream, subjects: [`${this.names.prefix}.r.>`], max_msgs_per_subject: 1 });
    await this.addStream({ ...common, name: this.names.sessionsStream, subjects: [`${this.names.prefix}.s.>`], max_msgs_per_subject: 1 });
    await this.addStream({ ...common, name: this.names.routesStream, subjects: [`${this.names.prefix}.rt.>`], allow_rollup_hdrs: true });
  }

  private async addStream(config: Partial<StreamConfig> & { name: string }): Promise<void> {
    try {
      await this.jsm.streams.add(config);
    } catch (error) {
      // Another node created it first (with the same configuration, or an older one: keep it).
      await this.jsm.streams.info(config.name).catch(() => {
        throw error;
      });
    }
  }

  /** NATS max_payload must carry the largest MQTT packet this node accepts. */
  private checkServer(): void {
    const info = this.nc.info;
    if (info === undefined) return;
    if (info.max_payload < this.host.config.maxPacketSize + 1024) {
      this.host.logger.warn(
        { maxPayload: info.max_payload, maxPacketSize: this.host.config.maxPacketSize },
        'cluster: NATS max_payload is below max_packet_size: larger messages cannot cross nodes (raise max_payload or lower max_packet_size)',
      );
    }
    if (!info.jetstream) this.host.logger.error({ server: info.server_name }, 'cluster: this NATS server has no JetStream');
  }

  private watchConnection(): void {
    const logger = this.host.logger;
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect') logger.warn({ server: (status as { server?: string }).server }, 'cluster: NATS connection lost; reconnecting');
        else if (status.type === 'reconnect') {
          logger.info({ server: (status as { server?: string }).server }, 'cluster: NATS reconnected');
          // A node that looked dead meanwhile had its routes emptied by whoever took it over.
          this.routes?.announceAgain();
        }
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.tracker.stopped = true;
    this.directory?.stop();
    this.shared?.stop();
    await this.membership?.stop();
    this.live?.stop();
    await this.routes?.stop();
    await this.durable?.stop();
    for (const control of this.controls) control.unsubscribe();
    await this.tracker.flushed()?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
  }
}
