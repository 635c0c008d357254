// The dashboard's MQTT client page in headless Chromium: MQTT.js' browser build over the broker's
// WebSocket listener (offered from GET /api/v5/listeners), subscribing and showing what mosquitto_pub
// publishes, publishing what mosquitto_sub receives, MQTT 5 properties on the way out, and a second
// connection (MQTT 3.1.1) open at the same time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subscribedOrExited, subscriptionOf } from '../helpers/interop.js';
import { dashboardFixture, logIn, openPage, screenshot, waitForPage } from './dashboard-helpers.js';

const fixture = dashboardFixture({ allowAnonymous: true });

test('mqtt client page - connects over ws, shows what mosquitto_pub publishes, publishes what mosquitto_sub receives; two connections at once', async () => {
  const { page, problems, close } = await openPage(fixture.browser);
  try {
    await logIn(page, fixture.broker.api, 'root', 'root@123++', '/mqtt');
    const form = page.getByRole('form', { name: 'New connection' });
    // The URL offered is the broker's own ws listener
    await waitForPage(page, `document.querySelector('input[name=url]').value === ${JSON.stringify(fixture.broker.wsUrl)}`, 'the ws listener URL');
    await form.getByLabel('Client id').fill('dash-v5');
    await form.getByRole('button', { name: 'Connect' }).click();
    const panel = page.getByRole('region', { name: 'Connection dash-v5' });
    await panel.locator('[data-state=connected]').waitFor();
    assert.ok(fixture.broker.broker.registry.get('dash-v5') !== undefined, 'the broker has the session');

    // Subscribe in the page; the broker holds the subscription; mosquitto_pub's message shows up
    const subscribed = subscriptionOf(fixture.broker.broker, 'dash-v5');
    const subscribe = panel.getByRole('form', { name: 'Subscribe' });
    await subscribe.getByLabel('Topic filter').fill('dash/in/#');
    await subscribe.getByLabel('QoS').selectOption('1');
    await subscribe.getByRole('button', { name: 'Subscribe' }).click();
    const event = await subscribed;
    assert.deepEqual([event.subscription.topicFilter, event.grantedQoS], ['dash/in/#', 1]);
    await panel.getByRole('list', { name: 'Subscriptions' }).getByText('dash/in/#').waitFor();

    await fixture.children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-V', 'mqttv311', '-i', 'mpub', '-q', '1', '-t', 'dash/in/kitchen', '-m', '{"temperature":21.5}']).succeeded();
    const received = panel.locator('li.message[data-direction=in][data-topic="dash/in/kitchen"]');
    await received.waitFor();
    assert.match(await received.innerText(), /QoS 1/);
    await received.getByRole('button').click();
    // A JSON payload opens pretty-printed; hex is one click away
    assert.equal(await received.locator('pre.payload-text').innerText(), '{\n  "temperature": 21.5\n}');
    await screenshot(page, 'mqtt-client');
    await received.getByRole('button', { name: 'Hex' }).click();
    assert.match(await received.locator('pre.payload-text').innerText(), /^00000000 {2}7b 22 74 65/);

    // Publish from the page with MQTT 5 properties; mosquitto_sub (MQTT 5) receives payload and content type
    const sub = fixture.children.start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-V', 'mqttv5', '-i', 'msub', '-q', '1', '-t', 'dash/out', '-C', '1', '-W', '10', '-F', '%t|%q|%p', '-v']);
    await subscribedOrExited(fixture.broker.broker, 'msub', sub);
    const publish = panel.getByRole('form', { name: 'Publish' });
    await publish.getByLabel('Topic', { exact: true }).fill('dash/out');
    await publish.getByLabel('Payload', { exact: true }).fill('from the browser');
    await publish.getByLabel('QoS').selectOption('1');
    await publish.getByText('MQTT 5 properties').click();
    await publish.getByLabel('Content type').fill('text/plain');
    const published = new Promise<{ contentType: unknown }>((resolve) => {
      const listener = ({ message }: { message: { topic: string; properties: { contentType?: unknown } } }): void => {
        if (message.topic !== 'dash/out') return;
        fixture.broker.broker.off('message.published', listener);
        resolve({ contentType: message.properties.contentType });
      };
      fixture.broker.broker.on('message.published', listener);
    });
    await publish.getByRole('button', { name: 'Publish' }).click();
    assert.equal((await sub.succeeded()).stdout, 'dash/out|1|from the browser\n');
    assert.deepEqual(await published, { contentType: 'text/plain' });
    await panel.locator('li.message[data-direction=out][data-topic="dash/out"]').waitFor();

    // A second connection, MQTT 3.1.1, alongside the first
    await page.getByRole('button', { name: 'New connection' }).click();
    await form.getByLabel('MQTT version').selectOption('4');
    await form.getByLabel('Client id').fill('dash-v311');
    await form.getByRole('button', { name: 'Connect' }).click();
    await page.getByRole('region', { name: 'Connection dash-v311' }).locator('[data-state=connected]').waitFor();
    const tabs = page.getByRole('tablist', { name: 'Connections' }).getByRole('tab');
    assert.deepEqual((await tabs.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim()), ['dash-v5 (connected)', 'dash-v311 (connected)']);
    assert.ok(fixture.broker.broker.registry.get('dash-v5') !== undefined && fixture.broker.broker.registry.get('dash-v311') !== undefined);

    // The first connection kept running meanwhile, and still receives
    await tabs.first().click();
    await fixture.children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fixture.broker.port), '-i', 'mpub2', '-t', 'dash/in/hall', '-m', 'still here']).succeeded();
    await panel.locator('li.message[data-topic="dash/in/hall"]').waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});
