// The dashboard's live pages in headless Chromium against a real broker: a client connected with
// MQTT.js appears in the clients table, its page shows its session and subscriptions (and survives a
// reload, a deep link), and it is gone when kicked from the table (the client sees DISCONNECT 0x98);
// the overview's charts move while a load runs (the LMDB store's size and commit latency among them);
// a retained message published with mosquitto_pub shows on the retained page, opens as JSON, and is
// deleted from there; shared groups with their members.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { nextEvent } from '../helpers/wait.js';
import { dashboardFixture, logIn, openPage, screenshot, waitForPage } from './dashboard-helpers.js';

// durability sync: an LMDB store whose size and commit latency the overview charts
const fixture = dashboardFixture({ allowAnonymous: true, durability: 'sync' });

/** The broker's chart sampler (every 10 s on its own); tests take a sample when they need one. */
function takeSample(): void {
  const live = fixture.broker.broker.managementContext!.live!;
  live.monitor.sample();
}

test('dashboard live - an MQTT.js client shows in the clients table and on its page; kicked from the table it gets DISCONNECT 0x98 and leaves the table', async () => {
  const client = await mqtt.connectAsync(fixture.broker.url, { clientId: 'kick-me', protocolVersion: 5, keepalive: 42, username: 'alice', reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } });
  const bystander = await mqtt.connectAsync(fixture.broker.url, { clientId: 'stays-here', protocolVersion: 4, reconnectPeriod: 0 });
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await client.subscribeAsync('live/#', { qos: 1, nl: true, rh: 2 });
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/clients');
    const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'kick-me', exact: true }) });
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.deepEqual(cells.slice(0, 5), ['kick-me', 'alice', cells[2], 'MQTT 5', '42 s']);
    assert.match(cells[2]!, /^127\.0\.0\.1:\d+$/);
    await page.getByRole('link', { name: 'stays-here' }).waitFor();
    await screenshot(page, 'clients');

    // Search: the server filters; the address bar keeps the search (a reload keeps it)
    await page.getByLabel('Search').fill('kick');
    await waitForPage(page, `document.querySelectorAll('tbody tr').length === 1 && location.search.includes('q=kick')`, 'the search to narrow the table');
    await page.reload();
    await page.getByRole('link', { name: 'kick-me', exact: true }).waitFor();
    assert.equal(await page.getByLabel('Search').inputValue(), 'kick');
    assert.equal(await page.getByRole('link', { name: 'stays-here' }).count(), 0);

    // Its page: connection, session, the subscription with its options; a deep link survives a reload
    await page.getByRole('link', { name: 'kick-me', exact: true }).click();
    await page.getByRole('heading', { name: 'Client kick-me' }).waitFor();
    await page.reload();
    const subscriptions = page.getByRole('table', { name: 'Subscriptions of this client' });
    await subscriptions.getByRole('cell', { name: 'live/#', exact: true }).waitFor();
    assert.deepEqual((await subscriptions.locator('tbody tr').first().locator('td').allInnerTexts()).slice(0, 5), ['live/#', '1', 'yes', 'no', '2']);
    assert.match(await page.locator('.facts').first().innerText(), /State\s+connected[\s\S]*Username\s+alice[\s\S]*Keep-alive\s+42 s/);
    await screenshot(page, 'client');
    await page.getByRole('link', { name: 'All clients' }).click();

    // Kick from the table
    const disconnected = nextEvent<[{ reasonCode?: number }]>(client, 'disconnect', 10_000);
    await page.getByRole('button', { name: 'Kick kick-me' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /Kick client kick-me\?[\s\S]*0x98/);
    await dialog.getByRole('button', { name: 'Kick' }).click();
    const [packet] = await disconnected;
    assert.equal(packet.reasonCode, 0x98);
    await page.getByRole('link', { name: 'kick-me', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'stays-here' }).waitFor();
    assert.equal(fixture.broker.broker.registry.get('kick-me'), undefined, 'the session is discarded');
    assert.ok(fixture.broker.broker.registry.get('stays-here') !== undefined);
    assert.deepEqual(problems, []);
  } finally {
    client.end(true);
    await bystander.endAsync();
    await close();
  }
});

test('dashboard live - the overview charts move while a load runs', async () => {
  // A persistent subscriber: the QoS 1 messages owed to it are committed to the store
  const subscriber = await mqtt.connectAsync(fixture.broker.url, { clientId: 'load-sub', reconnectPeriod: 0, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
  const publisher = await mqtt.connectAsync(fixture.broker.url, { clientId: 'load-pub', reconnectPeriod: 0 });
  const { page, problems, close } = await openPage(fixture.browser);
  let loading = true;
  let stream: Promise<void> = Promise.resolve();
  try {
    await subscriber.subscribeAsync('load/#', { qos: 1 });
    takeSample();
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/');
    const messages = page.locator('figure.chart', { hasText: 'Messages per second' });
    await messages.waitFor();
    const latestIn = async (): Promise<number> => Number((await messages.locator('[data-series=in]').getAttribute('data-value')) || '0');
    assert.equal(await latestIn(), 0, 'no messages before the load');

    // The load: a steady stream until the test ends it; a sample after every 150 messages delivered
    // (the broker's own timer takes one every 10 s: too slow for a test)
    const SAMPLES = 5;
    const sampled = new Promise<void>((resolve) => {
      let count = 0;
      let taken = 0;
      subscriber.on('message', () => {
        if (++count % 150 !== 0 || taken === SAMPLES) return;
        takeSample();
        if (++taken === SAMPLES) resolve();
      });
    });
    stream = (async () => {
      for (let index = 0; loading; index++) {
        await publisher.publishAsync(`load/${index % 10}`, `message ${index}`, { qos: 1 });
      }
    })();
    await sampled;
    // The page asks every 5 s: wait for the samples to reach the chart
    await waitForPage(
      page,
      `Number(document.querySelector('figure.chart [data-series=in]')?.dataset.value || 0) > 0 && Number(document.querySelector('figure.chart[data-samples]')?.dataset.samples) >= ${SAMPLES + 1}`,
      'the samples taken under load to reach the chart',
      15_000,
    );
    const first = await latestIn();
    assert.ok(first > 0, `messages in per second: ${first}`);
    const outValue = Number((await messages.locator('[data-series=out]').getAttribute('data-value')) || '0');
    assert.ok(outValue > 0, `messages out per second: ${outValue}`);
    assert.match(await page.locator('.stat', { hasText: 'Connected clients' }).innerText(), /\b2\b/);
    const connections = page.locator('figure.chart', { hasText: 'Connections' });
    assert.equal(await connections.locator('[data-series=connected]').getAttribute('data-value'), '2');
    // The store: its size and the commit latency percentiles of the samples taken under load
    const store = page.locator('figure.chart', { hasText: 'Store size' });
    assert.ok(Number(await store.locator('[data-series=size]').getAttribute('data-value')) > 0, 'store size');
    const commit = page.locator('figure.chart', { hasText: 'Store commit latency' });
    const p50 = Number(await commit.locator('[data-series=p50]').getAttribute('data-value'));
    const p99 = Number(await commit.locator('[data-series=p99]').getAttribute('data-value'));
    assert.ok(p50 > 0 && p99 >= p50, `commit latency p50 ${p50} ms, p99 ${p99} ms`);
    await screenshot(page, 'overview');
    assert.deepEqual(problems, []);
  } finally {
    loading = false;
    await stream;
    await publisher.endAsync();
    await subscriber.endAsync();
    await close();
  }
});

test('dashboard live - a retained message from mosquitto_pub shows on the retained page, opens as JSON, and is deleted from there', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await fixture.children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-i', 'retainer', '-q', '1', '-r', '-t', 'dash/lamp/state', '-m', '{"on":true,"level":80}']).succeeded();
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/retained');
    const row = page.locator('tbody tr', { hasText: 'dash/lamp/state' });
    await row.waitFor();
    assert.match(await row.innerText(), /dash\/lamp\/state\s+1\s+retainer/);
    await page.getByRole('button', { name: 'View dash/lamp/state' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retained on dash/lamp/state' });
    assert.equal(await dialog.locator('pre.payload-text').innerText(), '{\n  "on": true,\n  "level": 80\n}');
    await dialog.getByRole('button', { name: 'Text' }).click();
    assert.equal(await dialog.locator('pre.payload-text').innerText(), '{"on":true,"level":80}');
    await screenshot(page, 'retained');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Delete the retained message on dash/lamp/state' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No retained messages.').waitFor();
    const token = await fixture.broker.adminToken();
    assert.equal((await fixture.broker.call('GET', `/api/v5/mqtt/retainer/message/${encodeURIComponent('dash/lamp/state')}`, { token })).status, 404);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard live - shared groups: each group with its members (one away), searched by the broker, the search kept in the address bar', async () => {
  const first = await mqtt.connectAsync(fixture.broker.url, { clientId: 'member-a', protocolVersion: 5, reconnectPeriod: 0 });
  const second = await mqtt.connectAsync(fixture.broker.url, { clientId: 'member-b', protocolVersion: 5, reconnectPeriod: 0, clean: false, properties: { sessionExpiryInterval: 600 } });
  const other = await mqtt.connectAsync(fixture.broker.url, { clientId: 'member-c', protocolVersion: 5, reconnectPeriod: 0 });
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await first.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    await second.subscribeAsync('$share/workers/jobs/#', { qos: 2 });
    await other.subscribeAsync('$share/audit/log/+', { qos: 0 });
    await second.endAsync();
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/shared');
    const table = page.getByRole('table', { name: 'Shared groups' });
    const workers = table.locator('tbody tr', { has: page.getByRole('button', { name: 'workers' }) });
    await workers.waitFor();
    assert.deepEqual(await workers.locator('td').allInnerTexts(), ['workers', 'jobs/#', '2', '1']);
    await workers.getByRole('button', { name: 'workers' }).click();
    const members = page.getByRole('list', { name: 'Members of workers on jobs/#' });
    assert.deepEqual((await members.getByRole('listitem').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim()), ['member-a QoS 1 connected', 'member-b QoS 2 away']);
    await screenshot(page, 'shared-groups');

    await page.getByLabel('Group name contains').fill('aud');
    await waitForPage(page, `location.search === '?q=aud' && document.querySelectorAll('table tbody tr').length === 1 && document.querySelector('table tbody tr').textContent.includes('audit')`, 'the search to narrow the groups');
    await page.reload();
    await table.getByRole('button', { name: 'audit' }).waitFor();
    assert.equal(await page.getByLabel('Group name contains').inputValue(), 'aud');
    assert.equal(await table.getByRole('button', { name: 'workers' }).count(), 0);
    assert.deepEqual(problems, []);
  } finally {
    await first.endAsync();
    await other.endAsync();
    await close();
  }
});
