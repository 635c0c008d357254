// Quality of service: delivery at each QoS both ways, downgrade to the subscription's QoS, the
// QoS 2 handshakes, DUP on redelivery, inbound exactly-once, and the client's Receive Maximum.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import type { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

const versionName = (protocolVersion: 4 | 5): string => (protocolVersion === 5 ? '5' : '3.1.1');

async function subscribeWire(wire: RawClient, topic: string, qos: 0 | 1 | 2, messageId = 1): Promise<number[]> {
  wire.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
  const suback = await wire.receive('suback');
  assert.equal(suback.messageId, messageId);
  return suback.granted as number[];
}

describe('qos', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await server.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      test(`qos - QoS ${qos} publish and delivery, both ways through the broker (MQTT ${versionName(protocolVersion)})`, async () => {
        const pool = new ClientPool(server.url);
        const topic = `qos/both/${protocolVersion}/${qos}`;
        try {
          const a = await pool.connect({ protocolVersion, clientId: `qos-a-${protocolVersion}-${qos}` });
          const b = await pool.connect({ protocolVersion, clientId: `qos-b-${protocolVersion}-${qos}` });
          const toA = record(a);
          const toB = record(b);
          await a.subscribeAsync(`${topic}/a`, { qos });
          await b.subscribeAsync(`${topic}/b`, { qos });
          await a.publishAsync(`${topic}/b`, 'a to b', { qos });
          await b.publishAsync(`${topic}/a`, 'b to a', { qos });
          const atB = await messageOn(toB, `${topic}/b`);
          const atA = await messageOn(toA, `${topic}/a`);
          assert.deepEqual([atB.payload, atB.packet.qos, atA.payload, atA.packet.qos], ['a to b', qos, 'b to a', qos]);
        } finally {
          await pool.closeAll();
        }
      });
    }
  }

  for (const [published, subscribed] of [[2, 1], [2, 0], [1, 0]] as const) {
    test(`qos - a QoS ${published} message to a QoS ${subscribed} subscription is delivered at QoS ${subscribed} [MQTT-3.8.4-8]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `qos/downgrade/${published}/${subscribed}`;
      try {
        const subscriber = await pool.connect({ protocolVersion: 5, clientId: `downgrade-sub-${published}${subscribed}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(topic, { qos: subscribed });
        const publisher = await pool.connect({ protocolVersion: 5, clientId: `downgrade-pub-${published}${subscribed}` });
        await publisher.publishAsync(topic, 'downgraded', { qos: published });
        assert.equal((await messageOn(received, topic)).packet.qos, subscribed);
      } finally {
        await pool.closeAll();
      }
    });
  }

  for (const protocolVersion of [4, 5] as const) {
    test(`qos - inbound QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP with the same packet id (MQTT ${versionName(protocolVersion)}) [MQTT-4.3.3-8]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `qos/inbound2/${protocolVersion}`;
      try {
        const subscriber = await pool.connect({ protocolVersion, clientId: `inbound2-sub-${protocolVersion}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(topic, { qos: 2 });
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId: `inbound2-pub-${protocolVersion}` });
        wire.send({ cmd: 'publish', topic, payload: Buffer.from('exactly once'), qos: 2, dup: false, retain: false, messageId: 42 });
        const pubrec = await wire.receive('pubrec');
        assert.equal(pubrec.messageId, 42);
        wire.send({ cmd: 'pubrel', messageId: 42 });
        const pubcomp = await wire.receive('pubcomp');
        assert.equal(pubcomp.messageId, 42);
        assert.equal(pubcomp.reasonCode ?? 0, 0);
        assert.equal((await messageOn(received, topic)).payload, 'exactly once');
      } finally {
        await pool.closeAll();
      }
    });

    test(`qos - outbound QoS 2: broker PUBLISH, client PUBREC, broker PUBREL, client PUBCOMP (MQTT ${versionName(protocolVersion)}) [MQTT-4.3.3-3]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `qos/outbound2/${protocolVersion}`;
      const clientId = `outbound2-sub-${protocolVersion}`;
      try {
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId });
        assert.deepEqual(await subscribeWire(wire, topic, 2), [2]);
        const publisher = await pool.connect({ protocolVersion, clientId: `outbound2-pub-${protocolVersion}` });
        await publisher.publishAsync(topic, 'two steps', { qos: 2 });
        const publish = await wire.receive('publish');
        assert.equal(publish.qos, 2);
        assert.equal(publish.dup, false);
        assert.equal(publish.payload.toString(), 'two steps');
        wire.send({ cmd: 'pubrec', messageId: publish.messageId });
        const pubrel = await wire.receive('pubrel');
        assert.equal(pubrel.messageId, publish.messageId);
        const session = server.broker.registry.get(clientId)!;
        assert.equal(session.inflightCount, 1, 'awaiting PUBCOMP');
        wire.send({ cmd: 'pubcomp', messageId: publish.messageId });
        await waitFor(() => session.inflightCount === 0, 'the delivery to complete');
      } finally {
        await pool.closeAll();
      }
    });

    test(`qos - a QoS 2 PUBLISH resent before PUBREL is delivered once (MQTT ${versionName(protocolVersion)}) [MQTT-4.3.3-10]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `qos/once/${protocolVersion}`;
      try {
        const subscriber = await pool.connect({ protocolVersion, clientId: `once-sub-${protocolVersion}` });
        const received = record(subscriber);
        await subscriber.subscribeAsync(`${topic}/#`, { qos: 2 });
        const wire = await pool.raw(server.port, protocolVersion);
        await wire.connect({ clientId: `once-pub-${protocolVersion}` });
        const publish = { cmd: 'publish', topic: `${topic}/m`, payload: Buffer.from('once'), qos: 2, retain: false, messageId: 7 } as const;
        wire.send({ ...publish, dup: false });
        assert.equal((await wire.receive('pubrec')).messageId, 7);
        wire.send({ ...publish, dup: true });
        assert.equal((await wire.receive('pubrec')).messageId, 7);
        wire.send({ cmd: 'pubrel', messageId: 7 });
        assert.equal((await wire.receive('pubcomp')).messageId, 7);
        // A marker on the same path: once it arrives, any duplicate would have arrived before it.
        wire.send({ cmd: 'publish', topic: `${topic}/marker`, payload: Buffer.from('marker'), qos: 1, dup: false, retain: false, messageId: 8 });
        await messageOn(received, `${topic}/marker`);
        assert.equal(received.filter((m) => m.topic === `${topic}/m`).length, 1);
      } finally {
        await pool.closeAll();
      }
    });

    test(`qos - an unacknowledged QoS 1 message is resent with DUP after reconnect (MQTT ${versionName(protocolVersion)}) [MQTT-4.4.0-1] [MQTT-3.3.1-1]`, async () => {
      const pool = new ClientPool(server.url);
      const topic = `qos/dup/${protocolVersion}`;
      const clientId = `dup-sub-${protocolVersion}`;
      const properties = protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined;
      try {
        const first = await pool.raw(server.port, protocolVersion);
        await first.connect({ clientId, clean: false, properties });
        await subscribeWire(first, topic, 1);
        const publisher = await pool.connect({ protocolVersion, clientId: `dup-pub-${protocolVersion}` });
        await publisher.publishAsync(topic, 'resend me', { qos: 1 });
        const original = await first.receive('publish');
        assert.equal(original.dup, false);
        first.destroy(); // no PUBACK

        await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to notice the lost connection');
        const second = await pool.raw(server.port, protocolVersion);
        const connack = await second.connect({ clientId, clean: false, properties });
        assert.equal(connack.sessionPresent, true);
        const resent = await second.receive('publish');
        assert.equal(resent.dup, true);
        assert.equal(resent.messageId, original.messageId);
        assert.equal(resent.payload.toString(), 'resend me');
        second.send({ cmd: 'puback', messageId: resent.messageId });
        const session = server.broker.registry.get(clientId)!;
        await waitFor(() => session.inflightCount === 0, 'the PUBACK to complete the delivery');
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('qos - a PUBREL owed before disconnection is resent after reconnect [MQTT-4.4.0-1]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'qos/pubrel-resend';
    const clientId = 'pubrel-resend-sub';
    try {
      const first = await pool.raw(server.port, 5);
      await first.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      await subscribeWire(first, topic, 2);
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'pubrel-resend-pub' });
      await publisher.publishAsync(topic, 'half way', { qos: 2 });
      const publish = await first.receive('publish');
      first.send({ cmd: 'pubrec', messageId: publish.messageId });
      await first.receive('pubrel');
      first.destroy(); // no PUBCOMP

      await waitFor(() => !server.broker.registry.isConnected(clientId), 'the broker to notice the lost connection');
      const second = await pool.raw(server.port, 5);
      await second.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 60 } });
      const pubrel = await second.receive('pubrel');
      assert.equal(pubrel.messageId, publish.messageId);
      assert.equal(second.pending('publish').length, 0, 'the PUBLISH itself is not sent again');
    } finally {
      await pool.closeAll();
    }
  });

  test('qos - a subscriber with Receive Maximum 2 has at most 2 unacknowledged messages [MQTT-3.3.4-9]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'qos/receive-maximum';
    const clientId = 'receive-maximum-sub';
    try {
      const wire = await pool.raw(server.port, 5);
      await wire.connect({ clientId, properties: { receiveMaximum: 2 } });
      await subscribeWire(wire, topic, 1);
      const publisher = await pool.connect({ protocolVersion: 5, clientId: 'receive-maximum-pub' });
      for (let i = 1; i <= 5; i++) await publisher.publishAsync(topic, `m${i}`, { qos: 1 });
      // Every publish has been acknowledged to the publisher, so routing is done.
      const session = server.broker.registry.get(clientId)!;
      assert.equal(session.inflightCount, 2);
      assert.equal(session.queuedCount, 3);
      const first = await wire.receive('publish');
      const second = await wire.receive('publish');
      assert.deepEqual([first.payload.toString(), second.payload.toString()], ['m1', 'm2']);
      assert.equal(wire.pending('publish').length, 0);

      const rest: string[] = [];
      wire.send({ cmd: 'puback', messageId: first.messageId });
      for (let i = 3; i <= 5; i++) {
        const next = await wire.receive('publish');
        rest.push(next.payload.toString());
        assert.ok(session.inflightCount <= 2, `${session.inflightCount} in flight`);
        wire.send({ cmd: 'puback', messageId: next.messageId });
      }
      assert.deepEqual(rest, ['m3', 'm4', 'm5']);
    } finally {
      await pool.closeAll();
    }
  });

  test('qos - after PUBCOMP an inbound QoS 2 packet id may be reused for a new message, which is delivered [MQTT-2.2.1-3]', async () => {
    const pool = new ClientPool(server.url);
    const topic = 'qos/reuse';
    try {
      const subscriber = await pool.connect({ protocolVersion: 5, clientId: 'reuse-sub' });
      const received = record(subscriber);
      await subscriber.subscribeAsync(topic, { qos: 2 });
      const wire = await pool.raw(server.port, 5);
      await wire.connect({ clientId: 'reuse-pub' });
      for (const payload of ['first', 'second']) {
        wire.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 2, dup: false, retain: false, messageId: 9 });
        await wire.receive('pubrec');
        wire.send({ cmd: 'pubrel', messageId: 9 });
        assert.equal((await wire.receive('pubcomp')).reasonCode ?? 0, 0);
      }
      await messageOn(received, topic, 'second');
      assert.deepEqual(received.map((m) => m.payload), ['first', 'second']);
    } finally {
      await pool.closeAll();
    }
  });
});
