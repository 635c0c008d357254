import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('reason codes', () => {
  let server: TestBroker;
  let limited: TestBroker;
  let tight: TestBroker;
  before(async () => {
    server = await startBroker();
    limited = await startBroker({ maxQoS: 1, retainAvailable: false });
    tight = await startBroker({ maxInflight: 2 });
  });
  after(async () => {
    await Promise.all([server.close(), limited.close(), tight.close()]);
  });

  test('reason codes - PUBACK 0x10 when no subscriber matched', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-nomatch' });
    try {
      client.send({ cmd: 'publish', topic: 'rc/nobody', payload: Buffer.from('x'), qos: 1, messageId: 5, retain: false, dup: false });
      const puback = await client.expect('puback');
      assert.equal(puback.messageId, 5);
      assert.equal(puback.reasonCode, 0x10);
    } finally {
      client.destroy();
    }
  });

  test('reason codes - UNSUBACK 0x11 for a filter with no subscription, 0x00 for one with', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-unsub' });
    try {
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rc/subbed', qos: 0 }] });
      await client.expect('suback');
      client.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['rc/never', 'rc/subbed'] });
      const unsuback = await client.expect('unsuback');
      assert.equal(unsuback.messageId, 2);
      assert.deepEqual(unsuback.granted, [0x11, 0x00]);
    } finally {
      client.destroy();
    }
  });

  test('reason codes - SUBACK grants at most maxQoS and CONNACK announces Maximum QoS and Retain Available [MQTT-3.2.2-9]', async () => {
    const { client, connack } = await RawClient.connect(limited.port, { clientId: 'rc-maxqos' });
    try {
      assert.equal(connack.properties?.maximumQoS, 1);
      assert.equal(connack.properties?.retainAvailable, false);
      client.send({
        cmd: 'subscribe',
        messageId: 3,
        subscriptions: [
          { topic: 'rc/q0', qos: 0 },
          { topic: 'rc/q1', qos: 1 },
          { topic: 'rc/q2', qos: 2 },
        ],
      });
      const suback = await client.expect('suback');
      assert.deepEqual(suback.granted, [0, 1, 1]);
    } finally {
      client.destroy();
    }
  });

  test('reason codes - a QoS 2 PUBLISH above Maximum QoS 1 gets DISCONNECT 0x9B [MQTT-3.2.2-11]', async () => {
    const { client } = await RawClient.connect(limited.port, { clientId: 'rc-qos2' });
    client.send({ cmd: 'publish', topic: 'rc/q', payload: Buffer.from('x'), qos: 2, messageId: 1, retain: false, dup: false });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x9b);
    assert.equal(typeof disconnect.properties?.reasonString, 'string', 'a reason string explains it');
    await client.closed();
  });

  test('reason codes - a retained PUBLISH when retain is not available gets DISCONNECT 0x9A [MQTT-3.2.2-14]', async () => {
    const { client } = await RawClient.connect(limited.port, { clientId: 'rc-retain' });
    client.send({ cmd: 'publish', topic: 'rc/r', payload: Buffer.from('x'), qos: 0, retain: true, dup: false });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x9a);
    await client.closed();
  });

  test('reason codes - a refused PUBLISH gets PUBACK 0x87 with a reason string', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-problem-info' });
    try {
      client.send({ cmd: 'publish', topic: '$SYS/forbidden', payload: Buffer.from('x'), qos: 1, messageId: 9, retain: false, dup: false });
      const puback = await client.expect('puback');
      assert.equal(puback.reasonCode, 0x87);
      assert.equal(typeof puback.properties?.reasonString, 'string');
    } finally {
      client.destroy();
    }
  });

  test('reason codes - no reason string on a PUBACK when the client set Request Problem Information to 0 [MQTT-3.1.2-29]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-no-problem-info', properties: { requestProblemInformation: false } });
    try {
      client.send({ cmd: 'publish', topic: '$SYS/forbidden', payload: Buffer.from('x'), qos: 1, messageId: 9, retain: false, dup: false });
      const puback = await client.expect('puback');
      assert.equal(puback.reasonCode, 0x87);
      assert.equal(puback.properties?.reasonString, undefined);
    } finally {
      client.destroy();
    }
  });

  test('reason codes - DISCONNECT 0x8B when the server shuts down', async () => {
    const own = await startBroker();
    const { client } = await RawClient.connect(own.port, { clientId: 'rc-shutdown' });
    const closing = own.close();
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x8b);
    await client.closed();
    await closing;
  });

  test('reason codes - DISCONNECT 0x8D when keep-alive passes without a packet [MQTT-3.1.2-22]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-keepalive', keepalive: 1 });
    // 1.5 x 1 s, checked every 250 ms: the DISCONNECT is due within about 2 s.
    const disconnect = await client.expect('disconnect', 4000);
    assert.equal(disconnect.reasonCode, 0x8d);
    await client.closed();
  });

  test('reason codes - DISCONNECT 0x8E to the old connection when the client id is taken over [MQTT-3.1.4-3]', async () => {
    const { client: first } = await RawClient.connect(server.port, { clientId: 'rc-takeover' });
    const { client: second, connack } = await RawClient.connect(server.port, { clientId: 'rc-takeover' });
    try {
      assert.equal(connack.reasonCode, 0);
      const disconnect = await first.expect('disconnect');
      assert.equal(disconnect.reasonCode, 0x8e);
      await first.closed();
      // The new connection works.
      second.send({ cmd: 'pingreq' });
      await second.expect('pingresp');
    } finally {
      second.destroy();
    }
  });

  test('reason codes - DISCONNECT 0x81 for a PUBLISH whose topic is not valid UTF-8 [MQTT-1.5.4-1]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-malformed' });
    // PUBLISH QoS 0, topic length 2: 0xC3 0x28 (an invalid two-byte sequence), no properties, payload 'x'.
    client.write([0x30, 6, 0, 2, 0xc3, 0x28, 0, 0x78]);
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x81);
    await client.closed();
  });

  test('reason codes - DISCONNECT 0x82 for a second CONNECT [MQTT-3.1.0-2]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-second-connect' });
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'rc-second-connect', clean: true, keepalive: 60 });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    await client.closed();
  });

  test('reason codes - DISCONNECT 0x82 for No Local on a shared subscription [MQTT-3.8.3-4]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-shared-nl' });
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/rc/t', qos: 0, nl: true }] });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    await client.closed();
  });

  test('reason codes - DISCONNECT 0x82 for a PUBLISH from a client carrying a Subscription Identifier [MQTT-3.3.4-6]', async () => {
    const { client } = await RawClient.connect(server.port, { clientId: 'rc-publish-subid' });
    client.send({ cmd: 'publish', topic: 'rc/subid', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { subscriptionIdentifier: 3 } });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x82);
    await client.closed();
  });

  test('reason codes - DISCONNECT 0x93 for more QoS 2 PUBLISH packets without PUBREL than Receive Maximum', async () => {
    const { client, connack } = await RawClient.connect(tight.port, { clientId: 'rc-receive-max' });
    assert.equal(connack.properties?.receiveMaximum, 2);
    for (const messageId of [1, 2]) {
      client.send({ cmd: 'publish', topic: 'rc/rm', payload: Buffer.from('x'), qos: 2, messageId, retain: false, dup: false });
      const pubrec = await client.expect('pubrec');
      assert.equal(pubrec.messageId, messageId);
    }
    client.send({ cmd: 'publish', topic: 'rc/rm', payload: Buffer.from('x'), qos: 2, messageId: 3, retain: false, dup: false });
    const disconnect = await client.expect('disconnect');
    assert.equal(disconnect.reasonCode, 0x93);
    await client.closed();
  });

  test('reason codes - after PUBREL frees a slot, another QoS 2 PUBLISH is accepted', async () => {
    const { client } = await RawClient.connect(tight.port, { clientId: 'rc-receive-max-ok' });
    try {
      for (const messageId of [1, 2]) {
        client.send({ cmd: 'publish', topic: 'rc/rm', payload: Buffer.from('x'), qos: 2, messageId, retain: false, dup: false });
        await client.expect('pubrec');
      }
      client.send({ cmd: 'pubrel', messageId: 1 });
      assert.equal((await client.expect('pubcomp')).messageId, 1);
      client.send({ cmd: 'publish', topic: 'rc/rm', payload: Buffer.from('x'), qos: 2, messageId: 3, retain: false, dup: false });
      assert.equal((await client.expect('pubrec')).messageId, 3);
    } finally {
      client.destroy();
    }
  });

  test('reason codes - a refused MQTT.js client sees the DISCONNECT reason code', async () => {
    const client = await mqtt.connectAsync(limited.url, { protocolVersion: 5, clientId: 'rc-js', reconnectPeriod: 0 });
    const disconnected = new Promise<mqtt.IDisconnectPacket>((resolve) => client.once('disconnect', resolve));
    client.publish('rc/js', 'x', { qos: 0, retain: true });
    const packet = await disconnected;
    assert.equal(packet.reasonCode, 0x9a);
    await client.endAsync(true);
  });
});
