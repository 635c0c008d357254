// The load of one thread: its share of publishers, subscribers or idle connections, driven through the phases
// the coordinator calls (connect, start, measure, stop, collect, close). Runs in the main thread or a worker.

import { BenchClient, type ClientSettings } from './client.js';
import { monotonicMilliseconds } from './clock.js';
import { Histogram, type HistogramSnapshot } from './histogram.js';
import { IdleConnections, defaultSourceAddresses } from './idle-connections.js';
import type { BenchOptions } from './options.js';
import type { ScenarioPlan } from './plan.js';
import { Publisher } from './publisher.js';
import { ReceiveStatistics, Subscriber } from './subscriber.js';

export interface AgentConfiguration {
  options: BenchOptions;
  plan: ScenarioPlan;
  totalPublishers: number;
  workerIndex: number;
  /** Per publisher id: how many subscribers (in all threads) should receive each of its messages. */
  fanByPublisher: number[];
  /** SharedArrayBuffer of one Int32 per publisher id: deliveries counted by subscribers in every thread. */
  deliveries: SharedArrayBuffer;
}

export interface AgentProgress {
  connections: number;
  sent: number;
  acknowledged: number;
  received: number;
  inflight: number;
  lostConnections: number;
}

/** What one publisher sent while measuring, so subscribers in any thread can count what is missing. */
export interface PublisherRange {
  publisherId: number;
  from: number;
  to: number;
  acknowledged: number;
}

export interface ConnectReport {
  opened: number;
  failed: number;
  firstError?: string | undefined;
  /** Time from socket open to CONNACK (and SUBACK for subscribers), microseconds. */
  latency: HistogramSnapshot;
}

export interface AgentResult {
  receivedWhileMeasuring: number;
  /** Deliveries the subscribers should have had for the measured range (QoS ≥ 1: acknowledged messages only). */
  expectedDeliveries: number;
  lost: number;
  duplicates: number;
  foreign: number;
  rejected: number;
  /** Fixed-rate mode: messages the schedule wanted sent that were still owed when publishing stopped. */
  scheduleLag: number;
  /** QoS 0 messages the end-to-end window gave up waiting for. */
  writtenOff: number;
  lostConnections: number;
  latency: HistogramSnapshot;
}

const CONNECT_TIMEOUT_MILLISECONDS = 30_000;
const RATE_TICK_MILLISECONDS = 1;
/** How often QoS 0 publishers re-check their window for deliveries counted by other threads. */
const RESUME_TICK_MILLISECONDS = 1;

/** Runs `task(index)` for index in [0, count) with at most `concurrency` running at once. */
async function forEachBounded(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes: Promise<void>[] = [];
  for (let lane = 0; lane < Math.min(concurrency, count); lane++) {
    lanes.push(
      (async () => {
        while (next < count) await task(next++);
      })(),
    );
  }
  await Promise.all(lanes);
}

export class LoadAgent {
  private readonly settings: ClientSettings;
  private readonly publishers: Publisher[] = [];
  private readonly subscribers: Subscriber[] = [];
  /** conn over TLS or WebSocket: full clients. */
  private readonly idleClients: BenchClient[] = [];
  /** conn over plain TCP: the fast path. */
  private idleConnections: IdleConnections | undefined;
  private readonly statistics: ReceiveStatistics;
  private readonly deliveries: Int32Array;
  private readonly connectLatency = new Histogram();
  private rateTimer: NodeJS.Timeout | undefined;
  private resumeTimer: NodeJS.Timeout | undefined;
  private resumeScheduled = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private scheduleLag = 0;
  private lostConnections = 0;

  constructor(private readonly configuration: AgentConfiguration) {
    const { options } = configuration;
    this.deliveries = new Int32Array(configuration.deliveries);
    this.statistics = new ReceiveStatistics(new Histogram(), this.deliveries);
    // `sub` measures someone else's publishers; every other scenario ignores messages from earlier runs.
    if (options.scenario !== 'sub') this.statistics.acceptFrom = monotonicMilliseconds();
    this.statistics.onDelivered = () => this.scheduleResume();
    this.settings = {
      host: options.host,
      port: options.port,
      protocolVersion: options.protocolVersion,
      keepAlive: options.keepAlive,
      noDelay: options.noDelay,
      tls: options.tls,
      insecure: options.insecure,
      ws: options.ws,
      wsPath: options.wsPath,
      username: options.username,
      password: options.password,
      connectTimeoutMilliseconds: CONNECT_TIMEOUT_MILLISECONDS,
    };
    if (options.keepAlive > 0) {
      // Ping well inside the keep-alive so brokers never drop an idle benchmark connection.
      this.keepAliveTimer = setInterval(() => this.pingAll(), options.keepAlive * 500);
      this.keepAliveTimer.unref();
    }
  }

  async connectSubscribers(): Promise<ConnectReport> {
    const { options, plan } = this.configuration;
    return this.connectMany(plan.subscribers.length, async (index) => {
      const specification = plan.subscribers[index]!;
      const client = await this.open(`${options.clientIdPrefix}-s${specification.subscriberId}`, specification.clientIndex, options.subscriberPort);
      this.subscribers.push(new Subscriber(client, specification.subscriberId, this.statistics));
      await client.subscribe(specification.filter, options.qos);
    });
  }

  async connectPublishers(): Promise<ConnectReport> {
    const { options, plan, totalPublishers } = this.configuration;
    const ratePerPublisher = totalPublishers === 0 ? 0 : options.rate / totalPublishers;
    return this.connectMany(plan.publishers.length, async (index) => {
      const specification = plan.publishers[index]!;
      const client = await this.open(`${options.clientIdPrefix}-p${specification.publisherId}`, specification.clientIndex);
      this.publishers.push(
        new Publisher(client, specification.publisherId, specification.topic, {
          qos: options.qos,
          payloadSize: options.payloadSize,
          inflight: options.inflight,
          rate: ratePerPublisher,
          phase: specification.publisherId / Math.max(1, totalPublishers),
          fan: this.configuration.fanByPublisher[specification.publisherId] ?? 0,
          deliveries: this.deliveries,
        }),
      );
    });
  }

  /** conn scenario: idle connections as fast as the bounded concurrency allows; failures are counted, not fatal. */
  async openConnections(): Promise<ConnectReport> {
    const { options, plan } = this.configuration;
    if (!options.tls && !options.ws) {
      this.idleConnections = new IdleConnections({
        host: options.host,
        port: options.port,
        connect: {
          protocolVersion: options.protocolVersion,
          keepAlive: options.keepAlive,
          cleanStart: true,
          username: options.username,
          password: options.password,
        },
        clientIdPrefix: options.clientIdPrefix,
        firstIndex: plan.firstConnectionIndex,
        count: plan.connections,
        concurrency: options.connectConcurrency,
        sourceAddresses: options.sourceAddresses.length > 0 ? options.sourceAddresses : defaultSourceAddresses(options.host),
        connectTimeoutMilliseconds: CONNECT_TIMEOUT_MILLISECONDS,
      });
      return this.idleConnections.openAll();
    }
    let failed = 0;
    let firstError: string | undefined;
    const report = await this.connectMany(plan.connections, async (index) => {
      const clientIndex = plan.firstConnectionIndex + index;
      try {
        this.idleClients.push(await this.open(`${options.clientIdPrefix}-c${clientIndex}`, clientIndex));
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    });
    return { ...report, opened: this.idleClients.length, failed, firstError };
  }

  startPublishing(): void {
    for (const publisher of this.publishers) publisher.start();
    if (this.configuration.options.rate === 0 && this.publishers.some((publisher) => publisher.windowedQos0)) {
      this.resumeTimer = setInterval(() => this.resumePublishers(), RESUME_TICK_MILLISECONDS);
    }
    if (this.configuration.options.rate > 0 && this.publishers.length > 0) {
      this.rateTimer = setInterval(() => {
        const now = monotonicMilliseconds();
        let owed = 0;
        for (const publisher of this.publishers) owed += publisher.tick(now);
        this.scheduleLag = owed;
      }, RATE_TICK_MILLISECONDS);
    }
  }

  beginMeasure(): void {
    this.statistics.latencyMicroseconds.reset();
    this.statistics.receivedWhileMeasuring = 0;
    this.statistics.duplicates = 0;
    this.statistics.measureFrom = monotonicMilliseconds();
    this.statistics.measureUntil = Number.POSITIVE_INFINITY;
    this.statistics.measuring = true;
    for (const publisher of this.publishers) publisher.beginMeasure();
  }

  /** Stops publishing; messages sent from here on (none) are outside the measured range. */
  endMeasure(): void {
    clearInterval(this.rateTimer);
    clearInterval(this.resumeTimer);
    this.statistics.measuring = false;
    this.statistics.measureUntil = monotonicMilliseconds();
    for (const publisher of this.publishers) publisher.endMeasure();
  }

  progress(): AgentProgress {
    let sent = 0;
    let acknowledged = 0;
    let inflight = 0;
    for (const publisher of this.publishers) {
      sent += publisher.sequence;
      acknowledged += publisher.acknowledged;
      inflight += publisher.inflight;
    }
    return {
      connections: this.publishers.length + this.subscribers.length + this.idleClients.length + (this.idleConnections?.connections ?? 0),
      sent,
      acknowledged,
      received: this.statistics.received,
      inflight,
      lostConnections: this.lostConnections + (this.idleConnections?.lostConnections ?? 0),
    };
  }

  publisherRanges(): PublisherRange[] {
    return this.publishers.map((publisher) => ({
      publisherId: publisher.publisherId,
      from: publisher.measureFrom,
      to: publisher.measureTo,
      acknowledged: publisher.acknowledgedInRange(),
    }));
  }

  collect(ranges: readonly PublisherRange[]): AgentResult {
    const rangeById = new Map(ranges.map((range) => [range.publisherId, range]));
    let expectedDeliveries = 0;
    let lost = 0;
    for (const subscriber of this.subscribers) {
      const specification = this.configuration.plan.subscribers.find((entry) => entry.subscriberId === subscriber.subscriberId);
      const expects = specification?.expects ?? 'unknown';
      if (expects === 'unknown') {
        for (const stream of subscriber.streams.values()) lost += stream.gaps();
        continue;
      }
      const expected = expects === 'all' ? ranges : expects.flatMap((id) => rangeById.get(id) ?? []);
      for (const range of expected) {
        const stream = subscriber.streams.get(range.publisherId);
        const received = stream === undefined ? 0 : stream.countInRange(range.from, range.to);
        expectedDeliveries += range.acknowledged;
        lost += Math.max(0, range.acknowledged - received);
      }
    }
    let rejected = 0;
    let writtenOff = 0;
    for (const publisher of this.publishers) {
      rejected += publisher.rejected;
      writtenOff += publisher.writtenOff;
    }
    return {
      receivedWhileMeasuring: this.statistics.receivedWhileMeasuring,
      expectedDeliveries,
      lost,
      duplicates: this.statistics.duplicates,
      foreign: this.statistics.foreign,
      rejected,
      scheduleLag: this.scheduleLag,
      writtenOff,
      lostConnections: this.lostConnections,
      latency: this.statistics.latencyMicroseconds.snapshot(),
    };
  }

  async close(): Promise<void> {
    clearInterval(this.rateTimer);
    clearInterval(this.resumeTimer);
    clearInterval(this.keepAliveTimer);
    for (const publisher of this.publishers) publisher.stop();
    await this.idleConnections?.closeAll();
    const clients = [
      ...this.publishers.map((publisher) => publisher.client),
      ...this.subscribers.map((subscriber) => subscriber.client),
      ...this.idleClients,
    ];
    await forEachBounded(clients.length, 500, (index) => clients[index]!.close());
  }

  private async connectMany(count: number, task: (index: number) => Promise<void>): Promise<ConnectReport> {
    this.connectLatency.reset();
    await forEachBounded(count, this.configuration.options.connectConcurrency, async (index) => {
      const startedAt = monotonicMilliseconds();
      await task(index);
      this.connectLatency.record((monotonicMilliseconds() - startedAt) * 1000);
    });
    return { opened: count, failed: 0, latency: this.connectLatency.snapshot() };
  }

  private async open(clientId: string, clientIndex: number, port?: number): Promise<BenchClient> {
    const sources = this.configuration.options.sourceAddresses;
    const localAddress = sources.length === 0 ? undefined : sources[clientIndex % sources.length];
    const settings = port === undefined ? this.settings : { ...this.settings, port };
    const client = await BenchClient.open(settings, clientId, localAddress);
    client.onLost = () => {
      this.lostConnections++;
    };
    return client;
  }

  /** Deliveries in this thread free room at once; the resume timer covers deliveries in other threads. */
  private scheduleResume(): void {
    if (this.resumeScheduled || this.publishers.length === 0) return;
    this.resumeScheduled = true;
    setImmediate(() => {
      this.resumeScheduled = false;
      this.resumePublishers();
    });
  }

  private resumePublishers(): void {
    for (const publisher of this.publishers) publisher.resume();
  }

  private pingAll(): void {
    for (const publisher of this.publishers) publisher.client.ping();
    for (const subscriber of this.subscribers) subscriber.client.ping();
    for (const client of this.idleClients) client.ping();
    this.idleConnections?.ping();
  }
}
