// Interop with Eclipse Mosquitto's command line clients (Debian's mosquitto-clients): every QoS in
// MQTT 3.1 ('MQIsdp', level 3), 3.1.1 and 5, retained messages, wildcards, wills, v5 properties.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { Children, subscribedOrExited } from '../helpers/interop.js';
import type { ClientInfo } from '../../src/index.js';

const VERSIONS = [
  { flag: '31', level: 3, name: '3.1' },
  { flag: '311', level: 4, name: '3.1.1' },
  { flag: '5', level: 5, name: '5' },
] as const;

describe('mosquitto clients', () => {
  let server: TestBroker;
  const children = new Children();
  /** Protocol level each client id connected with, as the broker saw it. */
  const levels = new Map<string, number>();

  before(async () => {
    server = await startBroker();
    server.broker.on('client.connected', ({ client }) => levels.set(client.clientId, client.protocolVersion));
  });
  after(async () => {
    await children.killAll();
    await server.close();
  });

  function common(version: string, clientId: string): string[] {
    return ['-h', '127.0.0.1', '-p', String(server.port), '-V', version, '-i', clientId];
  }

  /** Starts mosquitto_sub and resolves once the broker holds its subscription. */
  async function subscribe(version: string, clientId: string, args: string[]) {
    const run = children.start('mosquitto_sub', [...common(version, clientId), '-W', '10', ...args]);
    const subscribed = await subscribedOrExited(server.broker, clientId, run);
    return { run, subscribed };
  }

  function publish(version: string, clientId: string, args: string[]) {
    return children.start('mosquitto_pub', [...common(version, clientId), ...args]).succeeded();
  }

  for (const version of VERSIONS) {
    for (const qos of [0, 1, 2] as const) {
      test(`mosquitto - MQTT ${version.name} QoS ${qos}: mosquitto_pub reaches mosquitto_sub`, async () => {
        const topic = `interop/mosquitto/v${version.flag}/qos${qos}`;
        const subscriberId = `msub-${version.flag}-${qos}`;
        const { run, subscribed } = await subscribe(version.flag, subscriberId, ['-q', String(qos), '-t', topic, '-C', '1', '-F', '%t|%q|%r|%p']);
        assert.equal(subscribed.grantedQoS, qos);
        assert.equal(levels.get(subscriberId), version.level, 'protocol level the broker saw');
        await publish(version.flag, `mpub-${version.flag}-${qos}`, ['-q', String(qos), '-t', topic, '-m', `hello ${version.name} qos ${qos}`]);
        assert.equal(levels.get(`mpub-${version.flag}-${qos}`), version.level);
        const exit = await run.succeeded();
        assert.equal(exit.stdout, `${topic}|${qos}|0|hello ${version.name} qos ${qos}\n`);
      });
    }
  }

  for (const version of VERSIONS) {
    test(`mosquitto - MQTT ${version.name}: a retained message reaches a later subscriber with RETAIN 1 [MQTT-3.3.1-6]`, async () => {
      const topic = `interop/mosquitto/retained/v${version.flag}`;
      await publish(version.flag, `mretain-${version.flag}`, ['-q', '1', '-r', '-t', topic, '-m', 'kept']);
      const { run } = await subscribe(version.flag, `mretain-sub-${version.flag}`, ['-q', '1', '-t', topic, '-C', '1', '-F', '%t|%r|%p']);
      assert.equal((await run.succeeded()).stdout, `${topic}|1|kept\n`);
    });
  }

  test('mosquitto - an empty retained message clears the retained one [MQTT-3.3.1-10]', async () => {
    const topic = 'interop/mosquitto/retained/cleared';
    await publish('311', 'mclear-1', ['-q', '1', '-r', '-t', topic, '-m', 'old']);
    await publish('311', 'mclear-2', ['-q', '1', '-r', '-t', topic, '-n']);
    const { run } = await subscribe('311', 'mclear-sub', ['-q', '1', '-t', topic, '-C', '1', '-F', '%r|%p']);
    // Were 'old' still retained it would arrive first, on subscribing.
    await publish('311', 'mclear-3', ['-q', '1', '-t', topic, '-m', 'live']);
    assert.equal((await run.succeeded()).stdout, '0|live\n');
  });

  test("mosquitto - '+' matches exactly one level, '#' the parent and every level below (4.7.1)", async () => {
    const plus = await subscribe('311', 'mwild-plus', ['-q', '1', '-t', 'interop/wild/+/temp', '-C', '2', '-v']);
    const hash = await subscribe('5', 'mwild-hash', ['-q', '1', '-t', 'interop/wild/#', '-C', '4', '-v']);
    // Published one after another (each mosquitto_pub waits for its PUBACK), so order is fixed.
    for (const [index, topic] of ['interop/wild/kitchen/temp', 'interop/wild/kitchen/humidity', 'interop/wild', 'interop/wild/hall/temp'].entries()) {
      await publish('311', `mwild-pub-${index}`, ['-q', '1', '-t', topic, '-m', String(index)]);
    }
    assert.equal((await plus.run.succeeded()).stdout, 'interop/wild/kitchen/temp 0\ninterop/wild/hall/temp 3\n');
    // '#' also matches the parent level itself ('sport/#' matches 'sport', section 4.7.1.2).
    assert.equal(
      (await hash.run.succeeded()).stdout,
      'interop/wild/kitchen/temp 0\ninterop/wild/kitchen/humidity 1\ninterop/wild 2\ninterop/wild/hall/temp 3\n',
    );
  });

  for (const version of VERSIONS) {
    test(`mosquitto - MQTT ${version.name}: the will of a mosquitto_sub killed with SIGKILL reaches a subscriber [MQTT-3.1.2-8]`, async () => {
      const willTopic = `interop/will/v${version.flag}`;
      const watcher = await subscribe('311', `mwill-watch-${version.flag}`, ['-q', '1', '-t', willTopic, '-C', '1', '-F', '%t|%q|%p']);
      const dying = await subscribe(version.flag, `mwill-dying-${version.flag}`, [
        '-t', `interop/will/other/${version.flag}`,
        '--will-topic', willTopic, '--will-payload', `gone ${version.name}`, '--will-qos', '1',
      ]);
      dying.run.kill('SIGKILL');
      assert.equal((await dying.run.exited).signal, 'SIGKILL');
      assert.equal((await watcher.run.succeeded()).stdout, `${willTopic}|1|gone ${version.name}\n`);
    });
  }

  test('mosquitto - a normal DISCONNECT discards the will [MQTT-3.1.2-10]', async () => {
    const willTopic = 'interop/will/discarded';
    const watcher = await subscribe('311', 'mwill-discard-watch', ['-q', '1', '-t', willTopic, '-C', '1', '-F', '%p']);
    // mosquitto_pub sends DISCONNECT after publishing; its will must not be published.
    await publish('311', 'mwill-discard', ['-q', '1', '-t', 'interop/will/other', '-m', 'x', '--will-topic', willTopic, '--will-payload', 'should not appear']);
    await publish('311', 'mwill-discard-marker', ['-q', '1', '-t', willTopic, '-m', 'marker']);
    assert.equal((await watcher.run.succeeded()).stdout, 'marker\n');
  });

  test('mosquitto - MQTT 5 user properties and content type reach the subscriber unchanged [MQTT-3.3.2-17] [MQTT-3.3.2-20]', async () => {
    const topic = 'interop/mosquitto/v5/properties';
    const { run } = await subscribe('5', 'mprops-sub', ['-q', '1', '-t', topic, '-C', '1', '-F', '%P|%C|%p']);
    await publish('5', 'mprops-pub', [
      '-q', '1', '-t', topic, '-m', 'with properties',
      '-D', 'publish', 'user-property', 'colour', 'blue',
      '-D', 'publish', 'user-property', 'colour', 'green',
      '-D', 'publish', 'content-type', 'text/plain',
    ]);
    // Order and duplicates of user properties are kept [MQTT-3.3.2-18].
    assert.equal((await run.succeeded()).stdout, 'colour:blue colour:green|text/plain|with properties\n');
  });

  test('mosquitto - a QoS 1 message to an MQTT 3.1.1 subscriber carries no MQTT 5 properties', async () => {
    const topic = 'interop/mosquitto/mixed';
    const { run } = await subscribe('311', 'mmixed-sub', ['-q', '1', '-t', topic, '-C', '1', '-F', '%t|%q|%p']);
    await publish('5', 'mmixed-pub', ['-q', '1', '-t', topic, '-m', 'from v5', '-D', 'publish', 'user-property', 'k', 'v']);
    assert.equal((await run.succeeded()).stdout, `${topic}|1|from v5\n`);
  });
});
