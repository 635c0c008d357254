// Operating a running broker from the dashboard, in headless Chromium against a broker whose
// configuration comes from a file: a trace started on a client's page records what that MQTT.js
// client publishes (read in the page and through the API), is stopped and deleted there; the settings
// page shows the configuration with its secrets masked, what a reload of the rewritten file would
// change (nothing applied), a file that does not validate (naming the key), the reload itself, and
// the log level set.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import mqtt from 'mqtt';
import { startReloadable, type ReloadableBroker } from '../ops/reloadable.js';
import { launchBrowser, logIn, openPage, screenshot, waitForPage } from './dashboard-helpers.js';

const SETTINGS = {
  allow_anonymous: true,
  max_packet_size: 10_000,
  authentication: [{ type: 'jwt', secret: 'jwt-shared-secret' }, { type: 'builtin' }],
};

let browser: Browser;
let broker: ReloadableBroker;

before(async () => {
  browser = await launchBrowser();
  broker = await startReloadable(SETTINGS);
  await broker.adminToken('root', 'root@123++');
});
after(async () => {
  await browser?.close();
  await broker?.close();
});

test('dashboard ops - a trace started on a client\'s page records its MQTT.js traffic, shown in the page and the API; stopped and deleted there', async () => {
  const client = await mqtt.connectAsync(broker.url, { clientId: 'traced-one', protocolVersion: 5, reconnectPeriod: 0 });
  const { page, problems, close } = await openPage(browser);
  try {
    await logIn(page, broker.api, 'root', 'root@123++', '/clients/traced-one');
    await page.getByRole('heading', { name: 'Client traced-one' }).waitFor();
    await page.getByRole('button', { name: 'Start trace' }).click();
    const traces = page.getByRole('table', { name: 'Traces of this client' });
    const row = traces.locator('tbody tr', { hasText: 'running' });
    await row.waitFor();
    const token = await broker.adminToken();
    const listed = (await broker.call('GET', '/api/v5/trace', { token })).body as Array<{ name: string; type: string; clientid: string; status: string }>;
    assert.equal(listed.length, 1);
    const [trace] = listed;
    assert.deepEqual([trace!.type, trace!.clientid, trace!.status], ['clientid', 'traced-one', 'running']);

    await client.subscribeAsync('trace/#', { qos: 1 });
    const echoed = new Promise<void>((resolve) => client.once('message', () => resolve()));
    await client.publishAsync('trace/x', 'hello trace', { qos: 1 });
    await echoed;
    await row.getByRole('button', { name: 'Show log' }).click();
    const log = page.getByLabel(`Log of ${trace!.name}`);
    // The log is asked for every 3 s while shown
    await waitForPage(page, `[...document.querySelectorAll('pre.payload-text')].some((pre) => /\\[in\\] traced-one@[^ ]+ PUBLISH\\(Q=1, R=0, D=0, Topic=trace\\/x, PacketId=\\d+, Payload=hello trace/.test(pre.textContent))`, 'the PUBLISH line in the page', 10_000);
    assert.match(await log.innerText(), /\[out\] traced-one@\S+ PUBLISH\(Q=1, R=0, D=0, Topic=trace\/x, PacketId=\d+, Payload=hello trace/);
    const file = (await broker.call('GET', `/api/v5/trace/${trace!.name}/log?bytes=65536&position=0`, { token })).body as { items: string };
    assert.match(file.items, /\[in\] traced-one@\S+ SUBSCRIBE\(PacketId=\d+, TopicFilters=\[\{"topic":"trace\/#","qos":1/);
    await screenshot(page, 'client-trace');
    // The file itself, as the zip EMQX's route answers
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download (zip)' }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), `${trace!.name}.zip`);
    const zip = readFileSync((await download.path())!);
    assert.equal(zip.subarray(0, 2).toString(), 'PK');
    assert.ok(zip.includes(`-trace_${trace!.name}.log`), 'the zip holds the trace file');

    await row.getByRole('button', { name: 'Stop' }).click();
    await traces.locator('tbody tr', { hasText: 'stopped' }).waitFor();
    const stopped = (await broker.call('GET', '/api/v5/trace', { token })).body as Array<{ status: string; stop_reason?: string }>;
    assert.deepEqual([stopped[0]!.status, stopped[0]!.stop_reason], ['stopped', 'request']);
    await page.getByRole('button', { name: `Delete trace ${trace!.name}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await traces.getByText('No trace of this client.').waitFor();
    assert.deepEqual((await broker.call('GET', '/api/v5/trace', { token })).body, []);
    assert.deepEqual(problems, []);
  } finally {
    await client.endAsync();
    await close();
  }
});

test('dashboard ops - settings: the configuration with its secrets masked; what a reload of the rewritten file would change; a bad file named by key; the reload applied; the log level set', async () => {
  const { page, problems, close } = await openPage(browser);
  try {
    await logIn(page, broker.api, 'root', 'root@123++', '/settings');
    const running = page.getByLabel('Running configuration', { exact: true }).and(page.locator('pre'));
    await running.waitFor();
    const shown = await running.innerText();
    assert.ok(!shown.includes('jwt-shared-secret'), 'the JWT secret is not shown');
    assert.match(shown, /"type": "jwt",\s+"secret": "\*{6}"/);
    assert.match(shown, /"max_packet_size": 10000/);

    await page.getByRole('button', { name: 'Check the configuration file' }).click();
    await page.getByText(/matches the running configuration: a reload changes nothing/).waitFor();

    await broker.write({ ...SETTINGS, max_packet_size: 2000, node_name: 'renamed', authentication: [{ type: 'jwt', secret: 'rotated-secret' }, { type: 'builtin' }] });
    await page.getByRole('button', { name: 'Check the configuration file' }).click();
    const plan = page.getByRole('table', { name: 'What a reload would change' });
    await plan.waitFor();
    const cells = async (key: string): Promise<string[]> => plan.locator('tbody tr', { has: page.getByRole('cell', { name: key, exact: true }) }).locator('td').allInnerTexts();
    assert.deepEqual(await cells('max_packet_size'), ['max_packet_size', '10000', '2000', 'connections accepted from now on']);
    assert.deepEqual((await cells('node_name')).slice(2), ['renamed', 'restart needed']);
    const authentication = await cells('authentication');
    assert.ok(!authentication.join(' ').includes('rotated-secret'), 'the new secret is masked too');
    assert.match(authentication[2]!, /"secret":"\*{6}"[\s\S]*\(a masked secret differs\)/);
    assert.equal(broker.broker.config.maxPacketSize, 10_000, 'a check applies nothing');
    await screenshot(page, 'settings-reload-plan');

    // A file that does not validate: the refusal names the key
    await broker.write({ ...SETTINGS, max_packet_size: 'abc' });
    await page.getByRole('button', { name: 'Check the configuration file' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /max_packet_size: expected an integer[\s\S]*INVALID_CONFIG/);

    // Reload: the live key applied, the one needing a restart named
    await broker.write({ ...SETTINGS, max_packet_size: 2000, node_name: 'renamed' });
    await page.getByRole('button', { name: 'Reload', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reload' }).click();
    const done = page.getByRole('table', { name: 'What the reload changed' });
    await done.waitFor();
    assert.match(await page.getByRole('status').filter({ hasText: 'Reloaded' }).innerText(), /1 applied, 1 not \(node_name: restart needed\)/);
    assert.equal(broker.broker.config.maxPacketSize, 2000);
    await waitForPage(page, `/"max_packet_size": 2000/.test(document.querySelector('pre.config').textContent)`, 'the running configuration to show the reload');

    // The log level, at once
    await page.getByLabel('Lowest level logged').selectOption('debug');
    await page.getByRole('button', { name: 'Set level' }).click();
    await waitForPage(page, `document.querySelector('form[aria-label="Log level"] button').disabled`, 'the level to be set');
    assert.deepEqual((await broker.call('GET', '/api/v5/log/level', { token: await broker.adminToken() })).body, { level: 'debug' });
    assert.deepEqual(problems.filter((problem) => !problem.includes('status of 400')), []);
  } finally {
    await close();
  }
});
