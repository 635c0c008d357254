import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, frame, properties, stringField } from '../helpers/raw-client.js';
import { nextEvent } from '../helpers/wait.js';

type Message = [string, Buffer, mqtt.IPublishPacket];

describe('publish properties', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  test('properties - response topic, correlation data, user properties, payload format and content type pass unchanged [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-20]', async () => {
    const subscriber = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'props-sub' });
    const publisher = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'props-pub' });
    try {
      await subscriber.subscribeAsync('props/t', { qos: 1 });
      const received = nextEvent<Message>(subscriber, 'message');
      const correlationData = Buffer.from([0, 1, 2, 0xff]);
      await publisher.publishAsync('props/t', '{"a":1}', {
        qos: 1,
        properties: {
          responseTopic: 'props/reply',
          correlationData,
          payloadFormatIndicator: true,
          contentType: 'application/json',
          userProperties: { zeta: '1', alpha: ['2', '3'], mid: 'x' },
        },
      });
      const [, payload, packet] = await received;
      assert.equal(payload.toString(), '{"a":1}');
      assert.equal(packet.properties?.responseTopic, 'props/reply');
      assert.deepEqual(packet.properties?.correlationData, correlationData);
      assert.equal(packet.properties?.payloadFormatIndicator, true);
      assert.equal(packet.properties?.contentType, 'application/json');
      assert.deepEqual({ ...packet.properties?.userProperties }, { zeta: '1', alpha: ['2', '3'], mid: 'x' });
    } finally {
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    }
  });

  test('properties - user properties keep their order on the wire, repeats included [MQTT-3.3.2-18]', async () => {
    // MQTT.js groups user properties by name, so the order is checked on raw bytes.
    const { client: subscriber } = await RawClient.connect(server.port, { clientId: 'props-order-sub' });
    const { client: publisher } = await RawClient.connect(server.port, { clientId: 'props-order-pub' });
    try {
      subscriber.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'props/order', qos: 0 }] });
      await subscriber.expect('suback');
      const wire: Buffer[] = [];
      subscriber.socket.on('data', (chunk: Buffer) => wire.push(chunk));
      // name=b, name=a, name=b: the broker must not regroup or sort them.
      const userProperties = Buffer.concat([userProperty('b', '1'), userProperty('a', '2'), userProperty('b', '3')]);
      publisher.write(frame(0x30, stringField('props/order'), properties(...userProperties), Buffer.from('p')));
      await subscriber.expect('publish');
      assert.deepEqual(userPropertiesOnTheWire(Buffer.concat(wire)), ['b=1', 'a=2', 'b=3']);
    } finally {
      subscriber.destroy();
      publisher.destroy();
    }
  });
});

/** The user properties of a short QoS 0 PUBLISH, in wire order. */
function userPropertiesOnTheWire(publish: Buffer): string[] {
  assert.equal(publish[0]! >> 4, 3, 'a PUBLISH');
  // fixed header (2 bytes: a short packet), topic, property length (1 byte: < 128)
  let offset = 2;
  offset += 2 + publish.readUInt16BE(offset);
  const propertiesEnd = offset + 1 + publish[offset]!;
  offset += 1;
  const found: string[] = [];
  while (offset < propertiesEnd) {
    const id = publish[offset++]!;
    assert.equal(id, 0x26, 'only user properties were sent');
    const keyLength = publish.readUInt16BE(offset);
    const key = publish.toString('utf8', offset + 2, offset + 2 + keyLength);
    offset += 2 + keyLength;
    const valueLength = publish.readUInt16BE(offset);
    const value = publish.toString('utf8', offset + 2, offset + 2 + valueLength);
    offset += 2 + valueLength;
    found.push(`${key}=${value}`);
  }
  return found;
}

function userProperty(key: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x26]), stringField(key), stringField(value)]);
}
