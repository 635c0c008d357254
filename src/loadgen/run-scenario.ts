// The coordinator: builds the plan, starts one agent per worker, walks every agent through the phases
// (connect, warm up, measure, grace, collect), reports progress, and merges what they measured.

import type { AgentProgress, AgentResult, ConnectReport, PublisherRange } from './agent.js';
import { createLocalAgent, createWorkerAgent, type AgentHandle } from './agent-handle.js';
import { readCpuSeconds, readResidentBytes } from './broker-process.js';
import { monotonicMilliseconds } from './clock.js';
import { Histogram } from './histogram.js';
import type { BenchOptions } from './options.js';
import { planScenario, splitPlan } from './plan.js';
import { waitForSettledResidentBytes, type SettledReading } from './settled-rss.js';

export interface LatencySummary {
  count: number;
  minimum: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  maximum: number;
}

export interface BenchResult {
  scenario: BenchOptions['scenario'];
  protocol: '3.1.1' | '5';
  qos: BenchOptions['qos'];
  payloadSize: number;
  publishers: number;
  subscribers: number;
  workers: number;
  /** Seconds actually measured (after warm-up). */
  measuredSeconds: number;
  connect: {
    opened: number;
    failed: number;
    seconds: number;
    perSecond: number;
    /** CPU seconds this process (all its threads) used during the connect phase: the tool's own cost. */
    loadGeneratorCpuSeconds: number;
    firstError?: string | undefined;
    latencyMilliseconds: LatencySummary;
  };
  sent: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  expectedDeliveries: number;
  /** QoS ≥ 1: acknowledged messages never delivered within the grace period; QoS 0: messages dropped. */
  lost: number;
  duplicates: number;
  rejected: number;
  scheduleLag: number;
  /** QoS 0: messages the end-to-end window stopped waiting for (stalled more than a second). */
  writtenOff: number;
  lostConnections: number;
  latencyMilliseconds: LatencySummary;
  broker?: {
    pid: number;
    cpuSeconds?: number | undefined;
    messagesPerCpuSecond?: number | undefined;
    residentBytesBefore?: number | undefined;
    residentBytesAfter?: number | undefined;
    residentBytesPerConnection?: number | undefined;
    /** conn with --settle-max: RSS once it stopped dropping with the connections open and idle (see settled-rss.ts). */
    residentBytesSettled?: number | undefined;
    residentBytesSettledPerConnection?: number | undefined;
    /** Seconds of sampling until the settled reading, and whether RSS settled before --settle-max ran out. */
    settleSeconds?: number | undefined;
    settled?: boolean | undefined;
    /** Broker CPU seconds during the connect phase, and per connection opened (microseconds). */
    connectCpuSeconds?: number | undefined;
    cpuMicrosecondsPerConnection?: number | undefined;
  };
}

export interface ScenarioHooks {
  /** Called about once a second with a one-line status. */
  onProgress?: (line: string) => void;
}

const PROGRESS_INTERVAL_MILLISECONDS = 1_000;
const GRACE_POLL_MILLISECONDS = 100;
/** The grace period ends early once nothing is in flight and no delivery arrived for this long. */
const GRACE_QUIET_MILLISECONDS = 500;

const delay = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

function summarize(histogram: Histogram, scale: number): LatencySummary {
  return {
    count: histogram.count,
    minimum: (histogram.count === 0 ? 0 : histogram.minimum) * scale,
    mean: histogram.mean() * scale,
    p50: histogram.percentile(50) * scale,
    p99: histogram.percentile(99) * scale,
    p999: histogram.percentile(99.9) * scale,
    maximum: histogram.maximum * scale,
  };
}

function sumProgress(progress: AgentProgress[]): AgentProgress {
  const total: AgentProgress = { connections: 0, sent: 0, acknowledged: 0, received: 0, inflight: 0, lostConnections: 0 };
  for (const entry of progress) {
    total.connections += entry.connections;
    total.sent += entry.sent;
    total.acknowledged += entry.acknowledged;
    total.received += entry.received;
    total.inflight += entry.inflight;
    total.lostConnections += entry.lostConnections;
  }
  return total;
}

/** Polls the agents once a second and reports rates, until stopped. */
class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private last: AgentProgress | undefined;
  private lastAt = 0;
  phase = 'connect';
  private readonly startedAt = monotonicMilliseconds();

  constructor(
    private readonly agents: AgentHandle[],
    private readonly onProgress: ((line: string) => void) | undefined,
  ) {
    if (onProgress === undefined) return;
    this.timer = setInterval(() => void this.report(), PROGRESS_INTERVAL_MILLISECONDS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async report(): Promise<void> {
    const now = monotonicMilliseconds();
    const current = sumProgress(await Promise.all(this.agents.map((agent) => agent.progress())));
    const seconds = (now - this.lastAt) / 1000;
    const previous = this.last ?? current;
    const sentRate = this.last === undefined ? 0 : (current.sent - previous.sent) / seconds;
    const receivedRate = this.last === undefined ? 0 : (current.received - previous.received) / seconds;
    this.last = current;
    this.lastAt = now;
    const elapsed = ((now - this.startedAt) / 1000).toFixed(0);
    this.onProgress?.(
      `[${this.phase} ${elapsed}s] connections ${current.connections}  sent ${Math.round(sentRate)}/s  ` +
        `received ${Math.round(receivedRate)}/s  inflight ${current.inflight}  lost connections ${current.lostConnections}`,
    );
  }
}

function mergeConnectReports(reports: ConnectReport[], histogram: Histogram): { opened: number; failed: number; firstError?: string | undefined } {
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (const report of reports) {
    opened += report.opened;
    failed += report.failed;
    firstError ??= report.firstError;
    histogram.merge(report.latency);
  }
  return { opened, failed, firstError };
}

export async function runScenario(options: BenchOptions, hooks: ScenarioHooks = {}): Promise<BenchResult> {
  const plan = planScenario(options);
  const workers = Math.max(1, options.workers);
  const parts = splitPlan(plan, workers);
  const fanByPublisher = plan.publishers.map((publisher) =>
    plan.subscribers.reduce((count, subscriber) => {
      const expects = subscriber.expects;
      const receives = expects === 'all' || (expects !== 'unknown' && expects.includes(publisher.publisherId));
      return receives ? count + 1 : count;
    }, 0),
  );
  const deliveries = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * Math.max(1, plan.publishers.length));
  const agents = parts.map((part, workerIndex) => {
    const configuration = { options, plan: part, totalPublishers: plan.publishers.length, workerIndex, fanByPublisher, deliveries };
    return workers === 1 ? createLocalAgent(configuration) : createWorkerAgent(configuration);
  });
  const progress = new ProgressReporter(agents, hooks.onProgress);
  const pid = options.brokerPid;
  const residentBytesBefore = pid === undefined ? undefined : readResidentBytes(pid);
  const connectLatency = new Histogram();
  try {
    // Worker threads load their modules first; that start-up must not count as connect time.
    await Promise.all(agents.map((agent) => agent.progress()));
    const brokerCpuBeforeConnect = pid === undefined ? undefined : readCpuSeconds(pid);
    const loadCpuBeforeConnect = process.cpuUsage();
    const connectStartedAt = monotonicMilliseconds();
    let connectTotals: ReturnType<typeof mergeConnectReports>;
    if (options.scenario === 'conn') {
      connectTotals = mergeConnectReports(await Promise.all(agents.map((agent) => agent.openConnections())), connectLatency);
    } else {
      const subscribed = await Promise.all(agents.map((agent) => agent.connectSubscribers()));
      const published = await Promise.all(agents.map((agent) => agent.connectPublishers()));
      connectTotals = mergeConnectReports([...subscribed, ...published], connectLatency);
    }
    const connectSeconds = (monotonicMilliseconds() - connectStartedAt) / 1000;
    const loadCpuDuringConnect = process.cpuUsage(loadCpuBeforeConnect);
    const brokerCpuAfterConnect = pid === undefined ? undefined : readCpuSeconds(pid);
    const connectCpuSeconds =
      brokerCpuBeforeConnect === undefined || brokerCpuAfterConnect === undefined ? undefined : brokerCpuAfterConnect - brokerCpuBeforeConnect;
    const residentBytesAfter = pid === undefined ? undefined : readResidentBytes(pid);

    let measuredSeconds = 0;
    let cpuSeconds: number | undefined;
    let ranges: PublisherRange[] = [];
    let results: AgentResult[] = [];
    let idleConnectionsLost = 0;
    let settledReading: SettledReading | undefined;
    if (options.scenario === 'conn') {
      if (pid !== undefined && options.settleMax > 0) {
        progress.phase = 'settle';
        settledReading = await waitForSettledResidentBytes(pid, options.settleMax, Math.min(options.settleMin, options.settleMax));
      }
      progress.phase = 'hold';
      await delay(options.hold * 1000);
      idleConnectionsLost = sumProgress(await Promise.all(agents.map((agent) => agent.progress()))).lostConnections;
    } else {
      progress.phase = 'warm-up';
      await Promise.all(agents.map((agent) => agent.startPublishing()));
      await delay(options.warmup * 1000);
      progress.phase = 'measure';
      const cpuBefore = pid === undefined ? undefined : readProcessesCpu(pid, options.alsoPids);
      const measureStartedAt = monotonicMilliseconds();
      await Promise.all(agents.map((agent) => agent.beginMeasure()));
      await delay(options.duration * 1000);
      await Promise.all(agents.map((agent) => agent.endMeasure()));
      measuredSeconds = (monotonicMilliseconds() - measureStartedAt) / 1000;
      const cpuAfter = pid === undefined ? undefined : readProcessesCpu(pid, options.alsoPids);
      if (cpuBefore !== undefined && cpuAfter !== undefined) cpuSeconds = cpuAfter - cpuBefore;
      progress.phase = 'grace';
      await waitForQuiet(agents, options.grace * 1000);
      ranges = (await Promise.all(agents.map((agent) => agent.publisherRanges()))).flat();
      results = await Promise.all(agents.map((agent) => agent.collect(ranges)));
    }

    const latency = new Histogram();
    let receivedWhileMeasuring = 0;
    let expectedDeliveries = 0;
    let lost = 0;
    let duplicates = 0;
    let rejected = 0;
    let scheduleLag = 0;
    let writtenOff = 0;
    let lostConnections = idleConnectionsLost;
    for (const result of results) {
      latency.merge(result.latency);
      receivedWhileMeasuring += result.receivedWhileMeasuring;
      expectedDeliveries += result.expectedDeliveries;
      lost += result.lost;
      duplicates += result.duplicates;
      rejected += result.rejected;
      scheduleLag += result.scheduleLag;
      writtenOff += result.writtenOff;
      lostConnections += result.lostConnections;
    }
    const sent = ranges.reduce((total, range) => total + (range.to - range.from), 0);
    const perSecond = (count: number): number => (measuredSeconds > 0 ? count / measuredSeconds : 0);
    const result: BenchResult = {
      scenario: options.scenario,
      protocol: options.protocolVersion === 5 ? '5' : '3.1.1',
      qos: options.qos,
      payloadSize: options.payloadSize,
      publishers: plan.publishers.length,
      subscribers: plan.subscribers.length,
      workers,
      measuredSeconds,
      connect: {
        ...connectTotals,
        seconds: connectSeconds,
        perSecond: connectSeconds > 0 ? connectTotals.opened / connectSeconds : 0,
        loadGeneratorCpuSeconds: (loadCpuDuringConnect.user + loadCpuDuringConnect.system) / 1e6,
        latencyMilliseconds: summarize(connectLatency, 1 / 1000),
      },
      sent,
      sentPerSecond: perSecond(sent),
      receivedPerSecond: perSecond(receivedWhileMeasuring),
      expectedDeliveries,
      lost,
      duplicates,
      rejected,
      scheduleLag,
      writtenOff,
      lostConnections,
      latencyMilliseconds: summarize(latency, 1 / 1000),
    };
    if (pid !== undefined) {
      // Deliveries are what a broker spends its CPU on; with no subscribers, count what it accepted.
      const handled = plan.subscribers.length > 0 ? receivedWhileMeasuring : sent;
      result.broker = {
        pid,
        cpuSeconds,
        messagesPerCpuSecond: cpuSeconds === undefined || cpuSeconds <= 0 ? undefined : handled / cpuSeconds,
        residentBytesBefore,
        residentBytesAfter,
        residentBytesPerConnection:
          residentBytesBefore === undefined || residentBytesAfter === undefined || connectTotals.opened === 0
            ? undefined
            : (residentBytesAfter - residentBytesBefore) / connectTotals.opened,
        residentBytesSettled: settledReading?.residentBytes,
        residentBytesSettledPerConnection:
          residentBytesBefore === undefined || settledReading === undefined || connectTotals.opened === 0
            ? undefined
            : (settledReading.residentBytes - residentBytesBefore) / connectTotals.opened,
        settleSeconds: settledReading?.seconds,
        settled: settledReading?.settled,
        connectCpuSeconds,
        cpuMicrosecondsPerConnection:
          connectCpuSeconds === undefined || connectTotals.opened === 0 ? undefined : (connectCpuSeconds * 1e6) / connectTotals.opened,
      };
    }
    return result;
  } finally {
    progress.stop();
    await Promise.allSettled(agents.map((agent) => agent.close()));
  }
}

/** After publishing stops: wait for acknowledgements and late deliveries, at most `limitMilliseconds`. */
async function waitForQuiet(agents: AgentHandle[], limitMilliseconds: number): Promise<void> {
  const deadline = monotonicMilliseconds() + limitMilliseconds;
  let lastReceived = -1;
  let quietSince = monotonicMilliseconds();
  while (monotonicMilliseconds() < deadline) {
    const total = sumProgress(await Promise.all(agents.map((agent) => agent.progress())));
    const now = monotonicMilliseconds();
    if (total.received !== lastReceived) {
      lastReceived = total.received;
      quietSince = now;
    } else if (total.inflight === 0 && now - quietSince >= GRACE_QUIET_MILLISECONDS) return;
    await delay(GRACE_POLL_MILLISECONDS);
  }
}

/** CPU seconds of the broker and the other processes serving it (a cluster's nodes and NATS servers). */
function readProcessesCpu(pid: number, others: readonly number[] | undefined): number | undefined {
  let total = readCpuSeconds(pid);
  for (const other of others ?? []) {
    const seconds = readCpuSeconds(other);
    if (total === undefined || seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}
