// One behavioural suite every Store implementation must pass (aedes-persistence `abstract` style).
// `make(dir)` builds an unopened store over a fresh temporary directory; with `reopen`, reading
// back goes through close + a new store over the same directory, otherwise through open() again.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OwedDelivery, Store, StoredDelivery, StoredMessage, StoredSession, StoredState } from '../../src/internal.js';
import { ByteWriter } from '../../src/internal.js';
import { writeDeliveries } from '../../src/internal.js';

/** The node the suite opens stores for. */
export const NODE = 'starling@conformance';

export class StoreHarness {
  store!: Store;
  dir = '';
  constructor(
    private readonly make: (dir: string) => Promise<Store>,
    private readonly reopen: boolean,
  ) {}

  async start(): Promise<StoredState> {
    this.dir = await mkdtemp(join(tmpdir(), 'starling-store-'));
    this.store = await this.make(this.dir);
    return this.store.open(NODE);
  }

  /** What a restarted broker would read. */
  async reload(): Promise<StoredState> {
    if (!this.reopen) return this.store.open(NODE);
    await this.store.flushed();
    await this.store.close();
    this.store = await this.make(this.dir);
    return this.store.open(NODE);
  }

  async stop(): Promise<void> {
    await this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function session(clientId: string, overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    clientId,
    protocolVersion: 5,
    username: undefined,
    expiryInterval: 3600,
    disconnectedAt: undefined,
    subscriptions: [
      { topicFilter: 'a/+', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0, subscriptionIdentifier: 7 },
      { topicFilter: 'b/#', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 2, subscriptionIdentifier: undefined },
    ],
    pendingWill: undefined,
    ...overrides,
  };
}

export function delivery(sequence: number, messageId: number, overrides: Partial<StoredDelivery> = {}): StoredDelivery {
  return {
    sequence,
    messageId,
    qos: 1,
    retain: false,
    subscriptionIdentifiers: undefined,
    sharedGroup: undefined,
    packetId: 0,
    sent: false,
    released: false,
    ...overrides,
  };
}

export function owed(clientId: string, sequence: number, messageId: number, overrides: Partial<StoredDelivery> = {}): OwedDelivery {
  return { clientId, ...delivery(sequence, messageId, overrides) };
}

/** Saves a message with deliveries inside its record, given as deliveries with their client ids. */
function saveOwed(store: Store, messageId: number, saved: StoredMessage, deliveries: OwedDelivery[]): void {
  store.messages.saveMessage(messageId, saved, deliveries.map((owedDelivery) => owedDelivery.clientId), deliveries);
}

/** Deliveries in the delivery codec's form without a count, as a format 2 message record holds them. */
export function encodeDeliveries(clientIds: readonly string[], deliveries: readonly StoredDelivery[]): Buffer {
  const writer = new ByteWriter(1024);
  writeDeliveries(writer, clientIds, deliveries);
  return Buffer.from(writer.bytes());
}

export function message(topic: string, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    topic,
    payload: Buffer.from(`payload of ${topic}`),
    qos: 1,
    retain: false,
    properties: {},
    from: 'publisher',
    receivedAt: 1_700_000_000_000,
    expiresAt: undefined,
    ...overrides,
  };
}

/** A message using every kind of value a property can hold. */
export function richMessage(topic: string): StoredMessage {
  return message(topic, {
    payload: Buffer.from([0, 1, 2, 255, 254, 0]),
    qos: 2,
    retain: true,
    from: undefined,
    expiresAt: 1_700_000_060_000,
    properties: {
      payloadFormatIndicator: 1,
      messageExpiryInterval: 60,
      contentType: 'application/json; charset=utf-8 ✓',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([9, 8, 7, 0, 255]),
      subscriptionIdentifiers: [1, 268_435_455],
      userProperties: [
        ['k', 'v'],
        ['k', 'second value for the same name'],
        ['', ''],
      ],
    },
  });
}

function sequences(state: StoredState, clientId: string): number[] {
  return (state.deliveries.get(clientId) ?? []).map((d) => d.sequence);
}

export function storeConformance(name: string, make: (dir: string) => Promise<Store>, reopen: boolean): void {
  describe(`${name} store conformance`, () => {
    const withStore = (title: string, body: (h: StoreHarness, initial: StoredState) => Promise<void>): void => {
      test(title, async () => {
        const harness = new StoreHarness(make, reopen);
        const initial = await harness.start();
        try {
          await body(harness, initial);
        } finally {
          await harness.stop();
        }
      });
    };

    withStore('a new store opens empty', async (_h, initial) => {
      assert.deepEqual(initial.sessions, []);
      assert.equal(initial.deliveries.size, 0);
      assert.equal(initial.messages.size, 0);
      assert.equal(initial.incomingQos2.size, 0);
      assert.deepEqual(initial.retained, []);
      assert.equal(initial.lastMessageId, 0);
      assert.equal(initial.lastSequence, 0);
      assert.equal(initial.nodeName, NODE, 'the ids reported are those of the node opened for');
    });

    withStore('sessions are saved, overwritten and deleted', async (h) => {
      const will = { topic: 'will/t', payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: 30 } };
      h.store.sessions.save(session('c1'));
      h.store.sessions.save(session('c2', { username: 'u2', disconnectedAt: 1_700_000_000_123, pendingWill: will }));
      h.store.sessions.save(session('c3'));
      h.store.sessions.save(session('c1', { expiryInterval: 0xffffffff, subscriptions: [] }));
      h.store.sessions.delete('c3');
      const state = await h.reload();
      const byId = new Map(state.sessions.map((s) => [s.clientId, s]));
      assert.deepEqual([...byId.keys()].sort(), ['c1', 'c2']);
      assert.deepEqual(byId.get('c1'), session('c1', { expiryInterval: 0xffffffff, subscriptions: [] }));
      assert.deepEqual(byId.get('c2'), session('c2', { username: 'u2', disconnectedAt: 1_700_000_000_123, pendingWill: will }));
      assert.ok(Buffer.isBuffer(byId.get('c2')?.pendingWill?.payload), 'will payload comes back as a Buffer');
    });

    withStore('a session saved and then changed by its caller keeps the saved contents', async (h) => {
      const saved = session('c1');
      h.store.sessions.save(saved);
      saved.subscriptions.push({ topicFilter: 'late', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionIdentifier: undefined });
      const state = await h.reload();
      assert.deepEqual(state.sessions[0]?.subscriptions.map((s) => s.topicFilter), ['a/+', 'b/#']);
    });

    withStore('deleting a session removes its deliveries and inbound QoS 2 ids, not those of other clients', async (h) => {
      h.store.messages.saveMessage(1, message('t/1'), [], []);
      for (const clientId of ['c1', 'c10', 'c']) {
        h.store.sessions.save(session(clientId));
        h.store.messages.saveDelivery(clientId, delivery(clientId.length, 1));
        h.store.messages.addIncomingQos2(clientId, 5);
      }
      await h.store.flushed();
      h.store.sessions.delete('c1');
      const state = await h.reload();
      assert.deepEqual(state.sessions.map((s) => s.clientId).sort(), ['c', 'c10']);
      assert.deepEqual([...state.deliveries.keys()].sort(), ['c', 'c10']);
      assert.deepEqual([...state.incomingQos2.keys()].sort(), ['c', 'c10']);
    });

    withStore('writes of one turn apply in call order around a session delete', async (h) => {
      h.store.messages.saveMessage(1, message('t/1'), [], []);
      h.store.sessions.save(session('before'));
      h.store.messages.saveDelivery('before', delivery(1, 1));
      h.store.sessions.delete('before');
      h.store.sessions.delete('after');
      h.store.sessions.save(session('after'));
      h.store.messages.saveDelivery('after', delivery(2, 1));
      h.store.messages.addIncomingQos2('after', 9);
      const state = await h.reload();
      assert.deepEqual(state.sessions.map((s) => s.clientId), ['after']);
      assert.deepEqual([...state.deliveries.keys()], ['after']);
      assert.deepEqual(state.incomingQos2.get('after'), [9]);
    });

    withStore('loadSession - an unknown client id loads undefined, even with records of its own', async (h) => {
      assert.equal(await h.store.sessions.loadSession('nobody'), undefined);
      h.store.messages.addIncomingQos2('nobody', 1);
      h.store.messages.saveMessage(1, message('t/1'), ['nobody'], [delivery(1, 1)]);
      assert.equal(await h.store.sessions.loadSession('nobody'), undefined);
    });

    withStore('loadSession - a session comes back with its owed deliveries in order, their messages and its inbound QoS 2 ids', async (h) => {
      h.store.sessions.save(session('c', { username: 'u', disconnectedAt: 1_700_000_000_500 }));
      h.store.sessions.save(session('other'));
      saveOwed(h.store, 1, richMessage('t/1'), [owed('c', 1, 1), owed('other', 2, 1)]);
      saveOwed(h.store, 2, message('t/2'), [owed('other', 3, 2), owed('c', 4, 2, { qos: 2 })]);
      h.store.messages.saveMessage(3, message('t/3'), [], []);
      h.store.messages.saveDelivery('c', delivery(5, 3, { packetId: 7, sent: true })); // saved apart
      h.store.messages.saveDelivery('c', delivery(4, 2, { qos: 2, packetId: 8, sent: true, released: true })); // a later state
      saveOwed(h.store, 4, message('t/4'), [owed('c', 6, 4)]);
      h.store.messages.deleteMessage(4); // ended with its message
      saveOwed(h.store, 5, message('t/5'), [owed('c', 7, 5), owed('other', 8, 5)]);
      h.store.messages.deleteDelivery('c', 7, 5); // ended; the message stays for the other
      h.store.messages.addIncomingQos2('c', 300);
      h.store.messages.addIncomingQos2('c', 2);
      h.store.messages.addIncomingQos2('other', 9);
      const expected = {
        session: session('c', { username: 'u', disconnectedAt: 1_700_000_000_500 }),
        deliveries: [
          { delivery: delivery(1, 1), message: richMessage('t/1') },
          { delivery: delivery(4, 2, { qos: 2, packetId: 8, sent: true, released: true }), message: message('t/2') },
          { delivery: delivery(5, 3, { packetId: 7, sent: true }), message: message('t/3') },
        ],
        incomingQos2: [2, 300],
      };
      assert.deepEqual(await h.store.sessions.loadSession('c'), expected, 'in the turn of the writes');
      await h.reload();
      const loaded = await h.store.sessions.loadSession('c');
      assert.deepEqual(loaded, expected, 'after a reload');
      assert.ok(Buffer.isBuffer(loaded?.deliveries[0]?.message.properties.correlationData), 'binary properties are Buffers');
      assert.deepEqual((await h.store.sessions.loadSession('other'))?.deliveries.map(({ delivery: owedDelivery }) => owedDelivery.sequence), [2, 3, 8]);
    });

    withStore('loadSession - a deleted session loads undefined, and a new one under its client id only what is its own', async (h) => {
      h.store.sessions.save(session('c'));
      saveOwed(h.store, 1, message('t/1'), [owed('c', 1, 1), owed('d', 2, 1)]);
      h.store.messages.saveDelivery('c', delivery(3, 1));
      h.store.messages.addIncomingQos2('c', 5);
      await h.store.flushed();
      h.store.sessions.delete('c');
      h.store.messages.deleteDelivery('c', 1, 1); // ended after the delete, as SessionPersistence does
      assert.equal(await h.store.sessions.loadSession('c'), undefined);
      await h.reload();
      assert.equal(await h.store.sessions.loadSession('c'), undefined, 'after a reload');
      h.store.sessions.save(session('c', { expiryInterval: 10 }));
      const fresh = { session: session('c', { expiryInterval: 10 }), deliveries: [], incomingQos2: [] };
      assert.deepEqual(await h.store.sessions.loadSession('c'), fresh);
      await h.reload();
      assert.deepEqual(await h.store.sessions.loadSession('c'), fresh, 'after a reload');
    });

    withStore('deliveries come back per client in sequence order; updates overwrite, deletes remove', async (h) => {
      h.store.messages.saveMessage(1, message('t/1'), [], []);
      h.store.messages.saveMessage(2, message('t/2'), [], []);
      for (const sequence of [50, 3, 1000, 7]) h.store.messages.saveDelivery('a', delivery(sequence, 1));
      for (const sequence of [8, 2]) h.store.messages.saveDelivery('b', delivery(sequence, 2, { qos: 2 }));
      h.store.messages.saveDelivery('a', delivery(7, 1, { packetId: 42, sent: true }));
      h.store.messages.saveDelivery('b', delivery(8, 2, { qos: 2, packetId: 43, sent: true, released: true, retain: true, subscriptionIdentifiers: [3, 4], sharedGroup: 'g' }));
      h.store.messages.deleteDelivery('a', 50, 1);
      const state = await h.reload();
      assert.deepEqual(sequences(state, 'a'), [3, 7, 1000]);
      assert.deepEqual(sequences(state, 'b'), [2, 8]);
      assert.deepEqual(state.deliveries.get('a')?.[1], delivery(7, 1, { packetId: 42, sent: true }));
      assert.deepEqual(
        state.deliveries.get('b')?.[1],
        delivery(8, 2, { qos: 2, packetId: 43, sent: true, released: true, retain: true, subscriptionIdentifiers: [3, 4], sharedGroup: 'g' }),
      );
      assert.equal(state.lastSequence, 1000);
    });

    withStore('deliveries saved with their message come back per client, in sequence order with those saved apart', async (h) => {
      h.store.sessions.save(session('c1'));
      h.store.sessions.save(session('c2'));
      saveOwed(h.store, 1, message('t/1'), [owed('c1', 1, 1), owed('c2', 2, 1, { qos: 2, packetId: 5, sent: true })]);
      h.store.messages.saveDelivery('c1', delivery(3, 1)); // a later delivery of the same message, saved apart
      const every = { qos: 2, retain: true, subscriptionIdentifiers: [3, 268_435_455], sharedGroup: 'grüppe/a/+', packetId: 65535, sent: true, released: true } as const;
      saveOwed(h.store, 2, message('t/2'), [owed('c1', 4, 2), owed('c2', 5, 2), owed('ü ✓', 6, 2, { ...every, subscriptionIdentifiers: [3, 268_435_455] })]);
      const state = await h.reload();
      assert.deepEqual(state.deliveries.get('ü ✓'), [delivery(6, 2, { ...every, subscriptionIdentifiers: [3, 268_435_455] })], 'every field comes back');
      assert.deepEqual(sequences(state, 'c1'), [1, 3, 4]);
      assert.deepEqual(sequences(state, 'c2'), [2, 5]);
      assert.deepEqual(state.deliveries.get('c2')?.[0], delivery(2, 1, { qos: 2, packetId: 5, sent: true }));
      assert.deepEqual([...state.messages.keys()].sort(), [1, 2]);
      assert.ok(state.lastSequence >= 5);
      assert.equal(state.lastMessageId, 2);
    });

    withStore('a delivery saved with its message takes later states, and ends while the message stays for the others', async (h) => {
      saveOwed(h.store, 1, message('t/1'), [owed('a', 1, 1), owed('b', 2, 1), owed('c', 3, 1)]);
      await h.store.flushed();
      h.store.messages.saveDelivery('a', delivery(1, 1, { packetId: 9, sent: true }));
      h.store.messages.deleteDelivery('b', 2, 1);
      let state = await h.reload();
      assert.deepEqual(state.deliveries.get('a'), [delivery(1, 1, { packetId: 9, sent: true })]);
      assert.equal(state.deliveries.has('b'), false, 'the ended delivery stays ended');
      assert.deepEqual(sequences(state, 'c'), [3]);
      assert.deepEqual([...state.messages.keys()], [1]);
      // The last delivery ends with the message: the store removes every delivery of it (those written
      // apart, and after a reopen those reported at open) without being told which.
      h.store.messages.deleteMessage(1);
      state = await h.reload();
      assert.equal(state.deliveries.size, 0);
      assert.equal(state.messages.size, 0);
    });

    withStore('deleting a message removes every delivery of it: saved with it, saved or ended apart, before and after a reload', async (h) => {
      saveOwed(h.store, 1, message('t/1'), [owed('a', 1, 1), owed('b', 2, 1), owed('c', 3, 1)]);
      saveOwed(h.store, 2, message('t/2'), [owed('a', 4, 2)]);
      h.store.messages.saveDelivery('a', delivery(1, 1, { packetId: 3, sent: true })); // a later state, apart
      h.store.messages.saveDelivery('d', delivery(5, 1)); // a later delivery, apart
      h.store.messages.deleteDelivery('b', 2, 1); // ended, the message stays for the others
      await h.reload(); // the store now knows these from what it reads at open
      h.store.messages.saveDelivery('c', delivery(3, 1, { packetId: 4, sent: true })); // and one written since
      h.store.messages.saveDelivery('e', delivery(6, 1));
      h.store.messages.deleteMessage(1);
      let state = await h.reload();
      assert.deepEqual([...state.messages.keys()], [2]);
      assert.deepEqual([...state.deliveries.keys()], ['a']);
      assert.deepEqual(sequences(state, 'a'), [4]);
      h.store.messages.deleteMessage(2);
      state = await h.reload();
      assert.equal(state.messages.size, 0);
      assert.equal(state.deliveries.size, 0);
    });

    withStore('deleting a session: its deliveries inside message records others need are ended after it, and stay ended', async (h) => {
      h.store.sessions.save(session('gone'));
      h.store.sessions.save(session('stays'));
      saveOwed(h.store, 1, message('t/1'), [owed('gone', 1, 1), owed('stays', 2, 1)]);
      saveOwed(h.store, 2, message('t/2'), [owed('gone', 3, 2), owed('stays', 4, 2)]);
      await h.store.flushed();
      h.store.messages.deleteDelivery('gone', 1, 1); // acknowledged before the session went
      await h.store.flushed();
      h.store.sessions.delete('gone');
      h.store.messages.deleteDelivery('gone', 3, 2);
      h.store.sessions.save(session('gone')); // a new session under the same client id
      saveOwed(h.store, 3, message('t/3'), [owed('gone', 5, 3)]);
      const state = await h.reload();
      assert.deepEqual(sequences(state, 'gone'), [5], 'nothing of the old session comes back');
      assert.deepEqual(sequences(state, 'stays'), [2, 4]);
    });

    withStore('messages with every property type round-trip exactly', async (h) => {
      const rich = richMessage('rich/topic');
      const plain = message('plain', { payload: Buffer.alloc(0) });
      h.store.messages.saveMessage(10, rich, [], []);
      h.store.messages.saveMessage(11, plain, [], []);
      h.store.messages.saveDelivery('c', delivery(1, 10, { qos: 2 }));
      h.store.messages.saveDelivery('c', delivery(2, 11));
      const state = await h.reload();
      assert.deepEqual(state.messages.get(10), richMessage('rich/topic'));
      assert.deepEqual(state.messages.get(11), message('plain', { payload: Buffer.alloc(0) }));
      const loaded = state.messages.get(10);
      assert.ok(Buffer.isBuffer(loaded?.payload), 'payload is a Buffer');
      assert.ok(Buffer.isBuffer(loaded?.properties.correlationData), 'correlation data is a Buffer');
      assert.ok(Buffer.isBuffer(state.messages.get(11)?.payload), 'empty payload is a Buffer');
      assert.equal(state.lastMessageId, 11);
    });

    withStore('only messages some delivery refers to are loaded; orphans are gone', async (h) => {
      h.store.messages.saveMessage(1, message('kept'), [], []);
      h.store.messages.saveMessage(2, message('orphan'), [], []);
      h.store.messages.saveMessage(3, message('deleted'), [], []);
      h.store.messages.saveDelivery('c', delivery(1, 1));
      h.store.messages.deleteMessage(3);
      const state = await h.reload();
      assert.deepEqual([...state.messages.keys()], [1]);
      assert.equal(state.messages.get(1)?.topic, 'kept');
    });

    withStore('inbound QoS 2 ids are added and deleted per client', async (h) => {
      h.store.messages.addIncomingQos2('c', 300);
      h.store.messages.addIncomingQos2('c', 2);
      h.store.messages.addIncomingQos2('c', 65535);
      h.store.messages.addIncomingQos2('d', 1);
      h.store.messages.deleteIncomingQos2('c', 300);
      h.store.messages.deleteIncomingQos2('d', 1);
      const state = await h.reload();
      assert.deepEqual(state.incomingQos2.get('c'), [2, 65535]);
      assert.equal(state.incomingQos2.has('d'), false);
    });

    withStore('retained messages are saved, replaced and deleted by topic', async (h) => {
      h.store.retained.save(message('r/1', { retain: true }));
      h.store.retained.save(message('r/2', { retain: true }));
      h.store.retained.save(richMessage('r/3'));
      h.store.retained.save(message('r/1', { retain: true, payload: Buffer.from('replaced') }));
      h.store.retained.delete('r/2');
      const state = await h.reload();
      const byTopic = new Map(state.retained.map((m) => [m.topic, m]));
      assert.deepEqual([...byTopic.keys()].sort(), ['r/1', 'r/3']);
      assert.deepEqual(byTopic.get('r/1'), message('r/1', { retain: true, payload: Buffer.from('replaced') }));
      assert.deepEqual(byTopic.get('r/3'), richMessage('r/3'));
    });

    withStore('message ids and sequences continue after their records are deleted', async (h) => {
      h.store.messages.saveMessage(41, message('t'), [], []);
      h.store.messages.saveDelivery('c', delivery(99, 41));
      await h.store.flushed();
      h.store.messages.deleteMessage(41);
      const state = await h.reload();
      assert.equal(state.lastMessageId, 41);
      assert.equal(state.lastSequence, 99);
      assert.equal(state.deliveries.size, 0);
    });

    withStore('records - saved records are read back by kind and key, listed in key order', async (h) => {
      h.store.records.save('user', 'bob', { username: 'bob', superuser: false });
      h.store.records.save('user', 'alice', { username: 'alice', superuser: true, tags: ['a', 'b'] });
      h.store.records.save('acl', 'alice', { rules: [1, 2] });
      h.store.records.save('ban', 'client:x', { until: 5 });
      await h.store.flushed();
      await h.reload();
      assert.deepEqual(h.store.records.get('user', 'alice'), { username: 'alice', superuser: true, tags: ['a', 'b'] });
      assert.deepEqual(h.store.records.get('acl', 'alice'), { rules: [1, 2] });
      assert.equal(h.store.records.get('user', 'carol'), undefined);
      assert.equal(h.store.records.get('ban', 'alice'), undefined);
      assert.deepEqual(h.store.records.list('user'), [
        ['alice', { username: 'alice', superuser: true, tags: ['a', 'b'] }],
        ['bob', { username: 'bob', superuser: false }],
      ]);
      assert.deepEqual(h.store.records.list('ban'), [['client:x', { until: 5 }]]);
    });

    withStore('records - a save replaces, a delete removes only its own record, an empty kind lists nothing', async (h) => {
      assert.deepEqual(h.store.records.list('acl'), []);
      h.store.records.save('user', 'u', { version: 1 });
      h.store.records.save('acl', 'u', { version: 1 });
      h.store.records.save('user', 'u', { version: 2 });
      h.store.records.save('user', 'v', { version: 1 });
      h.store.records.delete('user', 'v');
      h.store.records.delete('user', 'never-saved');
      await h.store.flushed();
      await h.reload();
      assert.deepEqual(h.store.records.list('user'), [['u', { version: 2 }]]);
      assert.deepEqual(h.store.records.get('acl', 'u'), { version: 1 });
    });

    withStore('records - changing an object after saving it does not change the record', async (h) => {
      const value = { username: 'u', superuser: false };
      h.store.records.save('user', 'u', value);
      value.superuser = true;
      await h.store.flushed();
      assert.deepEqual(h.store.records.get('user', 'u'), { username: 'u', superuser: false });
    });

    withStore('records - keys with slashes, colons and non-ASCII stay apart', async (h) => {
      const keys = ['a', 'a/b', 'a:b', 'ä', 'a b', ''];
      for (const key of keys) h.store.records.save('ban', key, { key });
      await h.store.flushed();
      await h.reload();
      for (const key of keys) assert.deepEqual(h.store.records.get('ban', key), { key });
      assert.deepEqual(h.store.records.list('ban').map(([key]) => key).sort(), [...keys].sort());
    });

    if (reopen) {
      withStore('everything flushed is there after close and reopen, twice', async (h) => {
        h.store.sessions.save(session('c'));
        h.store.messages.saveMessage(1, richMessage('t'), [], []);
        h.store.messages.saveDelivery('c', delivery(1, 1));
        h.store.messages.addIncomingQos2('c', 4);
        h.store.retained.save(richMessage('r'));
        await h.store.flushed();
        const first = await h.reload();
        h.store.messages.saveMessage(first.lastMessageId + 1, message('t2'), [], []);
        h.store.messages.saveDelivery('c', delivery(first.lastSequence + 1, first.lastMessageId + 1));
        const second = await h.reload();
        assert.deepEqual(second.sessions, [session('c')]);
        assert.deepEqual(sequences(second, 'c'), [1, 2]);
        assert.deepEqual([...second.messages.keys()].sort(), [1, 2]);
        assert.deepEqual(second.incomingQos2.get('c'), [4]);
        assert.deepEqual(second.retained, [richMessage('r')]);
        assert.equal(second.lastMessageId, 2);
        assert.equal(second.lastSequence, 2);
      });
    }
  });
}
