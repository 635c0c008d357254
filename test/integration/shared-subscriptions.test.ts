import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { collectEvents, waitFor } from '../helpers/wait.js';

type Message = [string, Buffer, mqtt.IPublishPacket];

function counter(client: mqtt.MqttClient, topic: string): { count: number; payloads: string[] } {
  const state = { count: 0, payloads: [] as string[] };
  client.on('message', (received, payload) => {
    if (received !== topic) return;
    state.count++;
    state.payloads.push(payload.toString());
  });
  return state;
}

describe('shared subscriptions', () => {
  let server: TestBroker;
  let randomServer: TestBroker;
  const clients: mqtt.MqttClient[] = [];
  const connect = async (url: string, clientId: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> => {
    const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId, reconnectPeriod: 0, ...options });
    clients.push(client);
    return client;
  };

  before(async () => {
    server = await startBroker();
    randomServer = await startBroker({ sharedSubscriptionStrategy: 'random' });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await Promise.all([server.close(), randomServer.close()]);
  });

  test('shared - round robin spreads messages evenly over the members of a group', async () => {
    const members = await Promise.all([1, 2, 3].map((n) => connect(server.url, `rr-member-${n}`)));
    const counts = members.map((member) => counter(member, 'rr/topic'));
    await Promise.all(members.map((member) => member.subscribeAsync('$share/g/rr/topic', { qos: 1 })));
    const publisher = await connect(server.url, 'rr-publisher');
    for (let i = 0; i < 30; i++) await publisher.publishAsync('rr/topic', `m${i}`, { qos: 1 });
    await waitFor(() => counts.reduce((sum, c) => sum + c.count, 0) === 30, '30 messages over the group');
    assert.deepEqual(
      counts.map((c) => c.count),
      [10, 10, 10],
    );
    const all = counts.flatMap((c) => c.payloads).sort();
    assert.equal(new Set(all).size, 30, 'each message went to exactly one member');
  });

  test("shared - strategy 'random' delivers each message to exactly one member", async () => {
    const members = await Promise.all([1, 2].map((n) => connect(randomServer.url, `random-member-${n}`)));
    const counts = members.map((member) => counter(member, 'random/topic'));
    await Promise.all(members.map((member) => member.subscribeAsync('$share/g/random/topic', { qos: 1 })));
    const publisher = await connect(randomServer.url, 'random-publisher');
    for (let i = 0; i < 40; i++) await publisher.publishAsync('random/topic', `m${i}`, { qos: 1 });
    // A marker through an ordinary subscription on the same path shows the routing of all 40 is done.
    const marker = await connect(randomServer.url, 'random-marker');
    await marker.subscribeAsync('random/done', { qos: 1 });
    const done = collectEvents<Message>(marker, 'message', 1);
    await waitFor(() => counts[0]!.count + counts[1]!.count === 40, '40 messages over the group');
    await publisher.publishAsync('random/done', 'x', { qos: 1 });
    await done;
    const all = counts.flatMap((c) => c.payloads);
    assert.equal(all.length, 40);
    assert.equal(new Set(all).size, 40, 'no message went to two members');
  });

  test('shared - two groups on the same filter each get every message, and so does an ordinary subscriber', async () => {
    const a = await connect(server.url, 'groups-a');
    const b = await connect(server.url, 'groups-b');
    const plain = await connect(server.url, 'groups-plain');
    const countA = counter(a, 'groups/t');
    const countB = counter(b, 'groups/t');
    const countPlain = counter(plain, 'groups/t');
    await a.subscribeAsync('$share/one/groups/t', { qos: 1 });
    await b.subscribeAsync('$share/two/groups/+', { qos: 1 });
    await plain.subscribeAsync('groups/t', { qos: 1 });
    const publisher = await connect(server.url, 'groups-publisher');
    for (let i = 0; i < 10; i++) await publisher.publishAsync('groups/t', `m${i}`, { qos: 1 });
    await waitFor(() => countA.count === 10 && countB.count === 10 && countPlain.count === 10, 'ten messages each');
    assert.deepEqual(countA.payloads, countPlain.payloads);
    assert.deepEqual(countB.payloads, countPlain.payloads);
  });

  test('shared - a member that unsubscribes gets no more; an MQTT 3.1.1 member takes every message', async () => {
    const leaving = await connect(server.url, 'unsub-member-5');
    const staying = await connect(server.url, 'unsub-member-4', { protocolVersion: 4 });
    const leavingGot = counter(leaving, 'unsub/t');
    const stayingGot = counter(staying, 'unsub/t');
    await leaving.subscribeAsync('$share/u/unsub/t', { qos: 1 });
    await staying.subscribeAsync('$share/u/unsub/t', { qos: 1 });
    const publisher = await connect(server.url, 'unsub-publisher');
    for (let i = 0; i < 4; i++) await publisher.publishAsync('unsub/t', `before${i}`, { qos: 1 });
    await waitFor(() => leavingGot.count + stayingGot.count === 4, 'four messages over the group');
    assert.equal(leavingGot.count, 2);
    await leaving.unsubscribeAsync('$share/u/unsub/t');
    for (let i = 0; i < 4; i++) await publisher.publishAsync('unsub/t', `after${i}`, { qos: 1 });
    await waitFor(() => stayingGot.count === 6, 'the four later messages at the remaining member');
    assert.equal(leavingGot.count, 2);
    assert.deepEqual(stayingGot.payloads.slice(2), ['after0', 'after1', 'after2', 'after3']);
  });

  test('shared - unacknowledged QoS 1 messages of a member whose session ends go to another member', async () => {
    // A raw client, so that nothing acknowledges behind the test's back.
    const { client: leaving } = await RawClient.connect(server.port, { clientId: 'leave-member', properties: { sessionExpiryInterval: 0 } });
    leaving.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/h/leave/t', qos: 1 }] });
    await leaving.expect('suback');
    const publisher = await connect(server.url, 'leave-publisher');
    await publisher.publishAsync('leave/t', 'first', { qos: 1 });
    await publisher.publishAsync('leave/t', 'second', { qos: 1 });
    const first = await leaving.expect('publish');
    const second = await leaving.expect('publish');
    assert.deepEqual([String(first.payload), String(second.payload)], ['first', 'second']);

    const staying = await connect(server.url, 'stay-member');
    const stayingGot = counter(staying, 'leave/t');
    await staying.subscribeAsync('$share/h/leave/t', { qos: 1 });
    // Destroy the socket without DISCONNECT and without acking: session expiry 0 ends the session.
    leaving.destroy();
    await waitFor(() => stayingGot.count === 2, 'the unacknowledged messages at the other member');
    assert.deepEqual(stayingGot.payloads.sort(), ['first', 'second']);
  });

  test('shared - a shared subscription gets no retained messages and an ordinary one does', async () => {
    const publisher = await connect(server.url, 'retained-publisher');
    await publisher.publishAsync('shared-retained/t', 'kept', { qos: 1, retain: true });
    const member = await connect(server.url, 'retained-member');
    const memberGot = counter(member, 'shared-retained/t');
    await member.subscribeAsync('$share/g/shared-retained/t', { qos: 1 });
    const plain = await connect(server.url, 'retained-plain');
    const plainGot = collectEvents<Message>(plain, 'message', 1);
    await plain.subscribeAsync('shared-retained/t', { qos: 1 });
    const [[, payload, packet]] = (await plainGot) as [Message];
    assert.equal(payload.toString(), 'kept');
    assert.equal(packet.retain, true);
    // Marker on the same path: a live message after the subscribe arrives; the retained one never did.
    await publisher.publishAsync('shared-retained/t', 'live', { qos: 1 });
    await waitFor(() => memberGot.count >= 1, 'the live message at the member');
    assert.deepEqual(memberGot.payloads, ['live']);
    await publisher.publishAsync('shared-retained/t', '', { qos: 1, retain: true });
  });
});
