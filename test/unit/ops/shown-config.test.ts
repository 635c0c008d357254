// The configuration as the API shows it: file spelling, and secrets masked by key name in any section
// (including sections other modules add), in HTTP header values and in URL passwords.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, shownConfig } from '../../../src/internal.js';

test('shown config - snake_case keys, file type names, secrets masked wherever they are; password_hash and token_ttl are not secrets', () => {
  const config = {
    ...defaultConfig(),
    listeners: [{ type: 'tls' as const, host: '::', port: 8883, certFile: 'c.pem', keyFile: 'k.pem', keyPassphrase: 'tls-pass', sni: [{ servername: 'a', certFile: 'a.pem', keyFile: 'a.key', keyPassphrase: 'sni-pass' }] }],
    authentication: [
      { type: 'passwordFile' as const, file: '/etc/passwords' },
      { type: 'http' as const, url: 'https://u:url-pass@auth.example/check', headers: { 'X-Api-Key': 'header-pass' } },
    ],
    management: { listeners: [{ host: '127.0.0.1', port: 18083, keyPassphrase: 'api-pass' }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 600, metricsAuth: false },
  };
  // A section some other module adds, with database credentials.
  const shown = shownConfig({ ...config, rules: { connectors: [{ name: 'pg', dbPassword: 'db-pass', username: 'app', credentials: { user: 'x' } }] } });
  const text = JSON.stringify(shown);
  for (const secret of ['tls-pass', 'sni-pass', 'url-pass', 'header-pass', 'api-pass', 'db-pass', '"user":"x"']) assert.ok(!text.includes(secret), `${secret} is shown`);
  assert.deepEqual((shown['listeners'] as object[])[0], {
    type: 'tls', host: '::', port: 8883, cert_file: 'c.pem', key_file: 'k.pem', key_passphrase: '******',
    sni: [{ servername: 'a', cert_file: 'a.pem', key_file: 'a.key', key_passphrase: '******' }],
  });
  assert.deepEqual(shown['authentication'], [
    { type: 'password_file', file: '/etc/passwords' },
    { type: 'http', url: 'https://u:******@auth.example/check', headers: { 'X-Api-Key': '******' } },
  ]);
  assert.deepEqual((shown['rules'] as { connectors: object[] }).connectors[0], { name: 'pg', db_password: '******', username: 'app', credentials: '******' });
  assert.equal(shown['password_hash'], 'argon2id');
  assert.equal((shown['management'] as { token_ttl: number }).token_ttl, 600);
  assert.equal(shown['max_qos'], 2);
  assert.deepEqual(shown['acl'], { file: '', default: 'allow', rules: [], disconnect_on_deny: false, cache_size: 1000 });
});
