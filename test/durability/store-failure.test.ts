// When the store cannot write, nothing that waited for the write is acknowledged: the publisher's
// connection is closed without its PUBACK (it resends after reconnecting), and the failure is logged.
// The failure is injected the way a failed commit (disk full, I/O error) leaves the store: with its
// failure recorded, every later turn's flushed() promise rejects and nothing more is written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import type { StarlingBroker } from '../../src/internal.js';
import { LmdbStore } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { nextEvent, waitFor } from '../helpers/wait.js';

test('store failure - a QoS 1 publish for a persistent session gets no PUBACK once writes fail; its connection closes', async () => {
  const { logger, lines } = recordingLogger();
  const server = await startBroker({ durability: 'sync', logger });
  try {
    const subscriber = await mqtt.connectAsync(server.url, { clientId: 'durable', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    await subscriber.subscribeAsync('jobs/#', { qos: 1 });
    await subscriber.endAsync(); // offline: every publish is queued and stored

    const publisher = await mqtt.connectAsync(server.url, { clientId: 'publisher', protocolVersion: 4, reconnectPeriod: 0 });
    const store = (server.broker as unknown as StarlingBroker).store as LmdbStore;
    (store as unknown as { failure: unknown }).failure = new Error('No space left on device (injected)');
    let acknowledged = false;
    publisher.publish('jobs/1', 'lost unless stored', { qos: 1 }, (error) => {
      if (error === undefined || error === null) acknowledged = true;
    });
    await nextEvent(publisher, 'close');
    assert.equal(acknowledged, false, 'no PUBACK for a message the store did not write');
    await waitFor(() => lines.some((line) => line['level'] === 50 && /store write failed/.test(String(line['msg']))), 'the failure logged');
    publisher.end(true);
  } finally {
    await server.broker.close().catch(() => undefined); // closing reports the store's failure
    await server.close().catch(() => undefined);
  }
});
