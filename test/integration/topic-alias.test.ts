import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

type Message = [string, Buffer, mqtt.IPublishPacket];

describe('topic aliases', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ maxTopicAliases: 5 });
  });
  after(async () => {
    await server.close();
  });

  test('topic alias - CONNACK announces the Topic Alias Maximum and inbound aliases resolve to their topic [MQTT-3.3.2-12]', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-in-sub' });
    const publisher = mqtt.connect(server.url, { protocolVersion: 5, clientId: 'alias-in-pub', reconnectPeriod: 0 });
    try {
      const [connack] = await nextEvent<[mqtt.IConnackPacket]>(publisher, 'connect');
      assert.equal(connack.properties?.topicAliasMaximum, 5);
      const got: string[] = [];
      subscriber.on('message', (topic, payload) => got.push(`${topic}:${payload}`));
      await subscriber.subscribeAsync('alias/in', { qos: 1 });
      await publisher.publishAsync('alias/in', 'with-topic', { qos: 1, properties: { topicAlias: 3 } });
      await publisher.publishAsync('', 'alias-only', { qos: 1, properties: { topicAlias: 3 } });
      await waitFor(() => got.length === 2, 'both messages');
      assert.deepEqual(got, ['alias/in:with-topic', 'alias/in:alias-only']);
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });

  test('topic alias - an alias above the Topic Alias Maximum gets DISCONNECT 0x94 [MQTT-3.3.2-9]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'alias-too-high' });
    client.send({ cmd: 'publish', topic: 'alias/high', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 6 } });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x94);
    await client.closed();
  });

  test('topic alias - alias 0 gets DISCONNECT 0x94 [MQTT-3.3.2-8]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'alias-zero' });
    // mqtt-packet refuses to encode alias 0, so the bytes are written by hand: topic 'a', alias 0.
    client.write([0x30, 7, 0, 1, 0x61, 3, 0x23, 0, 0]);
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x94);
    await client.closed();
  });

  test('topic alias - an alias never defined is a protocol error', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'alias-undefined' });
    client.send({ cmd: 'publish', topic: '', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    await client.closed();
  });

  test('topic alias - with maxTopicAliases 0 CONNACK announces none and any alias gets DISCONNECT 0x94', async () => {
    const disabled = await startBroker({ maxTopicAliases: 0 });
    try {
      const { client, connack } = await RawClient.connect(disabled.port, { clientId: 'alias-disabled' });
      assert.equal(connack.properties?.topicAliasMaximum, undefined);
      client.send({ cmd: 'publish', topic: 'alias/off', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
      assert.equal((await client.expect('disconnect')).reasonCode, 0x94);
      await client.closed();
    } finally {
      await disabled.close();
    }
  });

  test('topic alias - outbound: the second message on a topic comes with an empty topic and the alias [MQTT-3.3.2-10]', async () => {
    const { client: subscriber } = await RawClient.connect(server.port, { clientId: 'alias-out-raw', properties: { topicAliasMaximum: 10 } });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-pub' });
    try {
      subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/out/#', qos: 0 }] });
      await subscriber.expect('suback');
      await publisher.publishAsync('alias/out/a', 'one', { qos: 1 });
      await publisher.publishAsync('alias/out/a', 'two', { qos: 1 });
      await publisher.publishAsync('alias/out/b', 'three', { qos: 1 });
      const first = await subscriber.expect('publish');
      const second = await subscriber.expect('publish');
      const third = await subscriber.expect('publish');
      assert.equal(first.topic, 'alias/out/a');
      const alias = first.properties?.topicAlias;
      assert.ok(alias !== undefined && alias >= 1 && alias <= 10);
      assert.equal(second.topic, '');
      assert.equal(second.properties?.topicAlias, alias);
      assert.equal(String(second.payload), 'two');
      assert.equal(third.topic, 'alias/out/b');
      assert.notEqual(third.properties?.topicAlias, alias);
    } finally {
      subscriber.destroy();
      await publisher.endAsync();
    }
  });

  test('topic alias - a new outbound alias never takes a packet over the client Maximum Packet Size [MQTT-3.1.2-24]', async () => {
    const { client: subscriber } = await RawClient.connect(server.port, {
      clientId: 'alias-out-size',
      properties: { topicAliasMaximum: 10, maximumPacketSize: 100 },
    });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-size-pub' });
    try {
      subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'edge/t', qos: 0 }] });
      await subscriber.expect('suback');
      const sizes: number[] = [];
      subscriber.socket.on('data', (chunk: Buffer) => sizes.push(chunk.length));
      // 2 (fixed header) + 8 (topic) + 1 (no properties) + 89 = exactly 100 bytes without an alias.
      await publisher.publishAsync('edge/t', Buffer.alloc(89, 0x65), { qos: 1 });
      const publish = await subscriber.expect('publish');
      assert.equal(publish.payload.length, 89);
      assert.deepEqual(sizes, [100], 'one PUBLISH of at most 100 bytes');
      if (publish.properties?.topicAlias !== undefined) assert.fail('an alias would have made the packet 103 bytes');
      // A smaller later message may still set up an alias, and then use it.
      await publisher.publishAsync('edge/t', 'small', { qos: 1 });
      await publisher.publishAsync('edge/t', 'small', { qos: 1 });
      const second = await subscriber.expect('publish');
      const third = await subscriber.expect('publish');
      assert.equal(second.topic, 'edge/t');
      assert.equal(third.topic, '');
      assert.equal(third.properties?.topicAlias, second.properties?.topicAlias);
    } finally {
      subscriber.destroy();
      await publisher.endAsync();
    }
  });

  test('topic alias - outbound aliases are not used for a client that announced no Topic Alias Maximum [MQTT-3.3.2-11]', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-none' });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-none-pub' });
    try {
      await subscriber.subscribeAsync('alias/none', { qos: 0 });
      const packets: mqtt.IPublishPacket[] = [];
      subscriber.on('message', (_topic, _payload, packet) => packets.push(packet));
      await publisher.publishAsync('alias/none', '1', { qos: 1 });
      await publisher.publishAsync('alias/none', '2', { qos: 1 });
      await waitFor(() => packets.length === 2, 'two messages');
      assert.deepEqual(
        packets.map((packet) => packet.properties?.topicAlias),
        [undefined, undefined],
      );
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });

  test('topic alias - with MQTT.js, the second message carries topicAlias and MQTT.js restores the topic', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-js', properties: { topicAliasMaximum: 10 } });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'alias-out-js-pub' });
    try {
      await subscriber.subscribeAsync('alias/js', { qos: 0 });
      const got: Message[] = [];
      subscriber.on('message', (...args: Message) => got.push(args));
      await publisher.publishAsync('alias/js', '1', { qos: 1 });
      await publisher.publishAsync('alias/js', '2', { qos: 1 });
      await waitFor(() => got.length === 2, 'two messages');
      assert.deepEqual(
        got.map(([topic]) => topic),
        ['alias/js', 'alias/js'],
      );
      assert.ok(got[1]![2].properties?.topicAlias !== undefined, 'the second message used an alias');
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });
});
