// The dashboard's rule engine pages in headless Chromium against a real broker: a rule written in the
// page (its SQL refused first with the parser's line and column shown and the cursor put there, then
// tested on a sample message and an event) republishes what mosquitto_pub publishes to mosquitto_sub,
// counts it on its page, is disabled and deleted from the list; a rule of the config file is read-only;
// connectors made in the page show their status, and a rule sends to one a real HTTP server receives.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { subscribedOrExited } from '../helpers/interop.js';
import { freePort } from '../helpers/free-port.js';
import { dashboardFixture, logIn, openPage, screenshot, waitForPage } from './dashboard-helpers.js';

const fixture = dashboardFixture({ allowAnonymous: true, rules: { from_file: { sql: 'SELECT * FROM "file/#"', actions: [{ function: 'console' }] } } as never });

function mosquittoSub(clientId: string, topic: string) {
  return fixture.children.start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-i', clientId, '-q', '1', '-t', topic, '-C', '1', '-W', '10', '-v']);
}

function mosquittoPub(clientId: string, topic: string, message: string) {
  return fixture.children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-i', clientId, '-q', '1', '-t', topic, '-m', message]).succeeded();
}

test('dashboard rules - a rule written in the page: SQL refused at its line and column, tested, created; it republishes mosquitto_pub to mosquitto_sub, counts it, is disabled and deleted', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/rules');
    // The config file's rule: listed, but changed only in the file
    const fileRow = page.locator('tbody tr', { has: page.getByRole('link', { name: 'from_file' }) });
    await fileRow.waitFor();
    assert.match(await fileRow.innerText(), /file\/#[\s\S]*console[\s\S]*enabled[\s\S]*config file/);
    assert.equal(await page.getByRole('button', { name: 'Disable rule from_file' }).isDisabled(), true);
    assert.match((await page.getByRole('button', { name: 'Delete rule from_file' }).getAttribute('title')) ?? '', /configuration file/);

    await page.getByRole('button', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/rules/create');
    const form = page.getByRole('form', { name: 'Rule' });
    await form.getByLabel('Rule id').fill('hot');
    await form.getByLabel('Description').fill('too hot: alert');
    const sql = form.getByLabel('SQL', { exact: true });
    // FROM left out: the parser's refusal, at line 2, column 1
    await sql.fill('SELECT payload.temp AS temp, clientid\nWHERE payload.temp > 30');
    await form.getByLabel('New action').selectOption('republish');
    await form.getByRole('button', { name: 'Add action' }).click();
    const republish = form.getByRole('group', { name: /^Action 1: republish/ });
    await republish.getByLabel('Topic').fill('alerts/${clientid}');
    await republish.getByLabel('QoS').selectOption('1');
    await republish.getByLabel('Payload').fill('${temp}');
    await form.getByRole('button', { name: 'Create rule' }).click();
    const refusal = form.locator('#rule-sql-error');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /^Line 2, column 1: expected ',' or FROM, found WHERE/);
    assert.match(await refusal.locator('pre.sql-excerpt').innerText(), /^WHERE payload\.temp > 30\n\^$/);
    assert.equal(await sql.getAttribute('aria-invalid'), 'true');
    const caret = 'SELECT payload.temp AS temp, clientid\n'.length;
    assert.deepEqual(await page.evaluate(`[document.activeElement.id, document.activeElement.selectionStart]`), ['rule-sql', caret], 'the cursor is where the parser stopped');
    assert.equal(fixture.broker.broker.rules.engine.get('hot'), undefined, 'nothing was created');
    await screenshot(page, 'rule-sql-error');

    // Fixed, then tested on a sample message (its topic made from the FROM filter) before saving
    await sql.fill('SELECT payload.temp AS temp, clientid\nFROM "sensors/+/temp"\nWHERE payload.temp > 30');
    const tester = page.getByRole('region', { name: 'Test the SQL' });
    assert.equal(await tester.getByLabel('Topic').inputValue(), 'sensors/1/temp');
    await tester.getByLabel('Client id').fill('dev9');
    await tester.getByLabel('Payload').fill('{"temp": 35}');
    await tester.getByRole('button', { name: 'Run test' }).click();
    const output = tester.getByLabel('Test output');
    await output.waitFor();
    assert.deepEqual(JSON.parse(await output.innerText()), { temp: 35, clientid: 'dev9' });
    await tester.getByLabel('Payload').fill('{"temp": 20}');
    await tester.getByRole('button', { name: 'Run test' }).click();
    await tester.getByText('Nothing selected').waitFor();
    // A SQL error from the tester shows at the SQL too
    await sql.fill('SELECT payload.temp AS temp, clientid\nFROM "sensors/+/temp"\nWHERE upper(payload.temp, 1) > 30');
    await tester.getByRole('button', { name: 'Run test' }).click();
    await form.locator('#rule-sql-error').getByText(/^Line 3, column 7:/).waitFor();
    assert.match(await form.locator('#rule-sql-error').innerText(), /upper\(\) takes 1 argument, got 2/);
    await sql.fill('SELECT payload.temp AS temp, clientid\nFROM "sensors/+/temp"\nWHERE payload.temp > 30');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Rule hot' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/rules/detail/hot');
    const made = await fixture.broker.call('GET', '/api/v5/rules/hot', { token: await fixture.broker.adminToken() });
    assert.deepEqual([made.body.description, made.body.enable, made.body.actions], ['too hot: alert', true, [{ function: 'republish', args: { topic: 'alerts/${clientid}', qos: 1, retain: false, payload: '${temp}', user_properties: '', mqtt_properties: {} } }]]);

    // Real clients: mosquitto_pub's reading comes back to mosquitto_sub republished
    const sub = mosquittoSub('alerts-sub', 'alerts/#');
    await subscribedOrExited(fixture.broker.broker, 'alerts-sub', sub);
    await mosquittoPub('dev1', 'sensors/dev1/temp', '{"temp": 42}');
    assert.equal((await sub.succeeded()).stdout, 'alerts/dev1 42\n');
    // The rule's counters on its page (asked every 5 s)
    await waitForPage(page, `document.querySelector('[data-counter="matched"]')?.textContent === '1' && document.querySelector('[data-counter="actions.success"]')?.textContent === '1'`, 'the counters to show the message', 12_000);
    assert.equal(await page.locator('[data-counter="passed"]').innerText(), '1');
    await screenshot(page, 'rule');

    // A deep link survives a reload
    await page.reload();
    await page.getByRole('heading', { name: 'Rule hot' }).waitFor();
    assert.equal(await page.getByLabel('SQL', { exact: true }).inputValue(), 'SELECT payload.temp AS temp, clientid\nFROM "sensors/+/temp"\nWHERE payload.temp > 30');

    // Disabled from the list: a reading then gets no alert (a sentinel published after it arrives first)
    await page.getByRole('link', { name: 'All rules' }).click();
    const row = page.locator('tbody tr', { has: page.getByRole('link', { name: 'hot', exact: true }) });
    assert.match(await row.innerText(), /sensors\/\+\/temp[\s\S]*republish to alerts\/\$\{clientid\}[\s\S]*enabled[\s\S]*store/);
    await screenshot(page, 'rules');
    await page.getByRole('button', { name: 'Disable rule hot' }).click();
    await row.getByText('disabled').waitFor();
    assert.equal(fixture.broker.broker.rules.engine.get('hot')?.definition.enable, false);
    const second = mosquittoSub('alerts-sub-2', 'alerts/#');
    await subscribedOrExited(fixture.broker.broker, 'alerts-sub-2', second);
    await mosquittoPub('dev1', 'sensors/dev1/temp', '{"temp": 50}');
    await mosquittoPub('sentinel', 'alerts/sentinel', 'sentinel');
    assert.equal((await second.succeeded()).stdout, 'alerts/sentinel sentinel\n');

    await page.getByRole('button', { name: 'Delete rule hot' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await fixture.broker.call('GET', '/api/v5/rules/hot', { token: await fixture.broker.adminToken() })).status, 404);
    // The refusals the test asked for (bad SQL: 400, nothing selected: 412) are all the browser logged
    assert.deepEqual(problems.filter((problem) => !/status of (400|412)/.test(problem)), []);
  } finally {
    await close();
  }
});

test('dashboard rules - the tester picks an event input from the SQL\'s FROM, fills in the example fields, and works from the keyboard', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/rules/create');
    await page.getByLabel('SQL', { exact: true }).fill('SELECT clientid, proto_ver, keepalive FROM "$events/client_connected"');
    const tester = page.getByRole('region', { name: 'Test the SQL' });
    await waitForPage(page, `document.querySelector('select')?.value !== undefined && [...document.querySelectorAll('select')].some((select) => select.value === 'client.connected')`, 'the input to follow the FROM');
    // From the keyboard: the fields, then the button
    await tester.getByLabel('Fields (JSON)').focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('{"clientid": "from-test"}');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Run test');
    await page.keyboard.press('Enter');
    const output = tester.getByLabel('Test output');
    await output.waitFor();
    assert.deepEqual(JSON.parse(await output.innerText()), { clientid: 'from-test', proto_ver: 5, keepalive: 60 });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard rules - connectors added in the page show their status; a rule made in the page sends to one, which a real HTTP server receives; one in use cannot be deleted', async () => {
  const received: Array<{ url: string; body: string }> = [];
  const server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'POST') received.push({ url: request.url ?? '', body });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const nobody = await freePort();
  const { page, problems, close } = await openPage(fixture.browser);
  const publisher = await mqtt.connectAsync(fixture.broker.url, { clientId: 'hook-pub', reconnectPeriod: 0 });
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/connectors');
    for (const [name, url] of [
      ['hook', `http://127.0.0.1:${port}/hook`],
      ['nowhere', `http://127.0.0.1:${nobody}/hook`],
    ] as const) {
      const adding = page.getByRole('form', { name: 'Add a connector' });
      if (!(await adding.isVisible())) await page.getByText('Add a connector', { exact: true }).click();
      await adding.getByLabel('Name', { exact: true }).fill(name);
      await adding.getByLabel('Type').selectOption('webhook');
      await adding.getByLabel('Settings (JSON)').fill(JSON.stringify({ url, body: '${payload}' }));
      await adding.getByRole('button', { name: 'Add connector' }).click();
      await page.getByRole('cell', { name: name, exact: true }).waitFor();
    }
    const hookRow = page.locator('tbody tr', { has: page.getByRole('cell', { name: 'hook', exact: true }) });
    const nowhereRow = page.locator('tbody tr', { has: page.getByRole('cell', { name: 'nowhere', exact: true }) });
    await hookRow.getByText('connected', { exact: true }).waitFor({ timeout: 10_000 });
    await nowhereRow.getByText('disconnected', { exact: true }).waitFor({ timeout: 10_000 });
    assert.match(await nowhereRow.innerText(), /ECONNREFUSED|refused|connect/i, 'the reason it is down');

    // A rule made in the page sends to the connector
    await page.goto(`${fixture.broker.api}/rules/create`);
    const form = page.getByRole('form', { name: 'Rule' });
    await form.getByLabel('Rule id').fill('to_hook');
    await form.getByLabel('SQL', { exact: true }).fill('SELECT payload FROM "hook/#"');
    await form.getByLabel('New action').selectOption('connector:hook');
    await form.getByRole('button', { name: 'Add action' }).click();
    await form.getByRole('group', { name: 'Action 1: connector hook' }).getByText('connected', { exact: true }).waitFor();
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Rule to_hook' }).waitFor();
    await publisher.publishAsync('hook/1', 'to the webhook', { qos: 1 });
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(received, [{ url: '/hook', body: 'to the webhook' }]);

    await page.goto(`${fixture.broker.api}/connectors`);
    await waitForPage(page, `[...document.querySelectorAll('tbody tr')].some((row) => row.cells[0].textContent === 'hook' && row.querySelector('td[data-label="success"]').textContent === '1')`, 'the success counter', 12_000);
    await screenshot(page, 'connectors');
    await page.getByRole('button', { name: 'Delete connector hook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('alert').getByText(/used by rule to_hook/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Delete connector nowhere' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await nowhereRow.waitFor({ state: 'detached' });
    assert.deepEqual(problems.filter((problem) => !problem.includes('409')), []);
  } finally {
    await publisher.endAsync();
    await close();
    await new Promise((resolve) => server.close(resolve));
  }
});
