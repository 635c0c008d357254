// The dashboard in headless Chromium against a real broker: how it is served (the page, its modules
// from the npm packages, deep links, the API's 404s untouched), logging in (a wrong password
// refused, a reload keeps the session, logout ends it), the Access pages driving the real API (an
// MQTT user added in the page connects with mosquitto_pub; ACL rules added and reordered; a ban
// added and lifted), a viewer who can change nothing, and the layout at phone width in dark mode.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { dashboardFixture, logIn, openPage, screenshot, waitForPage } from './dashboard-helpers.js';

const fixture = dashboardFixture({ authentication: [{ type: 'builtin' }], allowAnonymous: false });

test('dashboard - served at / with an import map and a CSP; deep links answer the page; /api and /api-docs keep their own 404s', async () => {
  const page = await fetch(`${fixture.broker.api}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(csp, /connect-src 'self' ws: wss:/);
  const html = await page.text();
  const importMap = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(html)![1]!) as { imports: Record<string, string> };
  assert.deepEqual(Object.keys(importMap.imports).sort(), ['mqtt', 'preact', 'preact/hooks', 'preact/jsx-runtime', 'uplot']);
  for (const url of Object.values(importMap.imports)) {
    const module = await fetch(`${fixture.broker.api}${url}`);
    assert.equal(module.status, 200, url);
    assert.match(module.headers.get('content-type') ?? '', /javascript/, url);
  }
  // The page's own modules live under a build id, cached for good; the page names them all up front
  const entry = /<script type="module" src="([^"]+)"><\/script>/.exec(html)![1]!;
  const base = /^(\/assets\/[0-9a-f]{12})\/app\/main\.js$/.exec(entry)![1]!;
  const main = await fetch(`${fixture.broker.api}${entry}`);
  assert.equal(main.status, 200);
  assert.match(main.headers.get('cache-control') ?? '', /immutable/);
  assert.match(page.headers.get('cache-control') ?? '', /no-cache/);
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((match) => match[1]!);
  assert.ok(preloaded.includes(`${base}/app/pages/clients.js`) && !preloaded.includes(importMap.imports['mqtt']!), 'every module but MQTT.js preloaded');
  assert.equal((await fetch(`${fixture.broker.api}${base}/public/styles.css`)).status, 200);
  assert.equal((await fetch(`${fixture.broker.api}/assets/000000000000/app/main.js`)).status, 404, 'another build id');
  assert.equal((await fetch(`${fixture.broker.api}${base}/app/.tsbuildinfo`)).status, 404);
  // A path that climbs out of the files' directory (encoded, so that fetch does not resolve it first)
  const climbing = await fetch(`${fixture.broker.api}${base}/public/..%2F..%2F..%2Fpackage.json`);
  assert.ok(climbing.status === 403 || climbing.status === 404, `climbing answered ${climbing.status}`);
  assert.doesNotMatch(await climbing.text(), /"name": "starling"/);

  const deep = await fetch(`${fixture.broker.api}/clients/some%2Fclient`);
  assert.equal(deep.status, 200);
  assert.equal(await deep.text(), html);
  const missing = await fetch(`${fixture.broker.api}/api/v5/no-such-route`);
  assert.deepEqual([missing.status, ((await missing.json()) as { code: string }).code], [404, 'NOT_FOUND']);
  assert.equal((await fetch(`${fixture.broker.api}/api-docs/openapi.json`)).status, 200);
  // The page's files are not API routes: absent from the OpenAPI document
  const document = (await (await fetch(`${fixture.broker.api}/api-docs/openapi.json`)).json()) as { paths: Record<string, unknown> };
  assert.ok(!Object.keys(document.paths).some((path) => path.startsWith('/assets') || path === '/' || path === '/*'));
});

test('dashboard - a wrong password is refused; the right one logs in, a reload keeps the session and deep link, logout ends it', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await page.goto(`${fixture.broker.api}/access/users`);
    await screenshot(page, 'login');
    await page.getByLabel('Username').fill('root');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /wrong username or password\s*BAD_USERNAME_OR_PWD/);

    await page.getByLabel('Password').fill('root@123++');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'MQTT users' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/access/users');
    assert.equal(await page.getByRole('link', { name: 'MQTT users' }).getAttribute('aria-current'), 'page');

    await page.reload();
    await page.getByRole('heading', { name: 'MQTT users' }).waitFor();
    assert.match(await page.locator('.who').innerText(), /root\s*administrator/);

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard - an MQTT user added in the page connects with mosquitto_pub; a wrong password does not; deleting it in the page ends that', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/access/users');
    const form = page.getByRole('form', { name: 'Add an MQTT user' });
    await form.getByLabel('Username').fill('sensor1');
    await form.getByLabel('Password').fill('s3nsor-pass');
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('cell', { name: 'sensor1', exact: true }).waitFor();
    await screenshot(page, 'access-users');

    const publish = (password: string) => fixture.children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-V', 'mqttv5', '-i', 'pub-sensor1', '-u', 'sensor1', '-P', password, '-t', 'sensors/1', '-m', 'hello']).exited;
    assert.equal((await publish('s3nsor-pass')).code, 0);
    const refused = await publish('wrong-pass');
    assert.notEqual(refused.code, 0);

    await page.getByRole('button', { name: 'Delete sensor1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No MQTT users yet.').waitFor();
    assert.notEqual((await publish('s3nsor-pass')).code, 0);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard - ACL rules added at either end and reordered with the arrow buttons, in the store in that order; a ban added and lifted', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/access/acl');
    const form = page.getByRole('form', { name: 'Add an ACL rule' });
    for (const [topic, permission] of [
      ['secret/#', 'deny'],
      ['public/#', 'allow'],
    ] as const) {
      await form.getByLabel('Permission').selectOption(permission);
      await form.getByLabel('Topic filter').fill(topic);
      await form.getByRole('button', { name: 'Add rule' }).click();
      await page.getByRole('cell', { name: topic }).waitFor();
    }
    const topics = async (): Promise<string[]> => (await fixture.broker.call('GET', '/api/v5/acl/rules', { token: await fixture.broker.adminToken() })).body.map((rule: { topic: string }) => rule.topic);
    assert.deepEqual(await topics(), ['secret/#', 'public/#']);
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    await page.locator('tbody tr').first().getByText('public/#').waitFor();
    assert.deepEqual(await topics(), ['public/#', 'secret/#']);
    await screenshot(page, 'access-acl');

    await page.getByRole('link', { name: 'Bans' }).click();
    const ban = page.getByRole('form', { name: 'Ban' });
    await ban.getByLabel('Kind').selectOption('clientid');
    await ban.getByLabel('Who').fill('troublemaker');
    await ban.getByLabel('Reason').fill('flooding');
    await ban.getByLabel('For').selectOption({ label: '1 day' });
    await ban.getByRole('button', { name: 'Ban' }).click();
    await page.getByRole('cell', { name: 'troublemaker', exact: true }).waitFor();
    const bans = await fixture.broker.call('GET', '/api/v5/banned', { token: await fixture.broker.adminToken() });
    const stored = bans.body.data[0] as { who: string; reason: string; until: string; by: string };
    assert.deepEqual([stored.who, stored.reason, stored.by], ['troublemaker', 'flooding', 'root']);
    const hours = (Date.parse(stored.until) - Date.now()) / 3_600_000;
    assert.ok(hours > 23 && hours <= 24, `a ban for one day ends in ${hours} h`);
    await page.getByRole('button', { name: 'Lift the ban on troublemaker' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Lift ban' }).click();
    await page.getByText('Nobody is banned.').waitFor();
    assert.deepEqual((await fixture.broker.call('GET', '/api/v5/banned', { token: await fixture.broker.adminToken() })).body.data, []);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard - a viewer sees every page with every change disabled (rules, connectors, a client\'s trace, settings too), and the API answers their writes 403', async () => {
  await fixture.broker.adminToken('watcher', 'watch@1234', 'viewer');
  const token = await fixture.broker.adminToken();
  const call = async (method: string, path: string, body?: unknown): Promise<void> => {
    const answer = await fixture.broker.call(method, path, { token, body });
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  // Something to change on every page: ACL rules, a rule, a connector, a connected client with a
  // subscription and a trace, a retained message
  for (const topic of ['a/#', 'b/#']) await call('POST', '/api/v5/acl/rules', { permission: 'allow', action: 'all', topic, position: 'first' });
  await call('POST', '/api/v5/connectors', { name: 'viewed_hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' });
  await call('POST', '/api/v5/rules', { id: 'viewed', sql: 'SELECT * FROM "viewed/#"', actions: ['viewed_hook'] });
  await call('POST', '/api/v5/authentication/password_based:built_in_database/users', { user_id: 'device', password: 'device-pass' });
  const device = await mqtt.connectAsync(fixture.broker.url, { clientId: 'viewed-device', username: 'device', password: 'device-pass', reconnectPeriod: 0 });
  await device.subscribeAsync('viewed/#', { qos: 1 });
  await call('POST', '/api/v5/trace', { name: 'viewed_trace', type: 'clientid', clientid: 'viewed-device' });
  await call('POST', '/api/v5/publish', { topic: 'viewed/state', payload: 'on', retain: true });
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'watcher', 'watch@1234', '/access/users');
    assert.match(await page.locator('.who').innerText(), /watcher\s*viewer/);
    const checks: Array<[string, string[]]> = [
      ['/access/users', ['Add user']],
      ['/access/acl', ['Add rule', 'Move rule 2 up', 'Delete rule 1']],
      ['/access/bans', ['Ban']],
      ['/access/admins', ['Add administrator']],
      ['/access/api-keys', ['Make key']],
      ['/clients', ['Kick viewed-device']],
      ['/clients/viewed-device', ['Kick', 'Subscribe', 'Unsubscribe viewed-device from viewed/#', 'Start trace', 'Stop', 'Delete trace viewed_trace']],
      ['/retained', ['Delete all', 'Delete the retained message on viewed/state']],
      ['/rules', ['New rule', 'Disable rule viewed', 'Delete rule viewed']],
      ['/rules/detail/viewed', ['Delete', 'Reset counters', 'Save', 'Run test']],
      ['/rules/create', ['Create rule', 'Run test']],
      ['/connectors', ['Add connector', 'Delete connector viewed_hook']],
      ['/settings', ['Check the configuration file', 'Reload', 'Set level']],
    ];
    for (const [path, buttons] of checks) {
      // Each page opened by its address: a deep link
      await page.goto(`${fixture.broker.api}${path}`);
      for (const button of buttons) {
        // Some sit in folded sections (Add connector): present, not necessarily visible
        const write = page.getByRole('button', { name: button, exact: true, includeHidden: true }).first();
        await write.waitFor({ state: 'attached', timeout: 10_000 });
        assert.equal(await write.isDisabled(), true, `${button} on ${path} is disabled for a viewer`);
        assert.match((await write.getAttribute('title')) ?? '', /viewer/, `${button} on ${path} says why`);
      }
    }
    // What the viewer may read is there: the rule's SQL, the trace, the connector's status
    await page.goto(`${fixture.broker.api}/rules/detail/viewed`);
    assert.equal(await page.getByLabel('SQL', { exact: true }).inputValue(), 'SELECT * FROM "viewed/#"');
    await page.goto(`${fixture.broker.api}/clients/viewed-device`);
    await page.getByRole('table', { name: 'Traces of this client' }).getByRole('cell', { name: 'viewed_trace', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Show log' }).click();
    await page.getByLabel('Log of viewed_trace').getByText(/SUBSCRIBE|trace viewed_trace started/).first().waitFor();
    await page.goto(`${fixture.broker.api}/access/acl`);
    await page.getByRole('button', { name: 'Move rule 2 up' }).waitFor();
    await screenshot(page, 'viewer-acl');

    // The buttons are a courtesy: the API itself refuses the viewer's token
    // (The test build has no DOM types: browser code goes to the page as text.)
    const refused = (await page.evaluate(`(async () => {
      const saved = JSON.parse(sessionStorage.getItem('starling.session'));
      const send = async (method, path, body) => {
        const response = await fetch('/api/v5' + path, { method, headers: { authorization: 'Bearer ' + saved.token, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
        return [method + ' ' + path, response.status, (await response.json()).code];
      };
      return [
        await send('POST', '/banned', { as: 'clientid', who: 'x' }),
        await send('PUT', '/rules/viewed', { enable: false }),
        await send('POST', '/rule_test', { sql: 'SELECT * FROM "t/#"', context: {} }),
        await send('POST', '/trace', { name: 'mine', type: 'clientid', clientid: 'viewed-device' }),
        await send('POST', '/configs/reload?dry_run=true'),
        await send('DELETE', '/connectors/viewed_hook'),
      ];
    })()`)) as Array<[string, number, string]>;
    for (const [request, status, code] of refused) assert.deepEqual([request, status, code], [request, 403, 'UNAUTHORIZED_ROLE']);
    assert.deepEqual((await fixture.broker.call('GET', '/api/v5/banned', { token })).body.data, []);
    assert.equal(fixture.broker.broker.rules.engine.get('viewed')?.definition.enable, true);
    assert.deepEqual(problems.filter((problem) => !problem.includes('403')), []);
  } finally {
    await device.endAsync();
    await close();
    await call('DELETE', '/api/v5/trace');
    await call('DELETE', '/api/v5/rules/viewed');
    await call('DELETE', '/api/v5/connectors/viewed_hook');
  }
});

test('dashboard - at phone width the navigation folds behind Menu and works from the keyboard; dark mode', async () => {
  const { page, problems, close } = await openPage(fixture.browser, { mobile: true, colorScheme: 'dark' });
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/access/admins');
    const navigation = page.getByRole('navigation', { name: 'Pages' });
    assert.equal(await navigation.isVisible(), false);
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.focus();
    await page.keyboard.press('Enter');
    assert.equal(await menu.getAttribute('aria-expanded'), 'true');
    await navigation.getByRole('link', { name: 'API keys' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    // The menu folds in the render after the page's: wait for it (a menu that stays open fails here).
    await navigation.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
    assert.equal(await navigation.isVisible(), false, 'the menu folds again after navigating');
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(background, 'rgb(17, 20, 24)', 'dark background');
    // Nothing wider than the screen but the tables, which scroll in their own box
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0);
    await screenshot(page, 'phone-dark-api-keys');
    // The other pages too: nothing wider than the screen, at this width in dark mode
    for (const path of ['/', '/clients', '/shared', '/rules', '/rules/create', '/connectors', '/settings']) {
      await page.goto(`${fixture.broker.api}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.locator('[aria-busy=true]').first().waitFor({ state: 'detached', timeout: 10_000 });
      const wider = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      assert.equal(wider, 0, `${path} is ${wider} px wider than the screen`);
    }
    await page.goto(`${fixture.broker.api}/rules/create`);
    await page.getByLabel('SQL', { exact: true }).waitFor();
    await screenshot(page, 'phone-dark-rule');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('dashboard - every page in the navigation opens from the keyboard, without a script error, and is screenshotted', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/');
    const links = page.getByRole('navigation', { name: 'Pages' }).getByRole('link');
    await waitForPage(page, `(() => { const logo = document.querySelector('.brand img'); return logo.complete && logo.naturalWidth > 0; })()`, 'the logo to load');
    const labels = await links.allInnerTexts();
    assert.ok(labels.length >= 14, `${labels.length} pages`);
    for (const label of labels) {
      const link = page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true });
      await link.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: new RegExp(`^${label.split(' ')[0]}`, 'i') }).waitFor();
      assert.equal(await link.getAttribute('aria-current'), 'page', label);
      await screenshot(page, `page-${label.toLowerCase().replaceAll(' ', '-')}`);
    }
    // A path that is no page says so (and offers the way back)
    await page.goto(`${fixture.broker.api}/no/such/page`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
