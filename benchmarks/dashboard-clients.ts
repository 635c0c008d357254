// `npm run bench:dashboard`: the dashboard's clients page with 100,000 connected clients. One broker
// cannot hold 100,000 sockets on this machine (its file limit), so the clients are in-process
// (broker.connectLocal(): real channels and sessions, no sockets); the page, the API and Chromium
// (Debian's, through playwright-core) are real. Measured, as medians of several runs:
//   - page load: from navigation to the first row of the clients table painted (logged in already);
//   - search: from the last keystroke in the search box to the table showing only the matches
//     (the page waits 250 ms after typing before it asks: that wait is included);
//   - the API answers behind them, timed from Node: page 1, a deep page, a sorted page, a search.
//
//   npm run bench:dashboard -- [--clients N] [--runs N]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createLogger, StarlingBroker } from '../src/internal.js';

interface Settings {
  clients: number;
  runs: number;
}

function parseSettings(argv: string[]): Settings {
  const settings: Settings = { clients: 100_000, runs: 5 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = Number(argv[++index]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} expects a positive integer`);
    if (flag === '--clients') settings.clients = value;
    else if (flag === '--runs') settings.runs = value;
    else throw new Error(`unknown option ${flag}; expected --clients N, --runs N`);
  }
  return settings;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function clientId(index: number): string {
  return `device-${String(index).padStart(6, '0')}`;
}

const ADMIN = { username: 'bench', password: 'bench@1234' };

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'starling-bench-dashboard-'));
  const broker = new StarlingBroker({
    dataDir,
    durability: 'memory',
    sysInterval: 0,
    allowAnonymous: true,
    listeners: [],
    management: { listeners: [{ host: '127.0.0.1', port: 0 }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: false },
    logger: createLogger({ logLevel: 'warn', logPretty: false }),
  });
  await broker.listen();
  const api = `http://127.0.0.1:${broker.managementAddresses[0]!.port}`;
  await broker.managementContext!.admin.admins.add(ADMIN.username, ADMIN.password, 'benchmark', 'administrator');

  const connectStarted = performance.now();
  const clients = [];
  const BATCH = 1_000;
  for (let start = 0; start < settings.clients; start += BATCH) {
    const batch = [];
    for (let index = start; index < Math.min(settings.clients, start + BATCH); index++) {
      batch.push(broker.connectLocal({ clientId: clientId(index), username: `user-${index % 1000}`, keepAlive: 60 }));
    }
    clients.push(...(await Promise.all(batch)));
  }
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(`${settings.clients} in-process clients connected in ${connectSeconds.toFixed(1)} s (heap ${heapMiB.toFixed(0)} MiB)`);

  const login = (await (await fetch(`${api}/api/v5/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json()) as { token: string };
  const apiTime = async (query: string): Promise<{ ms: number; rows: number; count: number | undefined }> => {
    const started = performance.now();
    const response = await fetch(`${api}/api/v5/clients?${query}`, { headers: { authorization: `Bearer ${login.token}` } });
    const body = (await response.json()) as { data: unknown[]; meta: { count?: number } };
    if (response.status !== 200) throw new Error(`GET /api/v5/clients?${query}: ${response.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, rows: body.data.length, count: body.meta.count };
  };

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const results: Record<string, number[]> = { pageLoad: [], search: [], apiPage1: [], apiDeepPage: [], apiSorted: [], apiSearch: [] };
  let searchMatches = 0;
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${api}/`);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();

    for (let run = 0; run < settings.runs; run++) {
      // Page load: a fresh navigation (the session is in sessionStorage) to the first row painted.
      await page.goto('about:blank');
      const started = performance.now();
      await page.goto(`${api}/clients`);
      await page.locator('tbody tr a').first().waitFor({ timeout: 60_000 });
      results['pageLoad']!.push(performance.now() - started);

      // Search: a substring of a client id, picked so that 11 clients have it (with 100,000: 04200 is in
      // device-042000..042009 and device-004200).
      const wanted = clientId(Math.floor(settings.clients * 0.42) + run * 10).slice(7, 12);
      let expected = 0;
      for (let index = 0; index < settings.clients && expected < 50; index++) if (clientId(index).includes(wanted)) expected++;
      const typed = performance.now();
      await page.getByLabel('Search').fill(wanted);
      const settled = `(() => { const rows = [...document.querySelectorAll('tbody tr')]; return rows.length === ${expected} && rows.every((row) => row.textContent.includes(${JSON.stringify(wanted)})); })()`;
      // Polled through evaluate (the page's CSP forbids waitForFunction's eval); a few ms of resolution.
      while (!(await page.evaluate(settled))) {
        if (performance.now() - typed > 60_000) throw new Error(`the search for ${wanted} did not settle on ${expected} rows`);
      }
      results['search']!.push(performance.now() - typed);
      searchMatches = expected;

      results['apiPage1']!.push((await apiTime('page=1&limit=50')).ms);
      results['apiDeepPage']!.push((await apiTime(`page=${Math.floor(settings.clients / 50)}&limit=50`)).ms);
      results['apiSorted']!.push((await apiTime('page=1&limit=50&order_by=connected_at&order=desc')).ms);
      results['apiSearch']!.push((await apiTime(`page=1&limit=50&like_clientid=${wanted}`)).ms);
    }
  } finally {
    await browser.close();
    await Promise.all(clients.map((client) => client.disconnect().catch(() => undefined)));
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const summary = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, Math.round(median(values))]));
  console.log(`clients: ${settings.clients}, runs: ${settings.runs} (medians, milliseconds)`);
  console.log(`| clients page load (navigation to first row painted) | ${summary['pageLoad']} ms |`);
  console.log(`| search in the page (last keystroke to ${searchMatches} matching rows, 250 ms debounce included) | ${summary['search']} ms |`);
  console.log(`| GET /api/v5/clients page 1 (limit 50) | ${summary['apiPage1']} ms |`);
  console.log(`| GET /api/v5/clients last page (limit 50) | ${summary['apiDeepPage']} ms |`);
  console.log(`| GET /api/v5/clients order_by=connected_at desc | ${summary['apiSorted']} ms |`);
  console.log(`| GET /api/v5/clients like_clientid (substring over every client) | ${summary['apiSearch']} ms |`);
  console.log(JSON.stringify({ clients: settings.clients, runs: settings.runs, connectSeconds: Number(connectSeconds.toFixed(1)), medians: summary, all: results }));
}

await main();
