import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { nextEvent } from '../helpers/wait.js';

describe('publish/subscribe', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      test(`pubsub - QoS ${qos} message reaches a subscriber (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
        const subscriber = await mqtt.connectAsync(server.url, { protocolVersion, clientId: `sub-${protocolVersion}-${qos}` });
        const publisher = await mqtt.connectAsync(server.url, { protocolVersion, clientId: `pub-${protocolVersion}-${qos}` });
        try {
          await subscriber.subscribeAsync(`pubsub/${protocolVersion}/${qos}`, { qos });
          const received = nextEvent<[string, Buffer, mqtt.IPublishPacket]>(subscriber, 'message');
          await publisher.publishAsync(`pubsub/${protocolVersion}/${qos}`, 'hello', { qos });
          const [topic, payload, packet] = await received;
          assert.equal(topic, `pubsub/${protocolVersion}/${qos}`);
          assert.equal(payload.toString(), 'hello');
          assert.equal(packet.qos, qos);
        } finally {
          await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
        }
      });
    }
  }
});
