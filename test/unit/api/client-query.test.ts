// The client index and its query planner against a naive reference (filter every record, sort, slice),
// for random directories, filters, orders and pages (fast-check): whichever plan runs (read by rank,
// walk the order's list, gather and sort), the page, count and hasnext are the reference's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ClientIndex, INDEXED_KEYS, queryClients, type ClientFilters, type ClientRecord, type ClientSource, type IndexedKey } from '../../../src/internal.js';
import type { ClientInfo, Session } from '../../../src/internal.js';

interface FakeClient {
  clientId: string;
  username: string | undefined;
  address: string;
  protocolVersion: 3 | 4 | 5;
  clean: boolean;
  keepAlive: number;
  connectedAt: number;
  disconnected: boolean;
}

function indexOf(clients: readonly FakeClient[]): ClientIndex {
  const sessions = new Map<string, Session>();
  const source: ClientSource = {
    sessions: () => [],
    connectedClients: () => [],
    session: (clientId) => sessions.get(clientId),
    on: () => {},
    off: () => {},
  };
  const index = new ClientIndex(source);
  for (const fake of clients) {
    const client: ClientInfo = {
      clientId: fake.clientId,
      username: fake.username,
      protocolVersion: fake.protocolVersion,
      peer: { address: fake.address, port: 1000, listener: 'tcp' },
      keepAlive: fake.keepAlive,
      clean: fake.clean,
    };
    sessions.set(fake.clientId, { disconnectedAt: fake.connectedAt + 5 } as Session);
    index.connected(client, fake.connectedAt);
    if (fake.disconnected) index.disconnected(client, fake.connectedAt + 5);
  }
  return index;
}

function value(record: ClientRecord, key: IndexedKey): string | number | boolean | undefined {
  const values: Record<IndexedKey, string | number | boolean | undefined> = {
    clientid: record.clientId,
    username: record.username,
    ip_address: record.ipAddress,
    conn_state: record.connState,
    proto_ver: record.protocolVersion,
    clean_start: record.cleanStart,
    keepalive: record.keepAlive,
    connected_at: record.connectedAt,
    created_at: record.createdAt,
  };
  return values[key];
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return (a as number) < (b as number) ? -1 : 1;
}

function reference(records: ClientRecord[], filters: ClientFilters, key: IndexedKey, descending: boolean): ClientRecord[] {
  const inRange = (time: number | undefined, range: { gte?: number; lte?: number } | undefined): boolean =>
    range === undefined || (time !== undefined && (range.gte === undefined || time >= range.gte) && (range.lte === undefined || time <= range.lte));
  return records
    .filter(
      (r) =>
        (filters.clientIds === undefined || filters.clientIds.includes(r.clientId)) &&
        (filters.usernames === undefined || (r.username !== undefined && filters.usernames.includes(r.username))) &&
        (filters.ipAddress === undefined || r.ipAddress === filters.ipAddress) &&
        (filters.connState === undefined || r.connState === filters.connState) &&
        (filters.protocolVersion === undefined || r.protocolVersion === filters.protocolVersion) &&
        (filters.cleanStart === undefined || r.cleanStart === filters.cleanStart) &&
        (filters.likeClientId === undefined || r.clientId.includes(filters.likeClientId)) &&
        (filters.likeUsername === undefined || (r.username !== undefined && r.username.includes(filters.likeUsername))) &&
        inRange(r.createdAt, filters.createdAt) &&
        inRange(r.connectedAt, filters.connectedAt),
    )
    .sort((a, b) => (descending ? -1 : 1) * (compare(value(a, key), value(b, key)) || compare(a.clientId, b.clientId)));
}

const clientArbitrary = fc.record({
  clientId: fc.stringMatching(/^[a-d]{1,4}$/),
  username: fc.option(fc.constantFrom('alice', 'bob', 'carol', 'al'), { nil: undefined }),
  address: fc.constantFrom('127.0.0.1', '10.0.0.2', '::1'),
  protocolVersion: fc.constantFrom(3 as const, 4 as const, 5 as const),
  clean: fc.boolean(),
  keepAlive: fc.constantFrom(0, 30, 60),
  connectedAt: fc.integer({ min: 1000, max: 1100 }),
  disconnected: fc.boolean(),
});

const filtersArbitrary: fc.Arbitrary<ClientFilters> = fc.record(
  {
    clientIds: fc.array(fc.stringMatching(/^[a-d]{1,3}$/), { minLength: 1, maxLength: 3 }),
    usernames: fc.array(fc.constantFrom('alice', 'bob', 'carol', 'nobody'), { minLength: 1, maxLength: 2 }),
    ipAddress: fc.constantFrom('127.0.0.1', '10.0.0.2'),
    connState: fc.constantFrom('connected' as const, 'disconnected' as const),
    protocolVersion: fc.constantFrom(3, 4, 5),
    cleanStart: fc.boolean(),
    likeClientId: fc.constantFrom('a', 'bc', 'd'),
    likeUsername: fc.constantFrom('al', 'o'),
    connectedAt: fc.record({ gte: fc.integer({ min: 1000, max: 1100 }), lte: fc.integer({ min: 1000, max: 1100 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

test('client query - every filter, order and page equals the naive reference', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(clientArbitrary, { selector: (client) => client.clientId, maxLength: 120 }),
      filtersArbitrary,
      fc.constantFrom(...INDEXED_KEYS),
      fc.boolean(),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 25 }),
      (clients, filters, key, descending, page, limit) => {
        const index = indexOf(clients);
        const all: ClientRecord[] = [];
        index.list('clientid').scan(0, index.size, false, (record) => void all.push(record));
        const expected = reference(all, filters, key, descending);
        const answer = queryClients(index, filters, { by: key, descending }, page, limit);
        const offset = (page - 1) * limit;
        assert.deepEqual(
          answer.records.map((record) => record.clientId),
          expected.slice(offset, offset + limit).map((record) => record.clientId),
        );
        assert.equal(answer.count, expected.length);
        assert.equal(answer.hasNext, offset + limit < expected.length);
      },
    ),
    { numRuns: 400 },
  );
});

test('client query - a live metric order sorts on the value read at query time, ties by client id', () => {
  const index = indexOf(['a', 'b', 'c', 'd'].map((clientId, i) => ({ clientId, username: undefined, address: '127.0.0.1', protocolVersion: 5, clean: true, keepAlive: 0, connectedAt: 1000 + i, disconnected: false })));
  const inflight: Record<string, number> = { a: 3, b: 7, c: 3, d: 0 };
  const answer = queryClients(index, {}, { by: { name: 'inflight_cnt', read: (record) => inflight[record.clientId]! }, descending: true }, 1, 3);
  assert.deepEqual(answer.records.map((record) => record.clientId), ['b', 'c', 'a']);
  assert.equal(answer.count, 4);
});

test('client index - a takeover keeps the session record; a stale disconnection of the old connection is ignored', () => {
  const sessions = new Map<string, Session>([['x', { disconnectedAt: undefined } as Session]]);
  const index = new ClientIndex({ sessions: () => [], connectedClients: () => [], session: (id) => sessions.get(id), on: () => {}, off: () => {} });
  const first: ClientInfo = { clientId: 'x', username: 'u1', protocolVersion: 5, peer: { address: '10.0.0.1', port: 1, listener: 'tcp' }, keepAlive: 10, clean: false };
  const second: ClientInfo = { ...first, username: 'u2', peer: { address: '10.0.0.2', port: 2, listener: 'tcp' } };
  index.connected(first, 100);
  index.connected(second, 200);
  index.disconnected(first, 250);
  const record = index.get('x')!;
  assert.deepEqual([record.username, record.ipAddress, record.connState, record.createdAt, record.connectedAt], ['u2', '10.0.0.2', 'connected', 100, 200]);
  assert.equal(queryClients(index, { usernames: ['u1'] }, { by: 'clientid', descending: false }, 1, 10).count, 0);
  index.disconnected(second, 300);
  assert.equal(index.get('x')!.connState, 'disconnected');
  sessions.delete('x');
  index.sessionEnded('x');
  assert.equal(index.size, 0);
});

test('client query - a live metric order picks the page by bounded selection as a full sort would', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(clientArbitrary, { selector: (client) => client.clientId, minLength: 1, maxLength: 120 }),
      fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 120, maxLength: 120 }),
      filtersArbitrary,
      fc.boolean(),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 10 }),
      (clients, values, filters, descending, page, limit) => {
        const index = indexOf(clients);
        const metric = new Map(clients.map((client, i) => [client.clientId, values[i]!]));
        const read = (record: ClientRecord): number => metric.get(record.clientId)!;
        const all: ClientRecord[] = [];
        index.list('clientid').scan(0, index.size, false, (record) => void all.push(record));
        const expected = reference(all, filters, 'clientid', false).sort((a, b) => (descending ? -1 : 1) * (read(a) - read(b) || compare(a.clientId, b.clientId)));
        const answer = queryClients(index, filters, { by: { name: 'inflight_cnt', read }, descending }, page, limit);
        const offset = (page - 1) * limit;
        assert.deepEqual(answer.records.map((record) => record.clientId), expected.slice(offset, offset + limit).map((record) => record.clientId));
        assert.equal(answer.count, expected.length);
      },
    ),
    { numRuns: 300 },
  );
});
