// A broker instance: builds the router, session registry and listeners from the configuration,
// supervises connections (connect timeout, keep-alive, drain timeout) and shuts down gracefully.

import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { refuseIfAnswered } from './admin/server.js';
import type { ApiContext } from './api/context.js';
import { ManagementPlane } from './api/management.js';
import { installAuthorization, type Authorization } from './auth/authorization-setup.js';
import { BrokerUsers, installAuthentication, type Authentication } from './auth/setup.js';
import type { UserDatabase } from './auth/users.js';
import { BrokerCore } from './broker/broker.js';
import { createMessage, type MessageInput } from './core/message.js';
import { Channel, type ChannelContext } from './channel/channel.js';
import { defaultConfig } from './config/defaults.js';
import { validateConfig } from './config/load.js';
import { announcedLimits } from './channel/announced-limits.js';
import type { BrokerConfig, ListenerConfig, LogLevel } from './config/types.js';
import { Connection, type ConnectionOptions } from './connection/connection.js';
import { ChannelSupervisor } from './channel/supervisor.js';
import { LocalClient, LocalClientError, type LocalConnectOptions } from './channel/local-client.js';
import { LocalLink } from './channel/local-link.js';
import { ReasonCode } from './codec/constants.js';
import type { BrokerEvents } from './hooks/events.js';
import { attachListenerConfig, type ClientInfo, type PeerInfo } from './core/client.js';
import type { HookMap, HookName } from './hooks/hooks.js';
import { createLogger, type Logger } from './log.js';
import { TrafficByListener, type Counters } from './metrics/counters.js';
import { registerAbuseMetrics, registerBrokerMetrics, registerStoreMetrics } from './metrics/broker-metrics.js';
import { MetricsRegistry } from './metrics/registry.js';
import { EventLoopDelay } from './metrics/event-loop.js';
import { SysTopics } from './metrics/sys-topics.js';
import { SessionPersistence, type Barrier } from './session/persistence.js';
import { SessionRegistry } from './session/registry.js';
import { restoreState } from './session/restore.js';
import { RuleService } from './rules/service.js';
import { DropLog } from './session/drop-log.js';
import { MemoryStore } from './store/memory/memory-store.js';
import type { Store } from './store/store.js';
import { join } from 'node:path';
import { Tracing } from './trace/tracing.js';
import { reloadConfiguration, type ConfigSource, type ReloadOptions, type ReloadReport } from './reload/reload.js';
import { listenerLabel, type BoundAddress, type ByteStream, type Listener } from './transport/listener.js';
import { TcpListener } from './transport/tcp.js';
import { TlsListener } from './transport/tls.js';
import { WebSocketListener } from './transport/websocket.js';
import { ClusterRouter } from './cluster/cluster-router.js';
import type { ClusterFabric, NodeInfo } from './cluster/fabric.js';
import { resolveCluster } from './config/cluster-schema.js';
import type { ClusterConfig } from './config/types.js';
import type { StoredMessage, StoredState } from './store/store.js';
import { nextMessageId } from './core/message.js';

/** This package's version (shown per node by the management API). */
const BROKER_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface BrokerOptions extends Partial<BrokerConfig> {
  logger?: Logger;
  /**
   * Where reload() (and SIGHUP, `starling ctl reload`, POST /api/v5/configs/reload) reads the configuration
   * again; `starling start` passes its config file. Without one, reload() is refused.
   */
  configSource?: ConfigSource;
}

/** A listener that runs, with the configuration its new connections get (a reload may replace it). */
export interface RunningListener {
  config: ListenerConfig;
  readonly listener: Listener;
  readonly address: BoundAddress;
  /** Every configuration it gave connections (one per reload that replaced it). */
  readonly issued: ReadonlySet<ListenerConfig>;
}

export class StarlingBroker {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly core: BrokerCore;
  readonly registry: SessionRegistry;
  /** Undefined with `durability: memory`. */
  store: Store | undefined;
  private persistence: SessionPersistence | undefined;
  /** Rate-limited log lines for messages the queue and store caps drop. */
  private readonly dropLog: DropLog;
  /** $SYS statistics and client events (a reload may change their interval). */
  readonly sys: SysTopics;
  private starting: Promise<void> | undefined;
  private userDatabase: UserDatabase | undefined;
  /** The built-in users (`builtin` authenticator, SCRAM); kept in the store, or in memory with durability 'memory'. */
  readonly users = new BrokerUsers(() => this.start().then(() => this.userDatabase!));
  private barrier: (() => Barrier | undefined) | undefined;
  /** Every live channel, with the connect/keep-alive/drain timers and kick and shutdown. */
  readonly channels: ChannelSupervisor;
  private listeners: RunningListener[] = [];
  /** listen() was given a port instead of the configured listeners: a reload then leaves listeners alone. */
  private listeningOverride = false;
  private closing = false;
  /** The management API over the admin socket (`starling ctl`, config `adminSocket`) and the HTTP listeners (config `management`). */
  private management: ManagementPlane | undefined;
  /** Address-level admission checks run on every new socket before any byte is read (auth/authorization-setup.ts). */
  private readonly connectionGates: Array<(stream: ByteStream, peer: PeerInfo) => boolean> = [];
  /** ACL, bans, lockout and rate limits (set up by start()). */
  authorization: Authorization | undefined;
  /** The authenticator chain (set up by start()); a reload replaces it. */
  authentication: Authentication | undefined;
  /** Packet traces (`starling ctl trace`, /api/v5/trace). */
  readonly tracing: Tracing;
  private readonly configSource: ConfigSource | undefined;
  private reloading: Promise<unknown> = Promise.resolve();
  // SIGHUP: the configuration when there is a source (a reload also re-reads certificates), else the certificates.
  private readonly onSighup = (): void => {
    if (this.configSource === undefined) this.reloadCertificates();
    else this.reload({ cause: 'SIGHUP' }).catch(() => this.reloadCertificates());
  };
  /** The rule engine and its connectors (rules and connectors load at start()). */
  readonly rules: RuleService;
  /** Every metric ($SYS, exporters and the API read it). */
  readonly metrics = new MetricsRegistry();
  private readonly traffic = new TrafficByListener();
  private readonly eventLoop = new EventLoopDelay();
  // Shared by every connection of one listener; built on its first one (after start() has set up the store).
  private readonly connectionOptions = new Map<string, ConnectionOptions>();
  private channelContext: ChannelContext | undefined;
  /** The cluster this node belongs to (config `cluster`); undefined when it runs alone. */
  cluster: ClusterFabric | undefined;
  private readonly clusterConfig: ClusterConfig | undefined;
  private readonly startedAt = Date.now();

  /** Throws a ConfigError naming the option when one is unknown or out of range (the config file's checks, camelCase keys). */
  constructor(options: BrokerOptions = {}) {
    const { logger, configSource, ...overrides } = options;
    this.config = { ...defaultConfig(), ...validateConfig(overrides, 'createBroker options') };
    this.configSource = configSource;
    this.logger = logger ?? createLogger({ logLevel: this.config.logLevel, logPretty: this.config.logPretty });
    if (this.config.cluster !== undefined) {
      this.clusterConfig = resolveCluster(this.config.cluster, this.config.nodeName);
      // The cluster's node name is the node's name everywhere ($SYS topics, message origins, store ids).
      this.config.nodeName = this.clusterConfig.node;
    }
    this.core = new BrokerCore(this.config, this.clusterConfig === undefined ? undefined : new ClusterRouter(this.config.sharedSubscriptionStrategy));
    this.channels = new ChannelSupervisor(this.config);
    this.registry = new SessionRegistry(this.core);
    registerBrokerMetrics(this.metrics, this.core.counters, this.traffic, this.registry);
    registerStoreMetrics(this.metrics, () => this.store);
    this.eventLoop.register(this.metrics);
    this.sys = new SysTopics(this.core, this.metrics);
    this.tracing = new Tracing({
      channels: () => this.channels.all(),
      directory: () => this.config.traceDir ?? join(this.config.dataDir, 'trace'),
      logger: this.logger,
    });
    this.rules = new RuleService({
      core: this.core,
      logger: this.logger,
      nodeName: this.config.nodeName,
      metrics: this.metrics,
      connectedClients: () => this.connectedClients(),
    });
    this.dropLog = new DropLog(this.logger);
    this.core.events.onListenerError = (event, error) => this.logger.error({ err: error, event }, 'an event listener threw; the event went on to the other listeners');
    this.core.events.on('message.dropped', ({ clientId, reason }) => {
      if ((reason === 'queue_full' || reason === 'store_full') && clientId !== undefined) this.dropLog.note(clientId, reason);
    });
  }

  get counters(): Counters {
    return this.core.counters;
  }

  /** Starts every configured listener, or one TCP listener on the given port/host. */
  async listen(override?: { port?: number; host?: string }): Promise<BoundAddress[]> {
    const configs: ListenerConfig[] =
      override === undefined
        ? this.config.listeners
        : [{ type: 'tcp', host: override.host ?? '::', port: override.port ?? 1883 }];
    await this.start();
    if (override !== undefined) this.listeningOverride = true;
    const bound: BoundAddress[] = [];
    for (const listenerConfig of configs) bound.push((await this.openListener(listenerConfig)).address);
    if (this.configSource !== undefined || configs.some((listenerConfig) => listenerConfig.type === 'tls' || listenerConfig.type === 'wss')) {
      process.off('SIGHUP', this.onSighup);
      process.on('SIGHUP', this.onSighup);
    }
    return bound;
  }

  /** The MQTT listeners running now, with their bound addresses (real ports when configured with port 0; the API's /listeners). */
  get runningListeners(): readonly RunningListener[] {
    return this.listeners;
  }

  /** Whether the listeners running are the configured ones (listen() without a port override), which a reload may change. */
  get listensAsConfigured(): boolean {
    return !this.listeningOverride;
  }

  /** Starts one more listener. */
  async openListener(config: ListenerConfig): Promise<RunningListener> {
    const holder: { config: ListenerConfig } = { config };
    const listener = this.createListener(holder);
    const address = await listener.start();
    const issued = new Set([config]);
    const running: RunningListener = {
      get config() {
        return holder.config;
      },
      set config(next: ListenerConfig) {
        holder.config = next;
        issued.add(next);
      },
      listener,
      address,
      issued,
    };
    this.listeners.push(running);
    return running;
  }

  /**
   * Stops a listener and ends its connections (MQTT 5: DISCONNECT 0x8B with `reason`); the other listeners'
   * connections are not touched. Resolves when the port is free again, and the stop itself.
   */
  closeListener(running: RunningListener, reason: string): { stopped: Promise<void> } {
    this.listeners = this.listeners.filter((entry) => entry !== running);
    const stopped = running.listener.stop();
    // Its connections carry the configuration objects it gave them (this one, and those of earlier reloads).
    for (const link of [...this.channels.all()]) {
      const listenerConfig = link.channel.peer.listenerConfig;
      if (listenerConfig !== undefined && running.issued.has(listenerConfig)) {
        link.channel.disconnect(ReasonCode.ServerShuttingDown, reason, false);
      }
    }
    this.logger.info({ listener: listenerLabel(running.config), port: running.address.port, reason }, 'listener stopped');
    return { stopped };
  }

  /** Loads persisted state and starts timers; listen() calls it, embedders serving their own streams call it first. */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  private async load(): Promise<void> {
    const adminSocket = typeof this.config.adminSocket === 'string' ? this.config.adminSocket : undefined;
    // First, before the store is touched: a live broker answering on the socket means this data directory is taken.
    if (adminSocket !== undefined) await refuseIfAnswered(adminSocket);
    await this.loadState();
    // close() during start: nothing may be left listening after it.
    if ((adminSocket !== undefined || this.config.management) && !this.closing) {
      this.management = await ManagementPlane.open(this, this.userDatabase!, adminSocket, this.config.management);
    }
  }

  /** Started and not closing. */
  isRunning(): boolean {
    return this.starting !== undefined && !this.closing;
  }

  /** The management API's HTTP(S) listeners, as bound (real ports when configured with port 0). */
  get managementAddresses(): BoundAddress[] {
    return this.management?.addresses ?? [];
  }

  /** What the management API's routes work with (administrators, API keys, tokens); undefined without a management plane. */
  get managementContext(): ApiContext | undefined {
    return this.management?.context;
  }

  private async loadState(): Promise<void> {
    if (this.clusterConfig !== undefined) {
      await this.loadCluster(this.clusterConfig);
    } else if (this.config.durability !== 'memory') {
      const started = Date.now();
      const { createStore } = await import('./store/create-store.js');
      const store = createStore(this.config);
      let writeFailureLogged = false;
      const persistence = new SessionPersistence(
        store,
        this.config.maxStoreBytes,
        (sizeBytes) => this.logger.warn({ sizeBytes, maxStoreBytes: this.config.maxStoreBytes }, 'store is full: new messages for persistent sessions are dropped'),
        (error) => {
          if (writeFailureLogged) return;
          writeFailureLogged = true;
          this.logger.error({ err: error }, 'store write failed: acknowledgements that waited for it are withheld and their connections closed');
        },
      );
      const state = await this.restore(store, persistence);
      this.logger.info(
        { dataDir: this.config.dataDir, sessions: state.sessions.length, retained: state.retained.length, ms: Date.now() - started },
        'store loaded',
      );
    }
    // With durability 'memory' there is no store: users then live in memory only.
    this.authentication = installAuthentication(this, this.config, this.store ?? new MemoryStore(), this.logger);
    this.userDatabase = this.authentication.users;
    this.authorization = installAuthorization(this, this.config);
    registerAbuseMetrics(this.metrics, this.authorization.stats, this.authorization.lockout.stats);
    await this.rules.start(this.config.rules, this.config.connectors, this.authorization.records);
    this.sys.start();
    this.eventLoop.start();
    this.channels.start();
  }

  /** Makes `store` the broker's, opens it for this node and rebuilds the sessions and retained messages it holds. */
  private async restore(store: Store, persistence: SessionPersistence): Promise<StoredState> {
    this.store = store;
    this.persistence = persistence;
    this.core.persistence = persistence;
    this.registry.persistence = persistence;
    this.barrier = () => persistence.barrier();
    const state = await store.open(this.config.nodeName);
    restoreState(state, this.core, this.registry, persistence);
    return state;
  }

  /** Joins the cluster: its Store replaces the embedded one, and routing starts once the state is restored. */
  private async loadCluster(cluster: ClusterConfig): Promise<void> {
    const started = Date.now();
    const { NatsFabric } = await import('./cluster/nats/nats-fabric.js');
    const fabric = new NatsFabric({
      config: this.config,
      cluster,
      router: this.core.router as ClusterRouter,
      broker: this.core,
      registry: this.registry,
      logger: this.logger,
      version: BROKER_VERSION,
      counts: () => ({ connections: this.registry.connectedCount, sessions: this.registry.size, subscriptions: this.core.counters.subscriptions }),
      closing: () => this.closing,
    });
    this.cluster = fabric;
    const store = await fabric.connect();
    const persistence = new SessionPersistence(store, Number.MAX_SAFE_INTEGER, () => undefined, (error) =>
      this.logger.error({ err: error }, 'cluster: a JetStream write failed: acknowledgements that waited for it are withheld and their connections closed'),
    );
    const state = await this.restore(store, persistence);
    await fabric.start(persistence, (topic, message) => this.applyRemoteRetained(topic, message));
    this.logger.info({ node: fabric.node, sessions: state.sessions.length, retained: state.retained.length, ms: Date.now() - started }, 'cluster: node started');
  }

  /** A retained message set or deleted on another node. */
  private applyRemoteRetained(topic: string, stored: StoredMessage | undefined): void {
    const retained = this.core.retained;
    if (stored === undefined) {
      if (retained.delete(topic)) this.core.counters.retainedMessages--;
      return;
    }
    if (retained.get(topic) === undefined) this.core.counters.retainedMessages++;
    retained.set(topic, { ...stored, id: nextMessageId(), origin: this.config.nodeName });
  }

  /** The nodes of the cluster with their status; a node running alone lists itself. */
  async nodes(): Promise<NodeInfo[]> {
    if (this.cluster !== undefined) return this.cluster.nodes();
    const now = Date.now();
    return [
      {
        name: this.config.nodeName,
        status: 'up',
        self: true,
        version: BROKER_VERSION,
        startedAt: this.startedAt,
        uptimeSeconds: Math.floor((now - this.startedAt) / 1000),
        connections: this.registry.connectedCount,
        sessions: this.registry.size,
        subscriptions: this.core.counters.subscriptions,
        lastSeen: now,
        natsServer: undefined,
        rssBytes: process.memoryUsage.rss(),
        load: loadavg() as [number, number, number],
      },
    ];
  }

  /** Serves one client over any byte stream (custom transports, tests, in-process links). Call start() first. */
  handleConnection(stream: ByteStream, peer: PeerInfo = { address: '', port: 0, listener: 'custom' }): void {
    if (this.closing) {
      stream.destroy();
      return;
    }
    for (const gate of this.connectionGates) {
      if (!gate(stream, peer)) {
        stream.destroy();
        return;
      }
    }
    const options = this.connectionOptionsFor(peer.listener);
    options.traffic.connectionsAccepted++;
    const connection = new Connection(stream, options);
    connection.channel = new Channel(this.context(), connection, peer);
    this.channels.add(connection);
  }

  private connectionOptionsFor(listener: string): ConnectionOptions {
    let options = this.connectionOptions.get(listener);
    if (options !== undefined) return options;
    options = {
      maxPacketSize: this.config.maxPacketSize,
      maxOutgoingBufferBytes: this.config.maxOutgoingBufferBytes,
      traffic: this.traffic.of(listener),
      barrier: this.barrier,
      onClose: (connection) => this.channels.remove(connection),
      onHttpRequest: (connection) => {
        const peer = connection.channel.peer;
        if (peer.listener.startsWith('ws')) return; // an HTTP request inside a WebSocket is just a malformed packet
        this.logger.warn({ peer: peer.address, listener: peer.listener }, 'HTTP request on an MQTT port (WebSocket clients need a ws/wss listener); closing');
      },
    };
    this.connectionOptions.set(listener, options);
    return options;
  }

  private *connectedClients(): Iterable<ClientInfo> {
    for (const link of this.channels.all()) {
      const client = link.channel.client;
      if (client !== undefined) yield client;
    }
  }

  /**
   * Connects a client that lives in this process: it publishes, subscribes and acknowledges through a real
   * channel and session, with no socket. Resolves at CONNACK; rejects with a LocalClientError on a refusal.
   */
  async connectLocal(options: LocalConnectOptions): Promise<LocalClient> {
    await this.start();
    if (this.closing) throw new LocalClientError(ReasonCode.ServerShuttingDown, 'broker is closing');
    this.traffic.of('local').connectionsAccepted++;
    const client = new LocalClient(options);
    const link = new LocalLink(
      (packet) => client.receive(packet),
      this.barrier,
      (closed) => {
        this.channels.remove(closed);
        client.closed();
      },
    );
    link.channel = new Channel(this.context(), link, { address: '', port: 0, listener: 'local' });
    this.channels.add(link);
    return client.connect(link);
  }

  private context(): ChannelContext {
    return (this.channelContext ??= { broker: this.core, registry: this.registry, logger: this.logger, traffic: this.traffic, tracing: this.tracing });
  }

  /**
   * Reads the configuration again from the config source (SIGHUP, `starling ctl reload`, POST
   * /api/v5/configs/reload) and applies what can change while running; the answer lists what changed,
   * what was applied and what needs a restart. A configuration that does not validate changes nothing
   * (ReloadError naming the key); without a config source it is refused (ReloadError, 409). One reload
   * runs at a time. `dryRun`: only say what would change.
   */
  reload(options: ReloadOptions = {}): Promise<ReloadReport> {
    const run = (): Promise<ReloadReport> => reloadConfiguration(this, this.configSource, options);
    const result = this.reloading.then(run, run);
    this.reloading = result.catch(() => undefined);
    return result;
  }

  /** Sets the lowest level logged, at once (also in the running configuration: GET /api/v5/configs shows it). */
  setLogLevel(level: LogLevel): void {
    this.logger.level = level;
    this.config.logLevel = level;
  }

  /**
   * After a reload changed connection settings: connections accepted from now on get the new maximum packet
   * size (the decoder's, and a WebSocket frame's), every connection the new outgoing buffer cap, and
   * connections accepted from now on the new Maximum QoS, Retain Available and Receive Maximum.
   */
  connectionSettingsChanged(): void {
    for (const options of this.connectionOptions.values()) {
      options.maxPacketSize = this.config.maxPacketSize;
      options.maxOutgoingBufferBytes = this.config.maxOutgoingBufferBytes;
    }
    for (const running of this.listeners) running.listener.setMaxPacketSize?.(this.config.maxPacketSize);
    this.core.announced = announcedLimits(this.config);
  }

  /** Publishes a message from the broker itself (not from a client). */
  publish(input: MessageInput): number {
    return this.core.publish(createMessage(input, undefined, this.config.nodeName));
  }

  on<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this {
    this.core.events.on(event, listener as never);
    return this;
  }

  off<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this {
    this.core.events.off(event, listener as never);
    return this;
  }

  once<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this {
    this.core.events.once(event, listener as never);
    return this;
  }

  /** Registers a hook (authenticate, authorizePublish, authorizeSubscribe, enhancedAuth); returns its remover. */
  addHook<K extends HookName>(name: K, fn: HookMap[K], options?: { priority?: number; name?: string }): () => void {
    return this.core.hooks.add(name, fn, options);
  }

  /** Re-reads the certificate files of every tls/wss listener (also on SIGHUP); connections keep theirs. */
  reloadCertificates(): void {
    for (const running of this.listeners) running.listener.reload?.();
  }

  /** Adds a check run on every new socket before any MQTT byte is read; false closes it at once. */
  addConnectionGate(gate: (stream: ByteStream, peer: PeerInfo) => boolean): () => void {
    this.connectionGates.push(gate);
    return () => {
      const index = this.connectionGates.indexOf(gate);
      if (index >= 0) this.connectionGates.splice(index, 1);
    };
  }

  /** Disconnects the connected clients `select` picks (MQTT 5: DISCONNECT with reasonCode first); returns how many. */
  disconnectClients(select: (client: ClientInfo) => boolean, reasonCode: number, reason: string, publishWill = true): number {
    return this.channels.kick(select, reasonCode, reason, publishWill);
  }

  /** Stops accepting, sends MQTT 5 clients DISCONNECT 0x8B, flushes and closes every connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    process.off('SIGHUP', this.onSighup);
    const stopping = [...this.listeners.map((running) => running.listener.stop()), this.management?.close()];
    await Promise.all([...stopping, this.channels.shutdown()]);
    await this.tracing.close();
    await this.rules.close();
    this.sys.stop();
    this.eventLoop.stop();
    this.authorization?.close();
    this.registry.suspendTimers();
    this.dropLog.close();
    await this.store?.close();
    await this.cluster?.stop();
  }

  /** `holder.config` is what the listener's new connections get: a reload may replace it (per-listener authentication). */
  private createListener(holder: { readonly config: ListenerConfig }): Listener {
    const config = holder.config;
    const context = {
      accept: (stream: ByteStream, peer: PeerInfo): void => {
        attachListenerConfig(peer, holder.config); // per-listener authentication
        this.handleConnection(stream, peer);
      },
      logger: this.logger,
      maxPacketSize: this.config.maxPacketSize,
    };
    switch (config.type) {
      case 'tcp':
        return new TcpListener(config, context);
      case 'tls':
        return new TlsListener(config, context);
      case 'ws':
      case 'wss':
        return new WebSocketListener(config, context);
    }
  }
}
