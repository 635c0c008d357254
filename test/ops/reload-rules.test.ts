// Rules and connectors in the config file follow a reload: a new rule republishes at once, a changed
// one takes its new SQL (keeping its metrics), a removed one stops; a rule whose SQL does not parse
// keeps the whole running configuration and the answer names it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startReloadable } from './reloadable.js';

test('reload - rules in the file: added, changed and removed live; a broken one is refused naming rules.<id>.sql', async () => {
  const base = { allow_anonymous: true };
  const server = await startReloadable(base);
  const token = await server.adminToken();
  const subscriber = await mqtt.connectAsync(server.url, { clientId: 'watcher', reconnectPeriod: 0 });
  const publisher = await mqtt.connectAsync(server.url, { clientId: 'sensor', reconnectPeriod: 0 });
  try {
    const received: string[] = [];
    subscriber.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await subscriber.subscribeAsync('out/#', { qos: 1 });
    const reload = async (rules: Record<string, unknown>): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      await server.write({ ...base, rules });
      return server.call('POST', '/api/v5/configs/reload', { token });
    };
    /** Publishes in/<n> with {"v": n} and waits until the marker message from the same publisher arrives (order is kept). */
    const roundTrip = async (n: number): Promise<void> => {
      await publisher.publishAsync(`in/${n}`, JSON.stringify({ v: n }), { qos: 1 });
      await publisher.publishAsync(`out/marker`, String(n), { qos: 1 });
      const deadline = Date.now() + 10_000;
      while (!received.includes(`out/marker ${n}`)) {
        if (Date.now() > deadline) throw new Error(`marker ${n} not received: ${JSON.stringify(received)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const republish = (sql: string) => ({ sql, actions: [{ function: 'republish', args: { topic: 'out/${topic}', payload: '${v}', qos: 1 } }] });

    const added = await reload({ copy: republish('SELECT payload.v AS v, topic FROM "in/#"') });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.applied, ['rules']);
    await roundTrip(1);
    assert.ok(received.includes('out/in/1 1'), JSON.stringify(received));

    const changed = await reload({ copy: republish('SELECT payload.v AS v, topic FROM "in/#" WHERE payload.v > 5') });
    assert.equal(changed.status, 200);
    await roundTrip(2);
    await roundTrip(7);
    assert.ok(!received.includes('out/in/2 2') && received.includes('out/in/7 7'), JSON.stringify(received));
    assert.equal(server.broker.rules.engine.get('copy')!.metrics.matched, 3, 'the changed rule kept its metrics');

    const broken = await reload({ copy: republish('SELECT payload.v AS v FROM "in/#" WHERE') });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.code, 'INVALID_CONFIG');
    assert.match(broken.body.message, /^rules\.copy\.sql/);
    await roundTrip(8);
    assert.ok(received.includes('out/in/8 8'), 'the running rule stays');

    const removed = await reload({});
    assert.equal(removed.status, 200);
    await roundTrip(9);
    assert.ok(!received.includes('out/in/9 9'));
    assert.equal(server.broker.rules.engine.get('copy'), undefined);
  } finally {
    await subscriber.endAsync();
    await publisher.endAsync();
    await server.close();
  }
});
