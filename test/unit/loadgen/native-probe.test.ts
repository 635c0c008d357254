// The native latency path: native/latency-probe.c and native/floor-server.c compile, and the probe counts
// and times every message against the floor server and against a real Starling broker.
// A missing C compiler fails this test (CI has gcc) unless STARLING_NO_CC is set.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNativeTools, runLatencyProbe, startFloorServer, type FloorServer, type NativeTools, type ProbeResult } from '../../../src/loadgen/native-probe.js';
import { startBroker } from '../../helpers/broker.js';

const skip = process.env.STARLING_NO_CC !== undefined ? 'STARLING_NO_CC is set' : false;
const LOW_LOAD = { pairs: 2, rate: 500, duration: 1, warmup: 0.2 } as const;

let tools: NativeTools;
let floor: FloorServer | undefined;

before(async () => {
  if (skip) return;
  const built = buildNativeTools();
  assert.ok(built.tools !== undefined, `the native probe must build here: ${built.tools === undefined ? built.reason : ''}`);
  tools = built.tools;
  floor = await startFloorServer(tools);
});

after(async () => {
  await floor?.stop();
});

function assertOrdered(name: string, summary: { p50: number; p90: number; p99: number; p999: number; max: number }): void {
  assert.ok(summary.p50 > 0, `${name} p50 is positive`);
  assert.ok(summary.p50 <= summary.p90 && summary.p90 <= summary.p99 && summary.p99 <= summary.p999 && summary.p999 <= summary.max, `${name} percentiles ordered: ${JSON.stringify(summary)}`);
}

function assertComplete(result: ProbeResult): void {
  assert.deepEqual(result.errors, []);
  assert.ok(result.sent > 0);
  assert.equal(result.received, result.sent);
  assert.equal(result.lost, 0);
  assert.equal(result.duplicates, 0);
  assertOrdered('latency', result.latencyMicroseconds);
  assertOrdered('latency from the actual send', result.latencyFromActualSendMicroseconds);
  // Measured from the scheduled time, a message is never earlier than measured from when it was written.
  assert.ok(result.latencyMicroseconds.max >= result.latencyFromActualSendMicroseconds.max);
}

for (const qos of [0, 1] as const) {
  test(`native probe - QoS ${qos} against floor-server: every message arrives once, percentiles ordered`, { skip }, async () => {
    const result = await runLatencyProbe(tools, { port: floor!.port, qos, ...LOW_LOAD, clientPrefix: `floor-q${qos}` });
    assertComplete(result);
    assert.equal(result.sent, LOW_LOAD.rate * LOW_LOAD.duration);
    if (qos === 0) assert.equal(result.pubackMicroseconds, null);
    else assertOrdered('puback', result.pubackMicroseconds!);
  });
}

test('native probe - MQTT 5 QoS 1 against floor-server', { skip }, async () => {
  assertComplete(await runLatencyProbe(tools, { port: floor!.port, qos: 1, protocol: 5, ...LOW_LOAD, clientPrefix: 'floor-v5' }));
});

test('native probe - QoS 1 against Starling: nothing lost', { skip }, async () => {
  const broker = await startBroker();
  try {
    for (const protocol of [4, 5] as const) {
      const result = await runLatencyProbe(tools, { port: broker.port, qos: 1, protocol, ...LOW_LOAD, clientPrefix: `starling-v${protocol}` });
      assertComplete(result);
      assertOrdered('puback', result.pubackMicroseconds!);
    }
  } finally {
    await broker.close();
  }
});

test('native probe - a refused connection exits with a message, not a report', { skip }, async () => {
  // A floor server stopped right away leaves a port nothing listens on.
  const stopped = await startFloorServer(tools);
  await stopped.stop();
  await assert.rejects(runLatencyProbe(tools, { port: stopped.port, qos: 0, ...LOW_LOAD }), /latency-probe exited \(1\): .*Connection refused/);
});
