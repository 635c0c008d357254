// The overview of a cluster in headless Chromium: two Starling nodes on a real nats-server with
// JetStream (started by the test), the page served by one of them lists both (name, status, uptime,
// connections), follows a client connecting to the other node, and shows that node stopped once it
// has left.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';
import { startNats, type TestServer } from '../helpers/servers.js';
import { launchBrowser, logIn, openPage, screenshot } from './dashboard-helpers.js';

let browser: Browser;
let nats: TestServer;
let first: ManagedBroker;
let second: TestBroker | undefined;

/** One nats-server, so one JetStream replica; fast failure detection, as the cluster tests use. */
function cluster(node: string) {
  return { cluster: { nats: [`nats://127.0.0.1:${nats.port}`], node, replicas: 1, heartbeatMs: 500, nodeTtlMs: 3000 } as never };
}

before(async () => {
  browser = await launchBrowser();
  nats = await startNats({ jetstream: true });
  first = await startManagedBroker(cluster('dash1'));
  second = await startBroker(cluster('dash2'));
  await first.adminToken('root', 'root@123++');
});
after(async () => {
  await browser?.close();
  await second?.close();
  await first?.close();
  await nats?.close();
});

interface NodeRow {
  node: string;
  node_status: string;
  live_connections: number;
}

/** Asks GET /api/v5/nodes until `check` holds (the nodes learn of each other through NATS heartbeats). */
async function nodesUntil(check: (nodes: NodeRow[]) => boolean, what: string): Promise<void> {
  const token = await first.adminToken();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const nodes = (await first.call('GET', '/api/v5/nodes', { token })).body as NodeRow[];
    if (check(nodes)) return;
    if (Date.now() > deadline) throw new Error(`timed out after 15 s waiting for ${what}: ${JSON.stringify(nodes)}`);
    // Each answer is a round trip to the broker; the pause lets its heartbeat timers run between them.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('dashboard cluster - the overview lists every node with status, uptime and connections; a client on the other node counts there; a node that left shows stopped', async () => {
  const { page, problems, close } = await openPage(browser);
  const client = await mqtt.connectAsync(second!.url, { clientId: 'on-dash2', reconnectPeriod: 0 });
  try {
    await nodesUntil((nodes) => nodes.find((node) => node.node === 'dash2')?.live_connections === 1, 'dash2 to report its client');
    await logIn(page, first.api, 'root', 'root@123++', '/');
    const table = page.getByRole('table', { name: 'Nodes' });
    const row = (name: string) => table.locator('tbody tr', { has: page.getByRole('cell', { name: new RegExp(`^${name}`) }) });
    await row('dash2').waitFor();
    const own = await row('dash1').locator('td').allInnerTexts();
    assert.deepEqual([own[0], own[1], own[4]], ['dash1 this node', 'running', '0']);
    assert.match(own[3]!, /^\d+ s$/, 'uptime');
    const other = await row('dash2').locator('td').allInnerTexts();
    assert.deepEqual([other[0], other[1], other[4]], ['dash2', 'running', '1']);
    assert.match(other[2]!, /^\d+\.\d+\.\d+/, 'version');
    await screenshot(page, 'overview-cluster');

    await client.endAsync();
    await second!.close();
    second = undefined;
    await nodesUntil((nodes) => nodes.find((node) => node.node === 'dash2')?.node_status === 'stopped', 'dash2 to be stopped');
    await page.reload();
    await row('dash2').getByText('stopped').waitFor();
    const stopped = await row('dash2').locator('td').allInnerTexts();
    assert.deepEqual([stopped[1], stopped[3]], ['stopped', '–']);
    assert.deepEqual(problems, []);
  } finally {
    client.end(true);
    await close();
  }
});
