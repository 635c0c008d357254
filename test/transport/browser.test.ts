// The browser path end to end: headless Chromium (Debian's, driven by playwright-core) loads
// MQTT.js's browser bundle from a page served on 127.0.0.1, connects over ws://, subscribes,
// publishes, and the message comes back; Node checks it on both sides.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Message } from '../../src/index.js';
import { startTransportBroker } from './transport-broker.js';

const CHROMIUM = '/usr/bin/chromium';
const BUNDLE = fileURLToPath(new URL('../../../node_modules/mqtt/dist/mqtt.min.js', import.meta.url));
// In CI the browser must be there (.ci/run installs it); elsewhere its absence skips this one test.
const skip = !existsSync(CHROMIUM) && !process.env['CI'] ? `${CHROMIUM} is missing (apt-get install chromium); set CI to make this a failure` : false;

const PAGE = `<!doctype html><meta charset="utf-8"><title>starling browser test</title>
<script src="/mqtt.min.js"></script>
<script>
window.roundTrip = (url) => new Promise((resolve, reject) => {
  const client = mqtt.connect(url, { clientId: 'browser-1', reconnectPeriod: 0 });
  client.on('error', (error) => reject(String(error)));
  client.on('connect', () => {
    client.subscribe('browser/echo', { qos: 1 }, (error) => {
      if (error) return reject(String(error));
      client.publish('browser/echo', 'hello from ' + navigator.userAgent.split(' ')[0], { qos: 1 });
    });
  });
  client.on('message', (topic, payload) => {
    client.end();
    resolve({ topic, payload: new TextDecoder().decode(payload) });
  });
});
</script>`;

test('browser - headless Chromium with MQTT.js connects over ws, subscribes, publishes and receives', { skip, timeout: 30_000 }, async () => {
  assert.ok(existsSync(BUNDLE), `MQTT.js browser bundle at ${BUNDLE}`);
  const bundle = await readFile(BUNDLE);
  const server = await startTransportBroker([{ type: 'ws' }]);
  const pages: Server = createServer((request, response) => {
    if (request.url === '/mqtt.min.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
    } else {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(pages.address() as AddressInfo).port}/`);
    const published = new Promise<Message>((resolve) => {
      const listener = ({ message }: { message: Message }): void => {
        if (message.topic !== 'browser/echo') return;
        server.broker.off('message.published', listener);
        resolve(message);
      };
      server.broker.on('message.published', listener);
    });
    const result = await page.evaluate((url) => (globalThis as unknown as { roundTrip(url: string): Promise<{ topic: string; payload: string }> }).roundTrip(url), `ws://127.0.0.1:${server.ports[0]}/mqtt`);
    assert.equal(result.topic, 'browser/echo');
    assert.match(result.payload, /^hello from Mozilla/);
    const message = await published;
    assert.equal(message.topic, 'browser/echo');
    assert.equal(message.payload.toString(), result.payload, 'the broker routed what the browser sent');
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => pages.close(() => resolve()));
    await server.close();
  }
});
