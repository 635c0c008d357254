// The routes about the running broker's state over real HTTP, with MQTT.js clients making it:
// /subscriptions (filters, paging), /topics, retained messages (list, one by percent-encoded topic,
// delete), /stats, /metrics, /nodes, /monitor and /monitor_current; and 503 where no broker runs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientPool, messageOn } from '../helpers/client-pool.js';
import { startManagedBroker } from '../helpers/management.js';
import { waitFor } from '../helpers/wait.js';

test('live routes - subscriptions with every filter and paging; topics with shared groups', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const alpha = await pool.connect({ clientId: 'alpha', protocolVersion: 5 });
    await alpha.subscribeAsync({ 'room/+/temp': { qos: 1 }, 'room/1/light': { qos: 0 } });
    const beta = await pool.connect({ clientId: 'beta', protocolVersion: 5 });
    await beta.subscribeAsync({ 'room/#': { qos: 2 }, '$share/workers/jobs/#': { qos: 1 } });
    const gamma = await pool.connect({ clientId: 'gamma', protocolVersion: 5 });
    await gamma.subscribeAsync({ '$share/workers/jobs/#': { qos: 0 } });

    const get = async (query: string) => (await b.call('GET', `/api/v5/subscriptions${query}`, { token })).body;
    const rows = (body: { data: Array<{ clientid: string; topic: string }> }) => body.data.map((row) => `${row.clientid} ${row.topic}`);
    const all = await get('');
    assert.deepEqual(rows(all), ['alpha room/+/temp', 'alpha room/1/light', 'beta room/#', 'beta $share/workers/jobs/#', 'gamma $share/workers/jobs/#']);
    assert.deepEqual(all.meta, { page: 1, limit: 100, count: 5, hasnext: false });
    assert.deepEqual(all.data[2], { topic: 'room/#', qos: 2, nl: 0, rap: 0, rh: 0, node: b.broker.config.nodeName, clientid: 'beta', durable: false });
    const second = await get('?page=2&limit=2');
    assert.deepEqual([rows(second), second.meta.count, second.meta.hasnext], [['beta room/#', 'beta $share/workers/jobs/#'], 5, true]);
    assert.deepEqual(rows(await get('?clientid=beta')), ['beta room/#', 'beta $share/workers/jobs/#']);
    assert.deepEqual(rows(await get('?qos=1')), ['alpha room/+/temp', 'beta $share/workers/jobs/#']);
    assert.deepEqual(rows(await get('?share_group=workers')), ['beta $share/workers/jobs/#', 'gamma $share/workers/jobs/#']);
    assert.deepEqual(rows(await get(`?topic=${encodeURIComponent('room/#')}`)), ['beta room/#']);
    assert.deepEqual(rows(await get(`?topic=${encodeURIComponent('jobs/#')}`)), []);
    assert.deepEqual(rows(await get(`?topic=${encodeURIComponent('$share/workers/jobs/#')}`)), ['beta $share/workers/jobs/#', 'gamma $share/workers/jobs/#']);
    // match_topic: the subscriptions whose filter the given filter matches
    assert.deepEqual(rows(await get(`?match_topic=${encodeURIComponent('room/1/#')}`)), ['alpha room/1/light']);
    assert.deepEqual(rows(await get(`?match_topic=${encodeURIComponent('room/#')}`)), ['alpha room/+/temp', 'alpha room/1/light', 'beta room/#']);
    const badMatch = await b.call('GET', `/api/v5/subscriptions?match_topic=${encodeURIComponent('$share/g/x')}`, { token });
    assert.deepEqual([badMatch.status, badMatch.body.code], [400, 'INVALID_PARAMETER']);
    assert.match(badMatch.body.message, /^match_topic: /);
    assert.equal((await get('?durable=true')).meta.count, 0);

    const topics = (await b.call('GET', '/api/v5/topics', { token })).body;
    assert.deepEqual(topics.data.map((row: { topic: string }) => row.topic), ['$share/workers/jobs/#', 'room/#', 'room/+/temp', 'room/1/light']);
    assert.equal(topics.meta.count, 4);
    assert.equal(topics.data[0].node, b.broker.config.nodeName);
    const one = await b.call('GET', `/api/v5/topics/${encodeURIComponent('room/+/temp')}`, { token });
    assert.deepEqual(one.body, [{ topic: 'room/+/temp', node: b.broker.config.nodeName }]);
    const missing = await b.call('GET', `/api/v5/topics/${encodeURIComponent('no/such')}`, { token });
    assert.deepEqual([missing.status, missing.body.code], [404, 'TOPIC_NOT_FOUND']);
    assert.deepEqual((await b.call('GET', `/api/v5/topics?topic=${encodeURIComponent('room/#')}`, { token })).body.meta.count, 1);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('live routes - shared_groups: each group and filter with its members in client id order, a persistent member away, filters, paging, refusals', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const worker2 = await pool.connect({ clientId: 'worker-2', protocolVersion: 5 });
    await worker2.subscribeAsync({ '$share/workers/jobs/#': { qos: 1 }, '$share/audit/jobs/#': { qos: 0 } });
    const worker1 = await pool.connect({ clientId: 'worker-1', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    await worker1.subscribeAsync({ '$share/workers/jobs/#': { qos: 2 }, '$share/workers/mail/+': { qos: 0 }, 'plain/#': { qos: 0 } });
    // worker-1 goes away; its persistent session stays a member
    await worker1.endAsync();
    await waitFor(() => b.broker.registry.liveClient('worker-1') === undefined, 'worker-1 to be away');
    const get = async (query = '') => (await b.call('GET', `/api/v5/shared_groups${query}`, { token })).body;
    const node = b.broker.config.nodeName;
    const all = await get();
    assert.deepEqual(all, {
      data: [
        { group: 'audit', topic: 'jobs/#', node, members_count: 1, members: [{ clientid: 'worker-2', qos: 0, connected: true }] },
        { group: 'workers', topic: 'jobs/#', node, members_count: 2, members: [{ clientid: 'worker-1', qos: 2, connected: false }, { clientid: 'worker-2', qos: 1, connected: true }] },
        { group: 'workers', topic: 'mail/+', node, members_count: 1, members: [{ clientid: 'worker-1', qos: 0, connected: false }] },
      ],
      meta: { page: 1, limit: 100, count: 3, hasnext: false },
    });
    const groupsOf = (body: { data: Array<{ group: string; topic: string }> }) => body.data.map((entry) => `${entry.group} ${entry.topic}`);
    assert.deepEqual(groupsOf(await get('?group=workers')), ['workers jobs/#', 'workers mail/+']);
    assert.deepEqual(groupsOf(await get('?like_group=ork')), ['workers jobs/#', 'workers mail/+']);
    assert.deepEqual(groupsOf(await get(`?topic=${encodeURIComponent('jobs/#')}`)), ['audit jobs/#', 'workers jobs/#']);
    const second = await get('?page=2&limit=2');
    assert.deepEqual([groupsOf(second), second.meta], [['workers mail/+'], { page: 2, limit: 2, count: 3, hasnext: false }]);
    const bad = await b.call('GET', `/api/v5/shared_groups?topic=${encodeURIComponent('a/#/b')}`, { token });
    assert.deepEqual([bad.status, bad.body.code], [400, 'INVALID_PARAMETER']);
    assert.equal((await b.call('GET', '/api/v5/shared_groups?node=elsewhere', { token })).status, 404);
    assert.equal((await b.call('GET', '/api/v5/shared_groups?limit=0', { token })).status, 400);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('live routes - retained messages: list (under a filter), one by percent-encoded topic with its payload in base64, delete', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const publisher = await pool.connect({ clientId: 'pub', protocolVersion: 5 });
    await publisher.publishAsync('c/1', 'retained', { qos: 1, retain: true });
    await publisher.publishAsync('c/2', 'two', { qos: 0, retain: true });
    await publisher.publishAsync('d', 'dee', { qos: 1, retain: true });
    const list = (await b.call('GET', '/api/v5/mqtt/retainer/messages', { token })).body;
    assert.deepEqual(list.data.map((message: { topic: string }) => message.topic), ['c/1', 'c/2', 'd']);
    assert.equal(list.meta.count, 3);
    const [first] = list.data;
    assert.deepEqual([first.qos, first.from_clientid, first.from_username], [1, 'pub', '']);
    assert.match(first.msgid, /^[0-9A-F]{16}$/);
    assert.ok(Date.parse(first.publish_at) <= Date.now());
    assert.equal(first.payload, undefined);
    const under = (await b.call('GET', `/api/v5/mqtt/retainer/messages?topic=${encodeURIComponent('c/#')}&limit=1&page=2`, { token })).body;
    assert.deepEqual([under.data.map((message: { topic: string }) => message.topic), under.meta.count], [['c/2'], 2]);

    const one = await b.call('GET', '/api/v5/mqtt/retainer/message/c%2F1', { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.payload, 'cmV0YWluZWQ=');
    // The topic is read as a filter, first match wins (as in EMQX)
    assert.equal((await b.call('GET', '/api/v5/mqtt/retainer/message/c%2F%23', { token })).body.topic, 'c/1');
    const none = await b.call('GET', '/api/v5/mqtt/retainer/message/c%2F%2B%2Fx', { token });
    assert.deepEqual([none.status, none.body.code, none.body.message], [404, 'NOT_FOUND', "Viewed message doesn't exist"]);

    assert.equal((await b.call('DELETE', '/api/v5/mqtt/retainer/message/c%2F1', { token })).status, 204);
    assert.equal(b.broker.core.retained.get('c/1'), undefined);
    assert.equal((await b.call('DELETE', '/api/v5/mqtt/retainer/message/c%2F1', { token })).status, 404);
    assert.equal(b.broker.metrics.value('retained.count'), 2);
    assert.equal((await b.call('DELETE', '/api/v5/mqtt/retainer/messages', { token })).status, 204);
    assert.equal(b.broker.metrics.value('retained.count'), 0);
    // A new subscriber gets nothing retained any more
    const late = await pool.connectRecording({ clientId: 'late', protocolVersion: 5 });
    await late.client.subscribeAsync('#');
    const ping = await b.call('POST', '/api/v5/publish', { token, body: { topic: 'after/clear', payload: 'live' } });
    assert.equal(ping.status, 200);
    await messageOn(late.received, 'after/clear', 'live');
    assert.deepEqual(late.received.map((message) => message.topic), ['after/clear']);
    const bad = await b.call('GET', `/api/v5/mqtt/retainer/messages?topic=${encodeURIComponent('a/#/b')}`, { token });
    assert.deepEqual([bad.status, bad.body.code], [400, 'BAD_REQUEST']);
    assert.match(bad.body.message, /^topic: /);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('live routes - stats, metrics (EMQX names), nodes; per node and aggregate forms', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const node = b.broker.config.nodeName;
    const one = await pool.connect({ clientId: 'one', protocolVersion: 5 });
    await one.subscribeAsync({ 'a/#': { qos: 1 }, '$share/g/b': { qos: 0 } });
    await pool.connect({ clientId: 'two', protocolVersion: 4 });
    await one.publishAsync('a/x', 'hello', { qos: 1 });
    // QoS 1, so that each is routed before its PUBACK resolves the publish
    await one.publishAsync('nobody/here', 'lost', { qos: 1 });
    await one.publishAsync('r', 'kept', { qos: 1, retain: true });

    const [stats] = (await b.call('GET', '/api/v5/stats', { token })).body;
    assert.equal(stats.node, node);
    const expected = {
      'connections.count': 2, 'live_connections.count': 2, 'live_connections.max': 2, 'sessions.count': 2, 'topics.count': 2,
      'subscriptions.count': 2, 'subscriptions.shared.count': 1, 'subscribers.count': 1, 'retained.count': 1,
    };
    for (const [name, value] of Object.entries(expected)) assert.equal(stats[name], value, name);
    const aggregate = (await b.call('GET', '/api/v5/stats?aggregate=true', { token })).body;
    assert.equal(aggregate.node, undefined);
    assert.equal(aggregate['sessions.count'], 2);
    assert.deepEqual((await b.call('GET', `/api/v5/nodes/${encodeURIComponent(node)}/stats`, { token })).body['topics.count'], 2);

    const metrics = (await b.call('GET', '/api/v5/metrics?aggregate=true', { token })).body;
    assert.equal(metrics['messages.qos1.received'], 3);
    assert.equal(metrics['messages.received'], 3);
    assert.equal(metrics['messages.qos1.sent'], 1);
    assert.equal(metrics['messages.dropped.no_subscribers'], 2);
    assert.equal(metrics['authentication.success'], 2);
    assert.ok(metrics['bytes.received'] > 0 && metrics['packets.received'] > 0);
    assert.equal((await b.call('GET', `/api/v5/nodes/${encodeURIComponent(node)}/metrics`, { token })).body['messages.qos1.sent'], 1);
    assert.equal((await b.call('GET', '/api/v5/nodes/other@host/metrics', { token })).status, 404);
    const [perNode] = (await b.call('GET', '/api/v5/metrics', { token })).body;
    assert.equal(perNode.node, node);
    assert.deepEqual((await b.call('GET', '/api/v5/metrics?node=elsewhere', { token })).body, []);

    const [described] = (await b.call('GET', '/api/v5/nodes', { token })).body;
    assert.deepEqual([described.node, described.node_status, described.role, described.edition, described.connections, described.live_connections], [node, 'running', 'core', 'Opensource', 2, 2]);
    assert.ok(described.uptime >= 0 && described.process_rss > 0);
    assert.match(described.memory_total, /^\d+\.\d\d[KMG]$/);
    assert.deepEqual((await b.call('GET', `/api/v5/nodes/${encodeURIComponent(node)}`, { token })).body.node, node);
    const unknown = await b.call('GET', '/api/v5/nodes/other@host', { token });
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.message], [404, 'NOT_FOUND', 'Node not found: other@host']);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('live routes - monitor with an LMDB store: store size and commit latency p50/p99 from the registry, in the samples and monitor_current', async () => {
  const b = await startManagedBroker({ durability: 'sync' });
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const monitor = b.broker.managementContext!.live!.monitor;
    monitor.sample();
    // A persistent session's QoS 1 messages are committed to the store before PUBACK
    const subscriber = await pool.connect({ clientId: 'durable-sub', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 600 } });
    await subscriber.subscribeAsync('d/#', { qos: 1 });
    const publisher = await pool.connect({ clientId: 'durable-pub', protocolVersion: 5 });
    for (let i = 0; i < 20; i++) await publisher.publishAsync('d/x', `payload ${i}`, { qos: 1 });
    const commitsNow = b.broker.metrics.value('store.commit.seconds');
    const taken = monitor.sample();
    const last = (await b.call('GET', '/api/v5/monitor', { token })).body.at(-1);
    assert.equal(last.time_stamp, taken.time);
    assert.ok(last.store_commits >= 20 && last.store_commits <= commitsNow, `commits in the interval: ${last.store_commits} (histogram count ${commitsNow})`);
    assert.equal(last.store_bytes, b.broker.metrics.value('store.size.bytes'));
    assert.ok(last.store_bytes > 0);
    // The percentiles lie within the histogram's buckets: positive, ordered, at most its highest bound (2.5 s)
    assert.ok(last.commit_latency_p50 > 0 && last.commit_latency_p50 <= last.commit_latency_p99 && last.commit_latency_p99 <= 2500, `p50 ${last.commit_latency_p50} ms, p99 ${last.commit_latency_p99} ms`);
    const current = (await b.call('GET', '/api/v5/monitor_current', { token })).body;
    assert.equal(current.store_bytes, b.broker.metrics.value('store.size.bytes'));
    assert.ok(current.commit_latency_p50 === null || current.commit_latency_p50 > 0);
    // An interval without commits has no latency (null), not a zero: two samples in one turn of the
    // event loop, so that no commit can end between them
    monitor.sample();
    const quiet = monitor.sample();
    assert.deepEqual([quiet.commits, quiet.commitLatencyP50], [0, undefined]);
    const quietShape = (await b.call('GET', '/api/v5/monitor?latest=5', { token })).body.at(-1);
    assert.deepEqual([quietShape.store_commits, quietShape.commit_latency_p50, quietShape.commit_latency_p99], [0, null, null]);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});

test('live routes - monitor: samples with deltas and drops by reason, latest, current rates and gauges, clear', async () => {
  const b = await startManagedBroker();
  const pool = new ClientPool(b.url);
  try {
    const token = await b.adminToken();
    const monitor = b.broker.managementContext!.live!.monitor;
    const client = await pool.connect({ clientId: 'm', protocolVersion: 5 });
    await client.subscribeAsync('m/#');
    monitor.sample();
    for (let i = 0; i < 5; i++) await client.publishAsync('m/x', 'payload', { qos: 1 });
    await client.publishAsync('void', 'nobody', { qos: 1 });
    const taken = monitor.sample();
    const samples = (await b.call('GET', '/api/v5/monitor', { token })).body;
    assert.equal(samples.length, 2);
    const last = samples[1];
    assert.equal(last.time_stamp, taken.time);
    assert.deepEqual(
      [last.connections, last.live_connections, last.subscriptions, last.topics, last.received, last.dropped, last.dropped_by_reason.no_subscribers, last.store_bytes, last.store_commits, last.commit_latency_p99],
      [1, 1, 1, 1, 6, 1, 1, null, 0, null],
    );
    assert.ok(last.sent >= 5 && last.bytes_received > 0 && last.bytes_sent > 0);
    for (const constant of ['validation_succeeded', 'validation_failed', 'transformation_succeeded', 'transformation_failed', 'disconnected_durable_sessions', 'subscriptions_durable']) {
      assert.equal(last[constant], 0, constant);
    }
    assert.deepEqual((await b.call('GET', `/api/v5/monitor/nodes/${encodeURIComponent(b.broker.config.nodeName)}?latest=3600`, { token })).body.length, 2);
    const current = (await b.call('GET', '/api/v5/monitor_current', { token })).body;
    assert.deepEqual([current.connections, current.live_connections, current.subscriptions, current.subscriptions_ram, current.topics, current.retained_msg_count], [1, 1, 1, 1, 1, 0]);
    assert.equal(current.node_uptime, undefined);
    const nodeCurrent = (await b.call('GET', `/api/v5/monitor_current/nodes/${encodeURIComponent(b.broker.config.nodeName)}`, { token })).body;
    assert.ok(nodeCurrent.node_uptime >= 0);
    const badLatest = await b.call('GET', '/api/v5/monitor?latest=0', { token });
    assert.deepEqual([badLatest.status, badLatest.body.code], [400, 'BAD_REQUEST']);
    assert.match(badLatest.body.message, /latest/);
    assert.equal((await b.call('DELETE', '/api/v5/monitor', { token })).status, 204);
    assert.deepEqual((await b.call('GET', '/api/v5/monitor', { token })).body, []);
  } finally {
    await pool.closeAll();
    await b.close();
  }
});
