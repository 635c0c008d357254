import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent } from '../helpers/wait.js';

type Message = [string, Buffer, mqtt.IPublishPacket];

describe('subscription identifiers', () => {
  let server: TestBroker;
  let clients: mqtt.MqttClient[] = [];
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync()));
    clients = [];
    await server.close();
  });
  const connect = async (clientId: string): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId });
    clients.push(client);
    return client;
  };

  test('subscription identifiers - the identifier of the subscription is delivered with the message [MQTT-3.3.4-3]', async () => {
    const subscriber = await connect('sid-one');
    const publisher = await connect('sid-one-pub');
    await subscriber.subscribeAsync('sid/one', { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const received = nextEvent<Message>(subscriber, 'message');
    await publisher.publishAsync('sid/one', 'x', { qos: 1 });
    const [, , packet] = await received;
    assert.deepEqual(toArray(packet.properties?.subscriptionIdentifier), [42]);
  });

  test('subscription identifiers - overlapping subscriptions give one message carrying every matching identifier [MQTT-3.3.4-4] [MQTT-3.3.4-5]', async () => {
    const subscriber = await connect('sid-overlap');
    const publisher = await connect('sid-overlap-pub');
    await subscriber.subscribeAsync('sid/overlap/+', { qos: 1, properties: { subscriptionIdentifier: 1 } });
    await subscriber.subscribeAsync('sid/#', { qos: 1, properties: { subscriptionIdentifier: 7 } });
    await subscriber.subscribeAsync('sid/overlap/t', { qos: 0 }); // no identifier
    const messages: Message[] = [];
    subscriber.on('message', (...args: Message) => messages.push(args));
    const received = nextEvent<Message>(subscriber, 'message');
    await publisher.publishAsync('sid/overlap/t', 'x', { qos: 1 });
    const [, , packet] = await received;
    assert.deepEqual(toArray(packet.properties?.subscriptionIdentifier).sort((a, b) => a - b), [1, 7]);
    // A marker shows the overlapping subscriptions produced one copy, not three.
    const marker = nextEvent<Message>(subscriber, 'message');
    await publisher.publishAsync('sid/marker', 'm', { qos: 1 });
    await marker;
    assert.equal(messages.length, 2);
  });

  test('subscription identifiers - a retained message sent on subscribe carries the new identifier', async () => {
    const publisher = await connect('sid-retained-pub');
    await publisher.publishAsync('sid-retained/t', 'kept', { qos: 1, retain: true });
    const subscriber = await connect('sid-retained');
    const received = nextEvent<Message>(subscriber, 'message');
    await subscriber.subscribeAsync('sid-retained/+', { qos: 1, properties: { subscriptionIdentifier: 99 } });
    const [, payload, packet] = await received;
    assert.equal(payload.toString(), 'kept');
    assert.deepEqual(toArray(packet.properties?.subscriptionIdentifier), [99]);
    await publisher.publishAsync('sid-retained/t', '', { qos: 1, retain: true });
  });

  test('subscription identifiers - subscribing again to the same filter replaces the identifier [MQTT-3.8.4-3]', async () => {
    // MQTT.js skips a SUBSCRIBE to a filter it already holds at that QoS, so this one is raw.
    const { client: subscriber } = await RawClient.connect(server.port, { clientId: 'sid-replace' });
    const publisher = await connect('sid-replace-pub');
    try {
      for (const [messageId, subscriptionIdentifier] of [[1, 5], [2, 6]] as const) {
        subscriber.send({ cmd: 'subscribe', messageId, properties: { subscriptionIdentifier }, subscriptions: [{ topic: 'sid-replace/t', qos: 1 }] });
        await subscriber.expect('suback');
      }
      await publisher.publishAsync('sid-replace/t', 'x', { qos: 1 });
      const publish = await subscriber.expect('publish');
      assert.deepEqual(toArray(publish.properties?.subscriptionIdentifier), [6]);
    } finally {
      subscriber.destroy();
    }
  });

  test('subscription identifiers - a message matching no identified subscription carries none', async () => {
    const subscriber = await connect('sid-none');
    const publisher = await connect('sid-none-pub');
    await subscriber.subscribeAsync('sid-none/t', { qos: 1 });
    const received = nextEvent<Message>(subscriber, 'message');
    await publisher.publishAsync('sid-none/t', 'x', { qos: 1 });
    const [, , packet] = await received;
    assert.equal(packet.properties?.subscriptionIdentifier, undefined);
  });
});

function toArray(value: number | number[] | undefined): number[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
