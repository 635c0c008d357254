// ACL: rule matching and placeholders (unit), then every rule type over real connections with
// MQTT.js 3.1.1 and 5 and mosquitto_pub/mosquitto_sub; the rules file and store rules reload.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AclRuleSet, covers, overlaps } from '../../src/internal.js';
import { DecisionCache } from '../../src/internal.js';
import { bumpGeneration } from '../../src/internal.js';
import type { AclRuleConfig } from '../../src/internal.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record } from '../helpers/client-pool.js';
import { Children } from '../helpers/interop.js';
import { waitFor } from '../helpers/wait.js';
import { subscribeCodes } from './clients.js';

const split = (filter: string): string[] => filter.split('/');

describe('acl - matching', () => {
  test('acl - an allow rule covers a subscription only if it matches every topic the subscription can', () => {
    assert.equal(covers(split('a/#'), split('a/+/b')), true);
    assert.equal(covers(split('a/#'), split('a')), true);
    assert.equal(covers(split('a/+'), split('a/#')), false);
    assert.equal(covers(split('a/+'), split('a/b')), true);
    assert.equal(covers(split('a/b'), split('a/+')), false);
    assert.equal(covers(split('#'), split('$SYS/x')), false);
  });

  test('acl - a deny rule catches any subscription that overlaps it', () => {
    assert.equal(overlaps(split('secret/#'), split('#')), true);
    assert.equal(overlaps(split('secret/#'), split('+/x')), true);
    assert.equal(overlaps(split('secret/#'), split('public/#')), false);
    assert.equal(overlaps(split('a/b'), split('a/b/c')), false);
    assert.equal(overlaps(split('a/#'), split('a')), true);
  });

  test('acl - placeholders %u, %c and ${cert_cn} are expanded per client; a missing value drops an allow rule', () => {
    const rules: AclRuleConfig[] = [
      { permission: 'allow', action: 'publish', topic: 'users/%u/#' },
      { permission: 'allow', action: 'publish', topic: 'clients/%c' },
      { permission: 'allow', action: 'publish', topic: 'certs/${cert_cn}' },
    ];
    const set = new AclRuleSet(rules, false);
    const alice = set.forClient({ clientId: 'c1', username: 'alice', certCommonName: 'dev-1' });
    assert.equal(alice.mayPublish('users/alice/x'), true);
    assert.equal(alice.mayPublish('users/bob/x'), false);
    assert.equal(alice.mayPublish('clients/c1'), true);
    assert.equal(alice.mayPublish('clients/c2'), false);
    assert.equal(alice.mayPublish('certs/dev-1'), true);
    const anonymous = set.forClient({ clientId: 'c2', username: undefined, certCommonName: undefined });
    assert.equal(anonymous.ruleCount, 1);
    assert.equal(anonymous.mayPublish('users/+/x'), false);
    // A username with wildcards must not widen an allow rule
    const sneaky = set.forClient({ clientId: 'c3', username: '#', certCommonName: undefined });
    assert.equal(sneaky.mayPublish('users/anyone/x'), false);
  });

  test('acl - first match wins, per-user and per-client rules apply only to their client', () => {
    const set = new AclRuleSet(
      [
        { permission: 'deny', action: 'all', topic: 'x/private', username: 'guest' },
        { permission: 'allow', action: 'all', topic: 'x/#' },
        { permission: 'allow', action: 'publish', topic: 'only/me', clientId: 'me' },
      ],
      false,
    );
    const guest = set.forClient({ clientId: 'g', username: 'guest', certCommonName: undefined });
    const other = set.forClient({ clientId: 'me', username: 'other', certCommonName: undefined });
    assert.equal(guest.mayPublish('x/private'), false);
    assert.equal(guest.mayPublish('x/public'), true);
    assert.equal(other.mayPublish('x/private'), true);
    assert.equal(other.mayPublish('only/me'), true);
    assert.equal(guest.mayPublish('only/me'), false);
  });

  test('acl - the decision cache is bounded', () => {
    const cache = new DecisionCache(3);
    for (let index = 0; index < 10; index++) cache.set(`t/${index}`, true);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('t/9'), true);
    assert.equal(cache.get('t/0'), undefined);
  });
});

const rules: AclRuleConfig[] = [
  { permission: 'allow', action: 'all', topic: '#', username: 'admin' },
  { permission: 'deny', action: 'all', topic: 'secret/#' },
  { permission: 'allow', action: 'publish', topic: 'sensors/%c/#' },
  { permission: 'allow', action: 'subscribe', topic: 'cmd/%u/#' },
  { permission: 'allow', action: 'all', topic: 'public/#' },
  { permission: 'allow', action: 'publish', topic: 'vip/in', clientId: 'vip-client' },
];

describe('acl - over real connections', () => {
  let server: TestBroker;
  const children = new Children();
  before(async () => {
    server = await startBroker({ acl: { file: '', default: 'deny', rules, disconnectOnDeny: false, cacheSize: 100 } });
  });
  after(async () => {
    await children.killAll();
    await server.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';

    test(`acl - ${v} publish allowed by a %c rule is delivered, a denied one is dropped (v5 PUBACK 0x87)`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const watcher = await pool.connect({ protocolVersion, clientId: `watch-${v}`, username: 'admin' });
        const received = record(watcher);
        await watcher.subscribeAsync('#', { qos: 1 });
        const device = await pool.connect({ protocolVersion, clientId: `dev-${v}`, username: 'device' });
        await device.publishAsync(`sensors/dev-${v}/temp`, 'ok', { qos: 1 });
        await messageOn(received, `sensors/dev-${v}/temp`, 'ok');

        const puback = await device.publishAsync(`sensors/other/temp`, 'nope', { qos: 1 }).catch((error: { code?: number }) => error);
        if (protocolVersion === 5) assert.equal((puback as { code?: number } | undefined)?.code ?? (puback as { reasonCode?: number })?.reasonCode, 0x87);
        await device.publishAsync('secret/x', 'nope', { qos: 0 });
        // An allowed marker after the denied ones: once it arrives, the denied ones would have too.
        await device.publishAsync('public/marker', 'm', { qos: 1 });
        await messageOn(received, 'public/marker', 'm');
        assert.deepEqual(received.filter((message) => message.payload === 'nope'), []);
      } finally {
        await pool.closeAll();
      }
    });

    test(`acl - ${v} a denied filter gets ${protocolVersion === 5 ? '0x87' : '0x80'} in SUBACK, the others are granted`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const client = await pool.connect({ protocolVersion, clientId: `sub-${v}`, username: 'carol' });
        const granted = await subscribeCodes(client, { 'cmd/carol/#': { qos: 1 }, 'cmd/dave/#': { qos: 1 }, '#': { qos: 0 }, 'public/+': { qos: 0 } });
        assert.deepEqual(
          granted,
          [1, protocolVersion === 5 ? 0x87 : 0x80, protocolVersion === 5 ? 0x87 : 0x80, 0],
        );
      } finally {
        await pool.closeAll();
      }
    });
  }

  test('acl - a per-client rule applies to that client id only', async () => {
    const pool = new ClientPool(server.url);
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'watch-vip', username: 'admin' });
      const received = record(watcher);
      await watcher.subscribeAsync('vip/#', { qos: 1 });
      const vip = await pool.connect({ protocolVersion: 5, clientId: 'vip-client' });
      await vip.publishAsync('vip/in', 'yes', { qos: 1 });
      await messageOn(received, 'vip/in', 'yes');
      const other = await pool.connect({ protocolVersion: 5, clientId: 'not-vip' });
      const refused = await other.publishAsync('vip/in', 'no', { qos: 1 }).catch((error: { code?: number }) => error);
      assert.equal((refused as { code?: number }).code, 0x87);
    } finally {
      await pool.closeAll();
    }
  });

  test('acl - retained messages on topics the client may not receive are not sent', async () => {
    const pool = new ClientPool(server.url);
    // An embedder's hook lets 'bridge' subscribe to anything; receiving still follows the ACL.
    const remove = server.broker.addHook('authorizeSubscribe', (request) => (request.client.clientId === 'bridge' ? true : undefined), { priority: 10 });
    try {
      const admin = await pool.connect({ protocolVersion: 5, clientId: 'retain-admin', username: 'admin' });
      await admin.publishAsync('secret/plans', 'hidden', { qos: 1, retain: true });
      await admin.publishAsync('public/news', 'shown', { qos: 1, retain: true });
      const { client, received } = await pool.connectRecording({ protocolVersion: 5, clientId: 'bridge' });
      const granted = await client.subscribeAsync(['secret/#', 'public/#'], { qos: 1 });
      assert.deepEqual(granted.map((grant) => grant.qos), [1, 1]);
      await messageOn(received, 'public/news', 'shown');
      // The retained messages of both filters are sent in SUBSCRIBE order: a ping round trip later, nothing else came.
      await client.publishAsync('public/after', 'x', { qos: 1 });
      await messageOn(received, 'public/after', 'x');
      assert.equal(received.some((message) => message.topic === 'secret/plans'), false);
    } finally {
      remove();
      await pool.closeAll();
    }
  });

  test('acl - mosquitto_pub: an allowed publish is delivered, a denied one is not', async () => {
    const pool = new ClientPool(server.url);
    try {
      const watcher = await pool.connect({ protocolVersion: 5, clientId: 'watch-mosq', username: 'admin' });
      const received = record(watcher);
      await watcher.subscribeAsync('#', { qos: 1 });
      const port = String(server.port);
      const denied = children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-i', 'mosq-pub', '-q', '1', '-t', 'secret/m', '-m', 'nope']);
      await denied.exited;
      const deniedV5 = await children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-i', 'mosq-pub', '-q', '1', '-t', 'secret/m', '-m', 'nope']).exited;
      assert.match(deniedV5.stderr + deniedV5.stdout, /Not authorized/);
      await children.start('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-i', 'mosq-pub', '-q', '1', '-t', 'sensors/mosq-pub/t', '-m', 'yes']).succeeded();
      await messageOn(received, 'sensors/mosq-pub/t', 'yes');
      assert.equal(received.some((message) => message.topic === 'secret/m'), false);
    } finally {
      await pool.closeAll();
    }
  });

  test('acl - mosquitto_sub: a denied subscription is refused', async () => {
    const run = children.start('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(server.port), '-V', 'mqttv5', '-i', 'mosq-sub', '-t', 'secret/#', '-C', '1', '-W', '5']);
    const exit = await run.exited;
    assert.match(exit.stderr + exit.stdout, /All subscription requests were denied/);
  });
});

describe('acl - reloading', () => {
  test('acl - the rules file is reloaded when it changes; store rules apply after a generation bump', async () => {
    const server = await startBroker();
    await server.close();
    const file = join(server.dataDir + '-acl.yaml');
    writeFileSync(file, '- {permission: allow, action: all, topic: "open/#"}\n');
    const broker = await startBroker({ acl: { file, default: 'deny', rules: [], disconnectOnDeny: true, cacheSize: 10 } });
    const pool = new ClientPool(broker.url);
    try {
      const first = await pool.connect({ protocolVersion: 5, clientId: 'reload-1' });
      assert.deepEqual(await subscribeCodes(first, 'later/x'), [0x87]);
      const generation = broker.broker.authorization!.generation;
      writeFileSync(file, 'rules:\n  - {permission: allow, action: all, topic: "later/#"}\n');
      await waitFor(() => broker.broker.authorization!.generation > generation, 'the file reload', 20_000);
      assert.deepEqual(await subscribeCodes(first, 'later/x'), [0]);

      // Rules in the store (what `starling ctl acl add` writes), seen through the generation record
      const records = broker.broker.authorization!.records;
      records.save('acl', 'rule:0001', { permission: 'allow', action: 'all', topic: 'stored/#' });
      bumpGeneration(records, 'acl');
      const before = broker.broker.authorization!.generation;
      await waitFor(() => broker.broker.authorization!.generation > before, 'the store rules', 20_000);
      assert.deepEqual(await subscribeCodes(first, 'stored/x'), [0]);

      // disconnect_on_deny: a denied PUBLISH closes the connection (MQTT 5 DISCONNECT 0x87)
      const closed = new Promise<number | undefined>((resolve) => first.once('disconnect', (packet) => resolve(packet.reasonCode)));
      first.publish('nowhere', 'x', { qos: 0 });
      assert.equal(await closed, 0x87);
    } finally {
      await pool.closeAll();
      await broker.close();
    }
  });

  test('acl - with no rules and an allow default no authorization hook is registered (hot path untouched)', async () => {
    const broker = await startBroker();
    try {
      assert.equal(broker.broker.core.hooks.has('authorizePublish'), false);
      assert.equal(broker.broker.authorization!.aclActive, false);
    } finally {
      await broker.close();
    }
  });
});
