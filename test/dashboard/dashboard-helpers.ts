// The dashboard under test: a broker with TCP, WebSocket and management listeners on ephemeral
// loopback ports, Debian's Chromium driven by playwright-core (one browser per test file), a page
// logged in as an administrator or a viewer, and screenshots written where the run keeps them
// (STARLING_SCREENSHOTS, else dist/screenshots: built, never committed).

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { BrokerOptions } from '../../src/internal.js';
import { Children } from '../helpers/interop.js';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env['STARLING_SCREENSHOTS'] ?? fileURLToPath(new URL('../../screenshots/', import.meta.url));

/** The flags the browser test uses: headless, no sandbox (root in CI), nothing fetched from the network. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export interface DashboardBroker extends ManagedBroker {
  /** ws://127.0.0.1:<port>/mqtt */
  wsUrl: string;
}

export async function startDashboardBroker(options: BrokerOptions = {}): Promise<DashboardBroker> {
  const managed = await startManagedBroker({
    listeners: [
      { type: 'tcp', host: '127.0.0.1', port: 0 },
      { type: 'ws', host: '127.0.0.1', port: 0 },
    ],
    ...options,
  });
  const ws = managed.addresses.find((address) => address.type === 'ws');
  if (ws === undefined) throw new Error('the broker has no ws listener');
  return { ...managed, wsUrl: `ws://127.0.0.1:${ws.port}/mqtt` };
}

export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** Browser console errors and failed page loads seen so far (a test asserts there are none). */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh browser context (its own sessionStorage) at 1280×800, or phone width with `mobile`. */
export async function openPage(browser: Browser, options: { mobile?: boolean; colorScheme?: 'light' | 'dark' } = {}): Promise<DashboardPage> {
  const context = await browser.newContext({
    viewport: options.mobile === true ? { width: 390, height: 844 } : { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // A refused API call shows as a failed resource load; those the tests cause on purpose are not problems.
    if (message.type() === 'error' && !/status of (401|403|404)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { context, page, problems, close: () => context.close() };
}

/** Logs in through the form and waits for the page's frame (its top bar) to appear. */
export async function logIn(page: Page, api: string, username: string, password: string, path = '/'): Promise<void> {
  await page.goto(`${api}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: 10_000 });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * Waits until `expression` (JavaScript, evaluated in the page) is truthy. page.waitForFunction would
 * evaluate it with eval, which the dashboard's Content-Security-Policy forbids, as it should.
 */
export async function waitForPage(page: Page, expression: string, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${expression})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface DashboardFixture {
  browser: Browser;
  broker: DashboardBroker;
  /** mosquitto_pub/sub runs, killed when the file ends. */
  children: Children;
}

/**
 * One browser and one broker (with an administrator root / root@123++) for a test file: started in
 * its `before`, stopped in its `after`. The fields are there once `before` has run.
 */
export function dashboardFixture(options: BrokerOptions = {}): DashboardFixture {
  const fixture = { children: new Children() } as DashboardFixture;
  before(async () => {
    fixture.browser = await launchBrowser();
    fixture.broker = await startDashboardBroker(options);
    await fixture.broker.adminToken('root', 'root@123++');
  });
  after(async () => {
    await fixture.children.killAll();
    await fixture.browser?.close();
    await fixture.broker?.close();
  });
  return fixture;
}
