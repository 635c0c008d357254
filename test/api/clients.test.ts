// GET /api/v5/clients over real HTTP against a few thousand real connections (the load generator's
// idle connections, from several source addresses, with usernames and protocol versions): pages in
// client id order, each exact filter with its count, several values, substrings, time ranges, sorts,
// `fields`, and the refusals naming the field.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IdleConnections } from '../../src/loadgen/idle-connections.js';
import type { ConnectFields } from '../../src/loadgen/wire.js';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';

interface Group {
  prefix: string;
  count: number;
  connect: Omit<ConnectFields, 'clientId'>;
  sources: string[];
}

const GROUPS: Group[] = [
  { prefix: 'fleet-a', count: 1200, connect: { protocolVersion: 4, keepAlive: 60, cleanStart: true, username: 'alpha' }, sources: ['127.0.0.2', '127.0.0.3'] },
  { prefix: 'fleet-b', count: 800, connect: { protocolVersion: 5, keepAlive: 30, cleanStart: true, username: 'beta' }, sources: ['127.0.0.4'] },
  { prefix: 'solo', count: 200, connect: { protocolVersion: 4, keepAlive: 90, cleanStart: true }, sources: ['127.0.0.5'] },
];
const TOTAL = GROUPS.reduce((sum, group) => sum + group.count, 0);

function idsOf(group: Group): string[] {
  const width = String(group.count).length;
  return Array.from({ length: group.count }, (_, index) => `${group.prefix}-c${String(index).padStart(width, '0')}`);
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const ALL_IDS = GROUPS.flatMap(idsOf).sort(byCodeUnit);

let b: ManagedBroker;
let token: string;
const connections: IdleConnections[] = [];
/** Between the first group's connections and the second's. */
let betweenGroups = 0;

before(async () => {
  b = await startManagedBroker();
  token = await b.adminToken();
  for (const group of GROUPS) {
    const idle = new IdleConnections({
      host: '127.0.0.1',
      port: b.port,
      connect: group.connect,
      clientIdPrefix: group.prefix,
      firstIndex: 0,
      count: group.count,
      concurrency: 32,
      sourceAddresses: group.sources,
      connectTimeoutMilliseconds: 20_000,
    });
    connections.push(idle);
    const report = await idle.openAll();
    assert.equal(report.opened, group.count, report.firstError);
    if (group === GROUPS[0]) {
      betweenGroups = Date.now();
      // The next group connects in a later millisecond than every one of this group.
      while (Date.now() <= betweenGroups) await new Promise((resolve) => setImmediate(resolve));
    }
  }
});

after(async () => {
  await Promise.all(connections.map((idle) => idle.closeAll()));
  await b.close();
});

async function list(query: string): Promise<{ data: Array<Record<string, unknown>>; meta: { page: number; limit: number; count: number; hasnext: boolean } }> {
  const answer = await b.call('GET', `/api/v5/clients${query}`, { token });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

const ids = (page: { data: Array<Record<string, unknown>> }): unknown[] => page.data.map((client) => client['clientid']);

test('clients - pages follow client id order, deep pages included, with the count on every page', async () => {
  const first = await list('?limit=100');
  assert.deepEqual(first.meta, { page: 1, limit: 100, count: TOTAL, hasnext: true });
  assert.deepEqual(ids(first), ALL_IDS.slice(0, 100));
  const deep = await list('?page=17&limit=100');
  assert.deepEqual(ids(deep), ALL_IDS.slice(1600, 1700));
  const last = await list(`?page=${TOTAL / 100}&limit=100`);
  assert.deepEqual([ids(last), last.meta.hasnext], [ALL_IDS.slice(-100), false]);
  const past = await list(`?page=${TOTAL / 100 + 1}&limit=100`);
  assert.deepEqual([past.data, past.meta.count, past.meta.hasnext], [[], TOTAL, false]);
  const descending = await list('?limit=3&order=desc');
  assert.deepEqual(ids(descending), ALL_IDS.slice(-3).reverse());
});

test('clients - exact filters from the index: username (one or several), ip_address, proto_ver, conn_state, clean_start, clientid', async () => {
  const beta = await list('?username=beta&limit=10');
  assert.equal(beta.meta.count, 800);
  assert.deepEqual(ids(beta), idsOf(GROUPS[1]!).slice(0, 10));
  assert.ok(beta.data.every((client) => client['proto_ver'] === 5 && client['keepalive'] === 30 && client['username'] === 'beta'));
  assert.equal((await list('?username=alpha&username=beta&limit=1')).meta.count, 2000);
  const address = await list('?ip_address=127.0.0.4&limit=1');
  assert.deepEqual([address.meta.count, address.data[0]!['ip_address']], [800, '127.0.0.4']);
  assert.equal((await list('?ip_address=127.0.0.2&limit=1')).meta.count, 600);
  assert.equal((await list('?proto_ver=5&limit=1')).meta.count, 800);
  assert.equal((await list('?proto_ver=4&username=alpha&limit=1')).meta.count, 1200);
  assert.equal((await list('?conn_state=connected&limit=1')).meta.count, TOTAL);
  assert.equal((await list('?conn_state=disconnected')).meta.count, 0);
  assert.equal((await list('?conn_state=idle')).meta.count, 0);
  assert.equal((await list('?clean_start=false')).meta.count, 0);
  const named = await list('?clientid=solo-c007&clientid=fleet-b-c799&clientid=nobody');
  assert.deepEqual([ids(named), named.meta.count], [['fleet-b-c799', 'solo-c007'], 2]);
});

test('clients - like_clientid and like_username are substrings; time ranges select by connection time', async () => {
  const like = await list('?like_clientid=c01&limit=1000');
  const expected = ALL_IDS.filter((id) => id.includes('c01'));
  assert.deepEqual([ids(like), like.meta.count], [expected, expected.length]);
  assert.equal((await list('?like_username=et&limit=1')).meta.count, 800);
  // like_clientid beside an exact clientid is ignored, as in EMQX
  assert.equal((await list('?clientid=solo-c001&like_clientid=zzz')).meta.count, 1);
  const later = await list(`?gte_connected_at=${betweenGroups + 1}&limit=1`);
  assert.equal(later.meta.count, 1000);
  const earlier = await list(`?lte_connected_at=${encodeURIComponent(new Date(betweenGroups).toISOString())}&limit=1`);
  assert.equal(earlier.meta.count, 1200);
  assert.equal((await list(`?gte_created_at=${betweenGroups + 1}&username=alpha`)).meta.count, 0);
});

test('clients - order_by sorts on indexed columns and on live counts; fields picks the columns', async () => {
  const byUsername = await list('?order_by=username&order=desc&limit=2');
  assert.deepEqual(ids(byUsername), idsOf(GROUPS[1]!).slice(-2).reverse());
  const byKeepAlive = await list('?order_by=keepalive&order=desc&limit=1');
  assert.equal(byKeepAlive.data[0]!['keepalive'], 90);
  const byAddress = await list('?order_by=ip_address&limit=1&page=1201');
  assert.equal(byAddress.data[0]!['ip_address'], '127.0.0.4');
  const byConnection = await list('?order_by=connected_at&order=desc&limit=1');
  assert.match(byConnection.data[0]!['clientid'] as string, /^solo-/);
  const byInflight = await list('?order_by=inflight_cnt&order=desc&limit=5');
  assert.deepEqual([ids(byInflight), byInflight.meta.count], [ALL_IDS.slice(-5).reverse(), TOTAL]);
  const narrow = await list('?fields=clientid,proto_ver&limit=2');
  assert.deepEqual(narrow.data, [
    { clientid: ALL_IDS[0], proto_ver: 4 },
    { clientid: ALL_IDS[1], proto_ver: 4 },
  ]);
});

test('clients - bad input is a 400 naming the field; another node name is a 404', async () => {
  const refusals: Array<[string, number, string, RegExp]> = [
    ['?limit=0', 400, 'BAD_REQUEST', /limit/],
    ['?limit=10001', 400, 'BAD_REQUEST', /limit/],
    ['?page=0', 400, 'BAD_REQUEST', /page/],
    ['?proto_ver=7', 400, 'BAD_REQUEST', /proto_ver/],
    ['?conn_state=asleep', 400, 'BAD_REQUEST', /conn_state: must be one of connected, idle, disconnected/],
    ['?clean_start=maybe', 400, 'BAD_REQUEST', /clean_start/],
    ['?ip_address=127.0.0.1:8080', 400, 'INVALID_PARAMETER', /ip_address/],
    ['?gte_created_at=yesterday', 400, 'INVALID_PARAMETER', /gte_created_at/],
    ['?order_by=mood', 400, 'BAD_REQUEST', /order_by/],
    ['?fields=clientid,mood', 400, 'INVALID_PARAMETER', /fields: unknown client field "mood"/],
    ['?node=elsewhere@host', 404, 'NOT_FOUND', /elsewhere@host/],
  ];
  for (const [query, status, code, message] of refusals) {
    const answer = await b.call('GET', `/api/v5/clients${query}`, { token });
    assert.equal(answer.status, status, query);
    assert.equal(answer.body.code, code, query);
    assert.match(answer.body.message, message, query);
  }
});
