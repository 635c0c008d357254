// Connection rate limits over real MQTT.js 3.1.1 and 5 connections: connections_per_second is a
// budget per listener (two listeners do not share it, and clients from different addresses share
// their listener's), connections_per_address_per_second a budget per client address (another
// address keeps its own). Connections over a rate are closed before CONNACK and counted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqtt from 'mqtt';
import { StarlingBroker } from '../../src/internal.js';
import { createLogger } from '../../src/internal.js';
import type { RateLimitsConfig } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';

const noLimits: RateLimitsConfig = { connectionsPerSecond: 0, connectionsPerAddressPerSecond: 0, messagesPerSecond: 0, bytesPerSecond: 0, policy: 'slow' };

type Outcome = 'connected' | 'closed';

/** Opens `count` MQTT connections at once to `port`, the i-th from localAddress(i); resolves with what became of each. */
async function burst(port: number, count: number, localAddress: (index: number) => string, label: string): Promise<{ outcomes: Outcome[]; seconds: number }> {
  const clients: mqtt.MqttClient[] = [];
  const started = Date.now();
  try {
    const outcomes = await Promise.all(
      Array.from({ length: count }, (_, index) => {
        const client = new mqtt.MqttClient(() => net.connect({ host: '127.0.0.1', port, localAddress: localAddress(index) }), {
          protocol: 'mqtt',
          protocolVersion: index % 2 === 0 ? 5 : 4,
          clientId: `${label}-${index}`,
          reconnectPeriod: 0,
          connectTimeout: 5000,
        });
        client.on('error', () => undefined);
        clients.push(client);
        return new Promise<Outcome>((resolve) => {
          client.once('connect', () => resolve('connected'));
          client.once('close', () => resolve('closed'));
        });
      }),
    );
    return { outcomes, seconds: (Date.now() - started) / 1000 };
  } finally {
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => undefined)));
  }
}

const connectedCount = ({ outcomes }: { outcomes: Outcome[] }): number => outcomes.filter((outcome) => outcome === 'connected').length;

/** One second's worth up front, plus at most what the rate refilled while the burst lasted. */
function assertWithinRate(result: { outcomes: Outcome[]; seconds: number }, perSecond: number): void {
  const connected = connectedCount(result);
  assert.ok(connected >= perSecond && connected <= perSecond + Math.ceil(result.seconds * perSecond) + 1, `connected ${result.outcomes.join(',')} in ${result.seconds} s`);
}

test('connection rate - connections_per_second is per listener: clients from many addresses share it, another listener has its own', async () => {
  const broker = new StarlingBroker({
    durability: 'memory',
    sysInterval: 0,
    logger: createLogger({ logLevel: 'silent', logPretty: false }),
    rateLimits: { ...noLimits, connectionsPerSecond: 3 },
    listeners: [
      { type: 'tcp', host: '127.0.0.1', port: 0 },
      { type: 'tcp', host: '127.0.0.1', port: 0 },
    ],
  });
  try {
    const [first, second] = await broker.listen();
    // Eight addresses, so no per-address limit could explain the refusals.
    const onFirst = await burst(first!.port, 8, (index) => `127.0.0.${10 + index}`, 'first');
    const onSecond = await burst(second!.port, 8, (index) => `127.0.0.${10 + index}`, 'second');
    assertWithinRate(onFirst, 3);
    assertWithinRate(onSecond, 3);
    assert.equal(broker.authorization!.stats.connectionRateRefused, 16 - connectedCount(onFirst) - connectedCount(onSecond));
  } finally {
    await broker.close();
  }
});

test('connection rate - connections_per_address_per_second: one address over its rate does not use up another address\'s', async () => {
  const server = await startBroker({ rateLimits: { ...noLimits, connectionsPerAddressPerSecond: 2 } });
  try {
    const fromA = await burst(server.port, 6, () => '127.0.0.2', 'a');
    const fromB = await burst(server.port, 6, () => '127.0.0.3', 'b');
    assertWithinRate(fromA, 2);
    assertWithinRate(fromB, 2);
    assert.equal(server.broker.authorization!.stats.connectionRateRefused, 12 - connectedCount(fromA) - connectedCount(fromB));
  } finally {
    await server.close();
  }
});
