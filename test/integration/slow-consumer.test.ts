import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import type { DisconnectedEvent } from '../../src/index.js';

const MAX_OUTGOING = 64 * 1024;
const PAYLOAD = Buffer.alloc(1024, 0x73);
const BURST = 64;
/** Enough to fill the loopback socket buffers of the stalled client several times over. */
const MAX_MESSAGES = 60_000;

/** Bytes the broker holds for one client's socket (white-box: read from the instance's connections). */
function bufferedFor(server: TestBroker, clientId: string): number | undefined {
  for (const link of server.broker.channels.all()) {
    if (link.channel.clientId === clientId) return (link as unknown as { socket: Duplex }).socket.writableLength;
  }
  return undefined;
}

describe('slow consumer', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({ maxOutgoingBufferBytes: MAX_OUTGOING, drainTimeout: 1 });
  });
  after(async () => {
    await server.close();
  });

  test('slow consumer - a stalled subscriber has QoS 0 dropped, not buffered without bound, is disconnected after the drain timeout, and does not slow the others', async () => {
    const { client: stalled } = await RawClient.connect(server.port, { clientId: 'slow-stalled' });
    stalled.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'slow/t', qos: 0 }] });
    await stalled.expect('suback');
    stalled.socket.pause(); // stops reading: the kernel buffers fill, then the broker's

    const healthy = await mqtt.connectAsync(server.url, { protocolVersion: 5, clientId: 'slow-healthy' });
    let healthyCount = 0;
    healthy.on('message', () => healthyCount++);
    await healthy.subscribeAsync('slow/t', { qos: 0 });

    const { client: publisher } = await RawClient.connect(server.port, { clientId: 'slow-publisher' });
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'slow/t', payload: PAYLOAD, qos: 0, retain: false, dup: false }, { protocolVersion: 5 });
    const burst = Buffer.concat(Array.from({ length: BURST }, () => publish));

    const disconnected = new Promise<DisconnectedEvent>((resolve) => {
      server.broker.on('client.disconnected', (event) => {
        if (event.client.clientId === 'slow-stalled') resolve(event);
      });
    });
    let stalledGone = false;
    void disconnected.then(() => (stalledGone = true));

    let sent = 0;
    let maxBuffered = 0;
    let sentAfterFirstDrop = 0;
    try {
      // Bursts paced by the healthy subscriber, so only the stalled one falls behind.
      while (sent < MAX_MESSAGES && !stalledGone && sentAfterFirstDrop < 2000) {
        publisher.write(burst);
        sent += BURST;
        if (server.broker.counters.droppedSlowConsumer > 0) sentAfterFirstDrop += BURST;
        await waitFor(() => healthyCount === sent, `${sent} messages at the healthy subscriber`);
        maxBuffered = Math.max(maxBuffered, bufferedFor(server, 'slow-stalled') ?? 0);
      }
      assert.ok(server.broker.counters.droppedSlowConsumer > 0, `messages to the stalled client were dropped (sent ${sent})`);
      // The cap is checked before each message is queued, so it is exceeded by at most one message.
      assert.ok(maxBuffered <= MAX_OUTGOING + publish.length, `buffered ${maxBuffered} bytes for the stalled client`);
      assert.equal(healthyCount, sent, 'the healthy subscriber got every message');

      // Over the cap for longer than drainTimeout (1 s, checked every 250 ms): disconnected.
      const event = await Promise.race([
        disconnected,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('stalled client still connected after 3 s')), 3000)),
      ]);
      assert.equal(event.client.clientId, 'slow-stalled');
      assert.equal(server.broker.registry.isConnected('slow-stalled'), false);
      // Reading again, the client drains what was in flight and then finds the connection closed.
      stalled.socket.resume();
      await stalled.closed(5000);

      // The healthy subscriber still works after.
      const received = nextEvent<[string, Buffer]>(healthy, 'message');
      publisher.send({ cmd: 'publish', topic: 'slow/t', payload: Buffer.from('after'), qos: 0, retain: false, dup: false });
      assert.equal((await received)[1].toString(), 'after');
    } finally {
      stalled.destroy();
      publisher.destroy();
      await healthy.endAsync();
    }
  });
});
