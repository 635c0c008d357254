// Human-readable summary of a BenchResult (the JSON form is the result itself).

import type { BenchResult, LatencySummary } from './run-scenario.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function milliseconds(value: number): string {
  return value < 10 ? value.toFixed(3) : value.toFixed(1);
}

function latencyLine(label: string, latency: LatencySummary): string {
  return (
    `${label} (ms, ${integer.format(latency.count)} samples): p50 ${milliseconds(latency.p50)}  ` +
    `p99 ${milliseconds(latency.p99)}  p99.9 ${milliseconds(latency.p999)}  max ${milliseconds(latency.maximum)}  ` +
    `mean ${milliseconds(latency.mean)}`
  );
}

export function formatSummary(result: BenchResult): string {
  const lines: string[] = [];
  lines.push(
    `${result.scenario}: MQTT ${result.protocol} QoS ${result.qos}, ${result.publishers} publishers, ` +
      `${result.subscribers} subscribers, payload ${result.payloadSize} B, ${result.workers} worker(s)`,
  );
  const connect = result.connect;
  lines.push(
    `connect: ${integer.format(connect.opened)} opened, ${connect.failed} failed in ${connect.seconds.toFixed(2)} s ` +
      `(${integer.format(connect.perSecond)} conn/s; load generator CPU ${connect.loadGeneratorCpuSeconds.toFixed(2)} s` +
      (connect.opened > 0 ? `, ${((connect.loadGeneratorCpuSeconds * 1e6) / connect.opened).toFixed(1)} µs per connection)` : ')') +
      (connect.firstError === undefined ? '' : `; first error: ${connect.firstError}`),
  );
  lines.push(latencyLine('connect latency', connect.latencyMilliseconds));
  if (result.scenario === 'conn') lines.push(`connections lost while held: ${result.lostConnections}`);
  if (result.scenario !== 'conn') {
    lines.push(
      `measured ${result.measuredSeconds.toFixed(2)} s: sent ${integer.format(result.sentPerSecond)} msg/s ` +
        `(${integer.format(result.sent)}), received ${integer.format(result.receivedPerSecond)} msg/s`,
    );
    lines.push(latencyLine('end-to-end latency', result.latencyMilliseconds));
    const lossLabel = result.qos === 0 ? 'dropped (QoS 0)' : 'lost';
    lines.push(
      `${lossLabel} ${integer.format(result.lost)} of ${integer.format(result.expectedDeliveries)} expected deliveries, ` +
        `duplicates ${integer.format(result.duplicates)}, rejected ${result.rejected}, lost connections ${result.lostConnections}` +
        (result.scheduleLag > 0 ? `, behind schedule ${integer.format(result.scheduleLag)}` : ''),
    );
  }
  const broker = result.broker;
  if (broker !== undefined) {
    const parts = [`broker pid ${broker.pid}:`];
    if (broker.cpuSeconds !== undefined) parts.push(`CPU ${broker.cpuSeconds.toFixed(2)} s`);
    if (broker.messagesPerCpuSecond !== undefined) parts.push(`${integer.format(broker.messagesPerCpuSecond)} msg per CPU-second`);
    if (broker.residentBytesAfter !== undefined) parts.push(`RSS ${integer.format(broker.residentBytesAfter / 1024)} KiB`);
    if (broker.residentBytesPerConnection !== undefined) parts.push(`${integer.format(broker.residentBytesPerConnection)} B per connection right after connecting`);
    if (broker.residentBytesSettledPerConnection !== undefined) {
      const how = broker.settled === true ? 'settled' : 'not settled';
      parts.push(`${integer.format(broker.residentBytesSettledPerConnection)} B per connection ${how} after ${broker.settleSeconds!.toFixed(0)} s idle`);
    }
    if (broker.cpuMicrosecondsPerConnection !== undefined) {
      parts.push(`connect phase CPU ${broker.connectCpuSeconds!.toFixed(2)} s, ${broker.cpuMicrosecondsPerConnection.toFixed(1)} µs per connection`);
    }
    lines.push(parts.join(' '));
  }
  return lines.join('\n');
}
