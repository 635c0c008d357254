// Listeners changed by a reload, with real MQTT.js clients: an added listener accepts connections
// while the clients of the other one stay connected and keep exchanging messages; a removed listener
// stops accepting and its clients are disconnected (0x8B) while the others stay; a change of only
// allow_anonymous applies to the next connections without a restart; any other change restarts the
// listener (its clients are disconnected, it accepts again on the same port).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { StarlingBroker, createLogger, readConfigFile } from '../../src/internal.js';
import { connackCode } from '../auth/clients.js';
import { freePort } from '../helpers/free-port.js';

function connect(port: number, clientId: string): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
}

/** `from` publishes and `to` (subscribed to the topic) receives it. */
async function roundTrip(from: mqtt.MqttClient, to: mqtt.MqttClient, topic: string): Promise<void> {
  const payload = `${topic} ${Math.random()}`;
  const received = new Promise<void>((resolve) => {
    const onMessage = (_topic: string, message: Buffer): void => {
      if (message.toString() !== payload) return;
      to.off('message', onMessage);
      resolve();
    };
    to.on('message', onMessage);
  });
  await from.publishAsync(topic, payload, { qos: 1 });
  await received;
}

function refusesConnections(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('reload - listeners added, removed, updated and restarted; the other listeners keep their connections', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'starling-reload-listeners-'));
  const file = join(directory, 'starling.json');
  const [first, second] = [await freePort(), await freePort()];
  const write = (listeners: object[]): Promise<void> => writeFile(file, JSON.stringify({ allow_anonymous: true, listeners }));
  const base = { dataDir: directory, durability: 'memory' as const, sysInterval: 0 };
  await write([{ type: 'tcp', host: '127.0.0.1', port: first }]);
  const read = () => ({ ...base, ...readConfigFile(file) });
  const broker = new StarlingBroker({ ...read(), logger: createLogger({ logLevel: 'silent', logPretty: false }), configSource: { description: file, read } });
  await broker.listen();
  const clients: mqtt.MqttClient[] = [];
  try {
    const onFirst = await connect(first, 'on-first');
    clients.push(onFirst);
    await onFirst.subscribeAsync('to/first', { qos: 1 });
    await onFirst.subscribeAsync('to/self', { qos: 1 });

    // Added: the second listener starts; the first one's client is not touched.
    await write([
      { type: 'tcp', host: '127.0.0.1', port: first },
      { type: 'tcp', host: '127.0.0.1', port: second },
    ]);
    const added = await broker.reload();
    assert.deepEqual(added.applied, ['listeners']);
    assert.equal(added.changes[0]!.note, `added tcp 127.0.0.1:${second}`);
    const onSecond = await connect(second, 'on-second');
    clients.push(onSecond);
    await onSecond.subscribeAsync('to/second', { qos: 1 });
    await roundTrip(onSecond, onFirst, 'to/first');
    await roundTrip(onFirst, onSecond, 'to/second');

    // Removed: the first listener stops accepting and its client is disconnected; the second's stays.
    const gone = new Promise<number | undefined>((resolve) => onFirst.once('disconnect', (packet) => resolve(packet.reasonCode)));
    await write([{ type: 'tcp', host: '127.0.0.1', port: second }]);
    const removed = await broker.reload();
    assert.equal(removed.changes[0]!.note, `removed tcp 127.0.0.1:${first}`);
    assert.equal(await gone, 0x8b);
    assert.equal(await refusesConnections(first), 'ECONNREFUSED');
    assert.ok(onSecond.connected);
    await roundTrip(onSecond, onSecond, 'to/second');

    // Only allow_anonymous changes: no restart, the connected client stays, the next anonymous one is refused.
    await write([{ type: 'tcp', host: '127.0.0.1', port: second, allow_anonymous: false }]);
    const updated = await broker.reload();
    assert.equal(updated.changes[0]!.note, `updated tcp 127.0.0.1:${second} (authentication for new connections)`);
    assert.equal((await connackCode(`mqtt://127.0.0.1:${second}`, { protocolVersion: 5, clientId: 'anonymous' })).code, 0x87);
    assert.ok(onSecond.connected);
    await roundTrip(onSecond, onSecond, 'to/second');

    // Any other change restarts it: its clients are disconnected, and it accepts again on the same port.
    const restartedAway = new Promise<number | undefined>((resolve) => onSecond.once('disconnect', (packet) => resolve(packet.reasonCode)));
    await write([{ type: 'tcp', host: '127.0.0.1', port: second, max_connections: 10 }]);
    const restarted = await broker.reload();
    assert.equal(restarted.changes[0]!.note, `restarted tcp 127.0.0.1:${second}`);
    assert.equal(await restartedAway, 0x8b);
    const again = await connect(second, 'again');
    clients.push(again);
    await again.subscribeAsync('to/again', { qos: 1 });
    await roundTrip(again, again, 'to/again');
    assert.deepEqual(broker.runningListeners.map((running) => running.address.port), [second]);
    assert.deepEqual(broker.config.listeners, [{ type: 'tcp', host: '127.0.0.1', port: second, maxConnections: 10 }]);

    // A listener that cannot start (its port is taken) is reported, and what runs is what the running configuration says.
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      await write([
        { type: 'tcp', host: '127.0.0.1', port: second, max_connections: 10 },
        { type: 'tcp', host: '127.0.0.1', port: taken },
      ]);
      const failed = await broker.reload();
      assert.deepEqual(failed.applied, []);
      assert.match(failed.not_applied[0]!.reason, new RegExp(`^failed: tcp 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`));
      assert.deepEqual(broker.config.listeners.map((listener) => listener.port), [second]);
      assert.ok(again.connected);
    } finally {
      blocker.close();
    }
  } finally {
    for (const client of clients) client.end(true);
    await broker.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('reload - a broker listening where listen() was told leaves its listeners alone and says why', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'starling-reload-override-'));
  const file = join(directory, 'starling.json');
  await writeFile(file, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] }));
  const read = () => ({ dataDir: directory, durability: 'memory' as const, sysInterval: 0, ...readConfigFile(file) });
  const broker = new StarlingBroker({ ...read(), logger: createLogger({ logLevel: 'silent', logPretty: false }), configSource: { description: file, read } });
  await broker.listen({ port: 0, host: '127.0.0.1' });
  try {
    await writeFile(file, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }, { type: 'ws', host: '127.0.0.1', port: 0 }] }));
    const answer = await broker.reload();
    assert.deepEqual(answer.not_applied, [{ key: 'listeners', reason: 'this broker listens where listen() was told, not on the configured listeners' }]);
    assert.equal(broker.runningListeners.length, 1);
  } finally {
    await broker.close();
    await rm(directory, { recursive: true, force: true });
  }
});
