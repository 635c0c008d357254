// `npm run bench:allocation`: bytes the broker allocates per message at a fixed rate, read with V8's
// sampling heap profiler (objects a minor or major GC collects included), the broker in this process
// pinned to CPU 0 and the native latency probe on CPU 1. A fixed rate makes two runs comparable byte
// for byte; the top allocating functions say where the garbage comes from.
//
//   npm run bench:allocation -- [--qos 0|1] [--rate 20000] [--pairs 100] [--seconds 6] [--top 12]

import { Session } from 'node:inspector/promises';
import { createBroker } from '../src/index.js';
import { buildNativeTools, runLatencyProbe } from '../src/loadgen/native-probe.js';
import { BROKER_CPU, LOAD_CPU, pinThisProcess } from './brokers.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

function bySite(node: ProfileNode, totals: Map<string, number>): void {
  const frame = node.callFrame;
  const site = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop() ?? ''}:${frame.lineNumber + 1}`;
  totals.set(site, (totals.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) bySite(child, totals);
}

async function main(): Promise<void> {
  const qos = option('qos', 1) === 0 ? 0 : 1;
  const rate = option('rate', 20_000);
  const pairs = option('pairs', 100);
  const seconds = option('seconds', 6);
  const top = option('top', 12);
  const native = buildNativeTools();
  if (native.tools === undefined) throw new Error(`no native probe: ${native.reason}`);
  pinThisProcess(BROKER_CPU);
  const broker = createBroker({ durability: 'memory', maxInflight: 65535, maxQueuedMessages: 10_000_000, logLevel: 'warn', sysInterval: 0, listeners: [] });
  const [address] = await broker.listen({ port: 0, host: '127.0.0.1' });
  const warmup = 2;
  const probe = runLatencyProbe(native.tools, { port: address!.port, pairs, rate, qos, duration: seconds + 2, warmup, cpu: LOAD_CPU });
  const inspector = new Session();
  inspector.connect();
  // Sample from the end of the probe's warm-up (connections made, load steady) for `seconds`.
  await new Promise((resolve) => setTimeout(resolve, (warmup + 1) * 1000));
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  const result = await probe;
  await broker.close();
  const totals = new Map<string, number>();
  bySite(profile.head as ProfileNode, totals);
  const bytes = [...totals.values()].reduce((sum, value) => sum + value, 0);
  const messages = rate * seconds;
  console.log(`${pairs} pairs, QoS ${qos}, ${rate} msg/s, ${seconds} s sampled: ${Math.round(bytes / messages).toLocaleString('en-US')} bytes allocated per message`);
  console.log(`probe: sent ${result.sent}, received ${result.received}, lost ${result.lost}`);
  for (const [site, size] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * size) / bytes).toFixed(1).padStart(5)} %  ${Math.round(size / messages).toString().padStart(5)} B/msg  ${site}`);
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
