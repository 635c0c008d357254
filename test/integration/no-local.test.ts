import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';

describe('no local', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  test('no local - a client subscribed with No Local does not get its own messages, others do [MQTT-3.8.3-3]', async () => {
    const self = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'nl-self' });
    const other = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'nl-other' });
    try {
      const selfGot: string[] = [];
      const otherGot: string[] = [];
      self.on('message', (topic, payload) => selfGot.push(`${topic}:${payload}`));
      other.on('message', (topic, payload) => otherGot.push(`${topic}:${payload}`));
      await self.subscribeAsync('nl/#', { qos: 1, nl: true });
      await other.subscribeAsync('nl/#', { qos: 1 });
      await self.publishAsync('nl/a', 'own', { qos: 1 });
      await other.publishAsync('nl/a', 'from-other', { qos: 1 });
      // The message from the other client is the marker: it is routed after the own message.
      await waitFor(() => selfGot.length === 1 && otherGot.length === 2, 'the marker at both clients');
      assert.deepEqual(selfGot, ['nl/a:from-other']);
      assert.deepEqual(otherGot, ['nl/a:own', 'nl/a:from-other']);
    } finally {
      await Promise.all([self.endAsync(), other.endAsync()]);
    }
  });

  test('no local - without No Local a client gets its own messages', async () => {
    const self = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'nl-off' });
    try {
      const got: string[] = [];
      self.on('message', (_topic, payload) => got.push(payload.toString()));
      await self.subscribeAsync('nl-off/t', { qos: 1, nl: false });
      await self.publishAsync('nl-off/t', 'echo', { qos: 1 });
      await waitFor(() => got.length === 1, 'own message');
      assert.deepEqual(got, ['echo']);
    } finally {
      await self.endAsync();
    }
  });
});
