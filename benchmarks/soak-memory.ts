// What the soak watches: the broker's resident memory (/proc), its V8 heap after the last full collection
// (parsed from the --trace-gc lines in its log), and its own counts from $SYS. Plus the arithmetic of the
// verdict: growth between the end of the warm-up and the end, and a least-squares slope in MB per minute.

import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { readFileBackedResidentBytes, readResidentBytes } from '../src/loadgen/broker-process.js';
import { median } from './statistics.js';

export interface MemorySample {
  /** Seconds since the load started. */
  seconds: number;
  residentMegabytes: number | undefined;
  /** The part of RSS backed by mapped files: with a durable store it includes LMDB's map, which grows with the file. */
  fileBackedMegabytes: number | undefined;
  /** V8 heap in use right after the most recent mark-compact, or undefined before the first one. */
  heapAfterFullGcMegabytes: number | undefined;
  /** V8 heap in use right after the most recent collection of any kind (scavenges leave old-space garbage in). */
  heapAfterAnyGcMegabytes: number | undefined;
  connected: number | undefined;
  sessions: number | undefined;
  subscriptions: number | undefined;
  retained: number | undefined;
}

const MEGABYTE = 1024 * 1024;
/** `[pid:0x…]  12345 ms: Mark-Compact 10.5 (12.3) -> 8.1 (12.5) MB, …` (also "Mark-Compact (reduce)", "Scavenge"). */
const GC_LINE = /(Mark-Compact|Scavenge)(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g;

/** Heap in use after the last mark-compact and after the last collection of any kind, from --trace-gc output. */
export function lastHeapAfterGc(logPath: string): { full: number | undefined; any: number | undefined } {
  let log: string;
  try {
    log = readFileSync(logPath, 'utf8');
  } catch {
    return { full: undefined, any: undefined };
  }
  let full: number | undefined;
  let any: number | undefined;
  for (const match of log.matchAll(GC_LINE)) {
    any = Number(match[2]);
    if (match[1] === 'Mark-Compact') full = any;
  }
  return { full, any };
}

/** Keeps the latest value of every $SYS/broker/# topic (published retained, every sys_interval). */
export class SysTopicReader {
  private readonly values = new Map<string, string>();

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.values.set(topic, payload.toString()));
  }

  static async open(port: number): Promise<SysTopicReader> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'soak-sys-reader', reconnectPeriod: 0 });
    const reader = new SysTopicReader(client);
    await client.subscribeAsync('$SYS/broker/#', { qos: 0 });
    return reader;
  }

  count(topic: string): number | undefined {
    const value = this.values.get(`$SYS/broker/${topic}`);
    return value === undefined ? undefined : Number.parseInt(value, 10);
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

export function sampleBroker(pid: number, logPath: string, sys: SysTopicReader, seconds: number): MemorySample {
  const resident = readResidentBytes(pid);
  const fileBacked = readFileBackedResidentBytes(pid);
  const heap = lastHeapAfterGc(logPath);
  return {
    seconds,
    residentMegabytes: resident === undefined ? undefined : resident / MEGABYTE,
    fileBackedMegabytes: fileBacked === undefined ? undefined : fileBacked / MEGABYTE,
    heapAfterFullGcMegabytes: heap.full,
    heapAfterAnyGcMegabytes: heap.any,
    connected: sys.count('clients/connected'),
    sessions: sys.count('clients/total'),
    subscriptions: sys.count('subscriptions/count'),
    retained: sys.count('retained messages/count'),
  };
}

export interface Growth {
  /** Median of the first samples after the warm-up, and of the last samples. */
  atWarmupEnd: number;
  atEnd: number;
  megabytes: number;
  megabytesPerMinute: number;
}

const EDGE_SAMPLES = 3;

/** Least-squares slope of megabytes over minutes. */
export function slopePerMinute(points: { seconds: number; megabytes: number }[]): number {
  const count = points.length;
  if (count < 2) return 0;
  const meanX = points.reduce((sum, point) => sum + point.seconds / 60, 0) / count;
  const meanY = points.reduce((sum, point) => sum + point.megabytes, 0) / count;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    const x = point.seconds / 60 - meanX;
    covariance += x * (point.megabytes - meanY);
    variance += x * x;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** Growth of one series over the samples taken at or after `warmupSeconds`; undefined with too few samples. */
export function growthAfterWarmup(
  samples: readonly MemorySample[],
  warmupSeconds: number,
  read: (sample: MemorySample) => number | undefined,
): Growth | undefined {
  const points = samples.flatMap((sample) => {
    const megabytes = read(sample);
    return sample.seconds >= warmupSeconds && megabytes !== undefined ? [{ seconds: sample.seconds, megabytes }] : [];
  });
  if (points.length < 2 * EDGE_SAMPLES) return undefined;
  const atWarmupEnd = median(points.slice(0, EDGE_SAMPLES).map((point) => point.megabytes));
  const atEnd = median(points.slice(-EDGE_SAMPLES).map((point) => point.megabytes));
  return { atWarmupEnd, atEnd, megabytes: atEnd - atWarmupEnd, megabytesPerMinute: slopePerMinute(points) };
}
