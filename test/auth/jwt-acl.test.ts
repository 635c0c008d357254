// JWT claims in ACL rules, over real MQTT.js 3.1.1 and 5 connections with tokens signed here (jose):
// `${jwt.<claim>}` placeholders (string claims only, nested with dots, a value holding + # / grants
// nothing), and the `acl_claim` ({pub, sub, all}) granting topics before the configured rules, with
// the configured default still answering for everything else; a malformed ACL claim refuses CONNECT.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type mqtt from 'mqtt';
import { SignJWT } from 'jose';
import { AclRuleSet } from '../../src/internal.js';
import { parseAclClaim } from '../../src/internal.js';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { ClientPool, messageOn, record, type Received } from '../helpers/client-pool.js';
import { connackCode, pubackCode, subscribeCodes } from './clients.js';

const secret = 'a shared secret of sufficient length!';

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
}

test('jwt acl - ${jwt.<claim>} expands string claims (nested with dots) and never a value with wildcards or a non-string', () => {
  const set = new AclRuleSet(
    [
      { permission: 'allow', action: 'publish', topic: 'devices/${jwt.device}/#' },
      { permission: 'allow', action: 'subscribe', topic: 'tenants/${jwt.org.tenant}/#' },
    ],
    false,
  );
  const base = { clientId: 'c', username: 'u', certCommonName: undefined };
  const good = set.forClient({ ...base, jwtClaims: { device: 'd1', org: { tenant: 'acme' } } });
  assert.equal(good.mayPublish('devices/d1/temp'), true);
  assert.equal(good.mayPublish('devices/d2/temp'), false);
  assert.equal(good.maySubscribe('tenants/acme/#'), true);
  assert.equal(good.maySubscribe('tenants/other/#'), false);
  for (const device of ['+', '#', 'a/b', 42, { x: 1 }, undefined]) {
    const client = set.forClient({ ...base, jwtClaims: { device } });
    assert.equal(client.mayPublish('devices/d1/temp'), false, JSON.stringify(device));
    assert.equal(client.mayPublish('devices/+/temp'), false, JSON.stringify(device));
  }
  assert.equal(set.forClient(base).ruleCount, 0, 'no token: the placeholder rules do not apply');
});

test('jwt acl - the ACL claim: pub, sub and all lists; anything else is an error naming the claim', () => {
  assert.deepEqual(parseAclClaim({ pub: ['a/#'], sub: ['b/+'], all: ['c'] }, 'acl'), { publish: ['a/#', 'c'], subscribe: ['b/+', 'c'] });
  assert.deepEqual(parseAclClaim({}, 'acl'), { publish: [], subscribe: [] });
  assert.match(parseAclClaim(['a'], 'acl') as string, /acl claim must be an object/);
  assert.match(parseAclClaim({ pub: 'a/#' }, 'acl') as string, /acl\.pub must be a list/);
  assert.match(parseAclClaim({ publish: ['a'] }, 'acl') as string, /unknown key "publish"/);
  assert.match(parseAclClaim({ sub: ['a/#/b'] }, 'acl') as string, /'#' must be a whole last level/);
  assert.match(parseAclClaim({ sub: [7] }, 'acl') as string, /not a string/);
});

describe('jwt acl - over real connections', () => {
  let server: TestBroker;
  before(async () => {
    server = await startBroker({
      authentication: [{ type: 'jwt', secret, aclClaim: 'acl' }],
      acl: {
        file: '',
        default: 'deny',
        disconnectOnDeny: false,
        cacheSize: 100,
        rules: [
          { permission: 'deny', action: 'all', topic: 'granted/#' }, // the claim's grants come before this
          { permission: 'allow', action: 'publish', topic: 'devices/${jwt.device}/#' },
          { permission: 'allow', action: 'subscribe', topic: 'tenants/${jwt.org.tenant}/#' },
        ],
      },
    });
  });
  after(async () => {
    await server.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    const v = protocolVersion === 5 ? 'v5' : 'v3.1.1';
    const denied = protocolVersion === 5 ? 0x87 : 0x80;

    test(`jwt acl - ${v} publish: claim placeholders and grants allow, the default denies the rest`, async () => {
      const pool = new ClientPool(server.url);
      try {
        // A superuser claim bypasses every rule: the watcher may subscribe to '#'.
        const watcher = await pool.connect({ protocolVersion, clientId: `watch-${v}`, username: 'w', password: await token({ is_superuser: true }) });
        const received = record(watcher);
        assert.deepEqual(await subscribeCodes(watcher, ['#']), [0]);
        const password = await token({ device: 'd1', org: { tenant: 'acme' }, acl: { pub: ['granted/pub/#'], sub: ['granted/sub/+'], all: ['granted/all'] } });
        const device = await pool.connect({ protocolVersion, clientId: `dev-${v}`, username: 'd', password });
        const attempts = ['devices/d1/temp', 'granted/pub/x', 'granted/all', 'devices/d2/temp', 'granted/sub/x', 'other/x'];
        const codes: number[] = [];
        for (const topic of attempts) codes.push(await pubackCode(device, topic, topic));
        if (protocolVersion === 5) assert.deepEqual(codes, [0, 0, 0, 0x87, 0x87, 0x87]);
        await device.publishAsync('devices/d1/marker', 'end', { qos: 1 });
        await messageOn(received, 'devices/d1/marker', 'end');
        assert.deepEqual(topicsOf(received, 'devices/d1/marker'), ['devices/d1/temp', 'granted/pub/x', 'granted/all']);
      } finally {
        await pool.closeAll();
      }
    });

    test(`jwt acl - ${v} subscribe: grants and \${jwt.org.tenant} allow, others get ${denied === 0x87 ? '0x87' : '0x80'}`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const password = await token({ device: 'd1', org: { tenant: 'acme' }, acl: { pub: ['granted/pub/#'], sub: ['granted/sub/+'], all: ['granted/all'] } });
        const client = await pool.connect({ protocolVersion, clientId: `sub-${v}`, username: 's', password });
        assert.deepEqual(await subscribeCodes(client, ['granted/sub/+', 'granted/all', 'tenants/acme/#', 'granted/pub/#', 'tenants/other/#', 'granted/#']), [0, 0, 0, denied, denied, denied]);
        // Without the claim, the configured deny rule on granted/# answers.
        const plain = await pool.connect({ protocolVersion, clientId: `plain-${v}`, username: 'p', password: await token({ org: { tenant: 'acme' } }) });
        assert.deepEqual(await subscribeCodes(plain, ['granted/sub/x', 'tenants/acme/x']), [denied, 0]);
      } finally {
        await pool.closeAll();
      }
    });

    test(`jwt acl - ${v} a claim value holding wildcards does not widen the rule; a malformed ACL claim refuses CONNECT`, async () => {
      const pool = new ClientPool(server.url);
      try {
        const watcher = await pool.connect({ protocolVersion, clientId: `w2-${v}`, username: 'w', password: await token({ is_superuser: true }) });
        const received = record(watcher);
        await watcher.subscribeAsync('#', { qos: 1 });
        const sneaky = await pool.connect({ protocolVersion, clientId: `sneaky-${v}`, username: 'x', password: await token({ device: '+', org: { tenant: '#' } }) });
        await sneaky.publishAsync('devices/d1/temp', 'sneaky', { qos: 1 }).catch(() => undefined);
        assert.deepEqual(await subscribeCodes(sneaky, ['tenants/acme/x']), [denied]);
        await watcher.publishAsync('public/marker', 'm', { qos: 1 });
        await messageOn(received, 'public/marker', 'm');
        assert.equal(received.some((message) => message.payload === 'sneaky'), false);
        const malformed = await token({ acl: { pub: 'granted/#' } });
        assert.equal((await connackCode(server.url, { protocolVersion, clientId: `bad-${v}`, username: 'b', password: malformed })).code, protocolVersion === 5 ? 0x87 : 5);
      } finally {
        await pool.closeAll();
      }
    });
  }
});

/** Topics received before the marker, in order. */
function topicsOf(received: Received[], marker: string): string[] {
  const end = received.findIndex((message) => message.topic === marker);
  return received.slice(0, end).map((message) => message.topic);
}
