// createBroker() and new StarlingBroker() check their options with the config file's schema
// (camelCase keys): a bad value or an unknown key throws the ConfigError a config file would get.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/internal.js';
import type { ListenerConfig, LockoutConfig } from '../../../src/internal.js';
import { createBroker, type BrokerOptions } from '../../../src/index.js';
import { StarlingBroker } from '../../../src/internal.js';
import { createLogger } from '../../../src/internal.js';

const logger = createLogger({ logLevel: 'silent', logPretty: false });

/** Asserts that `options` make createBroker (and the constructor) throw a ConfigError for `key` whose message holds `words`. */
function refused(options: unknown, key: string, ...words: string[]): void {
  for (const make of [(o: BrokerOptions) => createBroker(o), (o: BrokerOptions) => new StarlingBroker(o)]) {
    assert.throws(
      () => make({ durability: 'memory', logger, ...(options as BrokerOptions) }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        assert.equal(error.key, key);
        for (const word of [key, ...words]) assert.ok(error.message.includes(word), `"${error.message}" mentions ${word}`);
        return true;
      },
    );
  }
}

describe('createBroker options', () => {
  test('an out-of-range integer names the option and the range', () => {
    refused({ maxInflight: -1 }, 'maxInflight', 'from 1 to 65535', 'got -1', 'createBroker options');
    refused({ maxPacketSize: 0 }, 'maxPacketSize', 'from 1 to 268435455');
    refused({ maxQoS: 3 }, 'maxQoS', 'from 0 to 2');
  });

  test('a wrong type or enum value is refused', () => {
    refused({ maxInflight: '32' }, 'maxInflight', 'got "32"');
    refused({ retainAvailable: 'yes' }, 'retainAvailable', 'true or false');
    refused({ durability: 'fast' }, 'durability', 'sync, batched, memory');
    refused({ sharedSubscriptionStrategy: 'roundRobin' }, 'sharedSubscriptionStrategy', 'round_robin');
  });

  test('an unknown key is refused, with the likely one', () => {
    refused({ maxInflite: 10 }, 'maxInflite', 'unknown option', 'did you mean maxInflight?');
    refused({ max_inflight: 10 }, 'max_inflight', 'camelCase: maxInflight');
  });

  test('nested listeners, authentication and sections use camelCase keys and are checked', () => {
    refused({ listeners: [{ type: 'tcp' }] }, 'listeners[0].port', 'required');
    refused({ listeners: [{ type: 'tcp', port: 0, allow_anonymous: true }] }, 'listeners[0].allow_anonymous', 'did you mean allowAnonymous?');
    refused({ listeners: [{ type: 'tcp', port: 0, path: '/mqtt' }] }, 'listeners[0].path', 'only for ws/wss');
    refused({ authentication: [{ type: 'jwt' }] }, 'authentication[0]', 'exactly one of secret, publicKeyFile, jwksUrl');
    refused({ lockout: { maxFailures: -1 } }, 'lockout.maxFailures');
    refused({ acl: { rules: [{ permission: 'allow', action: 'write', topic: '#' }] } }, 'acl.rules[0].action', 'publish, subscribe, all');
    refused({ bans: [{ username: 'eve', address: '10.0.0.1' }] }, 'bans[0]', 'exactly one of');
  });

  test('good options pass; partial sections are completed from the defaults; logger stays allowed', async () => {
    const broker = createBroker({
      durability: 'memory',
      logger,
      maxInflight: 10,
      allowAnonymous: undefined, // undefined means unset, as before
      // The types ask for whole objects; the check completes partial ones from the defaults, as in a file.
      listeners: [{ type: 'tcp', port: 0, allowAnonymous: true } as ListenerConfig],
      lockout: { maxFailures: 3 } as LockoutConfig,
      authentication: [{ type: 'builtin' }],
    });
    assert.equal(broker.config.maxInflight, 10);
    assert.equal(broker.config.allowAnonymous, undefined);
    assert.equal((broker as StarlingBroker).logger, logger);
    assert.deepEqual(broker.config.listeners, [{ type: 'tcp', host: '::', port: 0, allowAnonymous: true }]);
    assert.deepEqual(broker.config.lockout, { maxFailures: 3, window: 60, duration: 300 });
    await broker.close();
  });

  test('no options at all still gives the defaults', async () => {
    const broker = createBroker({ durability: 'memory', logger });
    assert.equal(broker.config.maxInflight, 32);
    await broker.close();
  });
});
