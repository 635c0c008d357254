// The management listeners: loopback-only unless TLS or allow_insecure_http, HTTPS with the given
// certificate, the first-start administrator (a hint, or a random password with bootstrap_admin), and
// `starling ctl` through a listener with an API key.

import assert from 'node:assert/strict';
import { request } from 'node:https';
import { test } from 'node:test';
import { ConfigError, StarlingBroker, createLogger } from '../../src/internal.js';
import { createPki } from '../helpers/certificates.js';
import { starling } from '../helpers/ctl.js';
import { startManagedBroker } from '../helpers/management.js';
import { recordingLogger } from '../helpers/recording-logger.js';

const management = { allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: false };

test('management listener - plain HTTP on a non-loopback address is refused, naming the key; allow_insecure_http lets it bind with a warning', async () => {
  const refused = new StarlingBroker({ durability: 'memory', logger: createLogger({ logLevel: 'silent', logPretty: false }), management: { ...management, listeners: [{ host: '0.0.0.0', port: 0 }] } });
  await assert.rejects(refused.start(), (error: unknown) => error instanceof ConfigError && error.key === 'management.listeners[0].host' && /clear text/.test(error.message));
  await refused.close();

  const { logger, lines } = recordingLogger();
  const allowed = new StarlingBroker({ durability: 'memory', logger, management: { ...management, allowInsecureHttp: true, listeners: [{ host: '0.0.0.0', port: 0 }] } });
  try {
    await allowed.start();
    assert.equal(allowed.managementAddresses.length, 1);
    assert.ok(lines.some((line) => line['level'] === 40 && /plain HTTP on a non-loopback address/.test(String(line['msg']))));
    const status = await fetch(`http://127.0.0.1:${allowed.managementAddresses[0]!.port}/api/v5/status`);
    assert.equal(status.status, 200);
  } finally {
    await allowed.close();
  }
});

test('management listener - HTTPS with cert_file/key_file may bind any address; the API answers over TLS', async () => {
  const pki = await createPki();
  const broker = new StarlingBroker({
    durability: 'memory',
    logger: createLogger({ logLevel: 'silent', logPretty: false }),
    management: { ...management, listeners: [{ host: '0.0.0.0', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey }] },
  });
  try {
    await broker.start();
    const [address] = broker.managementAddresses;
    assert.equal(address!.type, 'https');
    const { readFileSync } = await import('node:fs');
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port: address!.port, path: '/api/v5/status', ca: readFileSync(pki.caCert), servername: 'localhost' }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /starling is running/);
  } finally {
    await broker.close();
    await pki.remove();
  }
});

test('management listener - first start: no default password; a hint to run ctl admins add, or bootstrap_admin makes admin with a random password logged once', async () => {
  const hint = recordingLogger();
  const plain = await startManagedBroker({ logger: hint.logger });
  try {
    assert.ok(hint.lines.some((line) => /starling ctl admins add/.test(String(line['msg']))));
    assert.equal((await plain.call('POST', '/api/v5/login', { body: { username: 'admin', password: 'public' } })).status, 401);
  } finally {
    await plain.close();
  }

  const boot = recordingLogger();
  const bootstrapped = await startManagedBroker({ logger: boot.logger, management: { ...management, bootstrapAdmin: true, listeners: [{ host: '127.0.0.1', port: 0 }] } });
  try {
    const line = boot.lines.find((entry) => entry['username'] === 'admin' && typeof entry['password'] === 'string');
    assert.ok(line !== undefined, 'the password is logged');
    const login = await bootstrapped.call('POST', '/api/v5/login', { body: { username: 'admin', password: line['password'] } });
    assert.equal(login.status, 200);
    assert.equal(boot.lines.filter((entry) => entry['password'] !== undefined).length, 1);
  } finally {
    await bootstrapped.close();
  }
});

test('ctl --url with --api-key manages a broker through its management listener; a wrong key is a clear error', async () => {
  const b = await startManagedBroker();
  try {
    const token = await b.adminToken();
    const made = await b.call('POST', '/api/v5/api_key', { token, body: { name: 'ctl' } });
    const apiKey = `${made.body.api_key as string}:${made.body.api_secret as string}`;
    const add = await starling(['ctl', 'banned', 'add', 'clientid', 'remote-1', '--url', b.api, '--api-key', apiKey]);
    assert.deepEqual([add.code, add.stdout], [0, 'banned clientid remote-1\n']);
    const list = await starling(['ctl', 'banned', 'list'], { env: { STARLING_API_URL: b.api, STARLING_API_KEY: apiKey } });
    assert.match(list.stdout, /^clientid remote-1 {2}\(permanent\)\n$/);
    const wrong = await starling(['ctl', 'banned', 'list', '--url', b.api, '--api-key', `${made.body.api_key as string}:nope`]);
    assert.deepEqual([wrong.code, wrong.stderr], [1, 'starling ctl: unknown API key, wrong secret, or a disabled or expired key\n']);
    const noKey = await starling(['ctl', 'banned', 'list', '--url', b.api]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /--url needs --api-key/);
  } finally {
    await b.close();
  }
});

test('ctl api_keys - made on a stopped broker\'s data directory, the key works once the broker runs; disable and del through the socket', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-api-keys-'));
  try {
    // A data directory with a store in it: start and stop a broker on it once.
    const first = new StarlingBroker({ dataDir, durability: 'sync', logger: createLogger({ logLevel: 'silent', logPretty: false }) });
    await first.start();
    await first.close();
    const add = await starling(['ctl', 'api_keys', 'add', 'prometheus', '--role', 'viewer', '--description', 'scraper', '--data-dir', dataDir]);
    assert.equal(add.code, 0, add.stderr);
    const [, key, secret] = /^api_key: (\w+)\napi_secret: (\S+)\n$/.exec(add.stdout) ?? [];
    assert.ok(key !== undefined && secret !== undefined, add.stdout);

    const socket = join(dataDir, 'starling.sock');
    const b = await startManagedBroker({ durability: 'sync', adminSocket: socket, dataDir });
    try {
      assert.equal((await b.call('GET', '/api/v5/banned', { apiKey: `${key}:${secret}` })).status, 200);
      const list = await starling(['ctl', 'api_keys', 'list', '--socket', socket]);
      assert.match(list.stdout, new RegExp(`^prometheus  ${key}  viewer  enabled  scraper\\n$`));
      assert.deepEqual([(await starling(['ctl', 'api_keys', 'disable', 'prometheus', '--socket', socket])).stdout], ['ok\n']);
      assert.equal((await b.call('GET', '/api/v5/banned', { apiKey: `${key}:${secret}` })).status, 401);
      assert.equal((await starling(['ctl', 'api_keys', 'del', 'prometheus', '--socket', socket])).stdout, 'ok\n');
      const gone = await starling(['ctl', 'api_keys', 'del', 'prometheus', '--socket', socket]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no API key named prometheus/);
    } finally {
      await b.broker.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
