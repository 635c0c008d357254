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
import { connectionOptions, connectWithRetry } from './connection.js';
import { connect } from '@nats-io/transport-node';
import { SharedGroups } from './shared.js';
import { DurablePlane } from './durable.js';
import { LivePlane } from './live.js';
import { ClusterNames } from './names.js';
import { NatsStore } from './nats-store.js';
import { NodeMembership, type NodeRecord } from './nodes.js';
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
  private persistence: SessionPersistence | undefined;
  private readonly controls: NatsSubscription[] = [];
  private readonly startedAt = Date.now();
  private propagationScheduled = false;

  // Visitors of remote deliveries (bound once: no closure per message).
  private readonly deliverRemote = (message: Message, subscriber: Subscriber, qos: QoS, retain: boolean, ids: number[] | undefined, group: string | undefined): void => {
    if (group !== undefined) return; // shared groups are routed cluster-wide
    subscriber.deliver(message, qos, retain, ids, undefined);
  };
  private readonly routeLive = (message: Message): void => {
    this.host.router.local.match(message, this.deliverRemote);
  };
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
  private readonly propagate = (): void => {
    this.propagationScheduled = false;
    if (!this.live.takeAdded()) return;
    this.tracker.track(this.interestPropagated());
    this.persistence?.noteExternalWrite();
  };

  constructor(private readonly host: FabricHost) {
    this.node = host.cluster.node;
    this.tracker = new CommitTracker(host.cluster.publishTimeoutMs);
    this.names = new ClusterNames(host.cluster.prefix);
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
    this.live = new LivePlane(this.nc, this.names, this.node, this.routeLive, logger);
    this.durable = new DurablePlane(
      this.nc, this.jsm, this.names, this.tracker,
      { node: this.node, boot: this.boot },
      this.routeDurable,
      () => this.persistence?.barrier(),
      logger,
    );
    this.membership = new NodeMembership(nodes, this.node, cluster.heartbeatMs, cluster.nodeTtlMs, () => this.describe(), logger);
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
    this.shared = new SharedGroups(
      () => this.echoConnection(),
      (nc, subscribe) => {
        subscribe();
        return this.interestPropagated(nc);
      },
      js, this.jsm, this.names, this.host.router, this.host.broker, logger,
    );
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
    this.live.publish(message);
  }

  forwardDurable(message: Message): void {
    this.durable.publish(message);
    this.persistence?.noteExternalWrite();
  }

  interestAdded(filter: string): void {
    this.live.addFilter(filter);
    if (this.host.cluster.syncSubscribe && !this.propagationScheduled) {
      // Once per turn, after every SUBSCRIBE handled in it: the SUBACKs wait for the interest to reach the other servers.
      this.propagationScheduled = true;
      queueMicrotask(this.propagate);
    }
  }

  interestRemoved(filter: string): void {
    this.live.removeFilter(filter);
  }

  groupAdded(group: string, filter: string): void {
    this.tracker.track(this.shared.add(group, filter));
    this.persistence?.noteExternalWrite();
  }

  groupRemoved(group: string, filter: string): void {
    this.shared.remove(group, filter);
  }

  /** The connection shared groups' live subscriptions use: it receives this node's own publications too. */
  private echoConnection(): Promise<NatsConnection> {
    this.echo ??= connect({ ...connectionOptions(this.host.cluster, `starling-${this.node}-shared`), noEcho: false });
    return this.echo;
  }
  private echo: Promise<NatsConnection> | undefined;

  /**
   * Resolves once every other node's server has this node's new subscriptions: a request to each peer's
   * ping subject travels the same route as the interest, behind it, so its reply proves the interest arrived.
   */
  private async interestPropagated(nc: NatsConnection = this.nc): Promise<void> {
    await nc.flush();
    const peers = this.membership.peers();
    await Promise.all(peers.map((peer) => this.nc.request(this.names.control(peer, 'ping'), undefined, { timeout: PING_TIMEOUT_MS }).catch(() => undefined)));
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
        else if (status.type === 'reconnect') logger.info({ server: (status as { server?: string }).server }, 'cluster: NATS reconnected');
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.tracker.stopped = true;
    this.directory?.stop();
    this.shared?.stop();
    await this.membership?.stop();
    await this.durable?.stop();
    for (const control of this.controls) control.unsubscribe();
    await this.tracker.flushed()?.catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    if (this.echo !== undefined) await (await this.echo.catch(() => undefined))?.drain().catch(() => undefined);
  }
}
