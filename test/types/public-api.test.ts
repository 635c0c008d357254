// Pins the public API: what an embedder gets from 'starling' (src/index.ts). The compile step of
// `npm test` checks the type assertions; a change of the public surface fails the build here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as starling from '../../src/index.js';
import type { Broker, BrokerEvents, ClientConnectedEvent, LocalClient, Message, MessagePublishedEvent } from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

// The public Broker has exactly these members; internals (core, registry, channels, store...) are not on it.
assertType<
  Equal<
    keyof Broker,
    'config' | 'metrics' | 'users' | 'listen' | 'start' | 'close' | 'publish' | 'connectLocal' | 'handleConnection' | 'on' | 'off' | 'once' | 'addHook' | 'disconnectClients' | 'reloadCertificates' | 'reload'
  >
>();
assertType<Equal<ReturnType<typeof starling.createBroker>, Broker>>();
assertType<Equal<BrokerEvents['client.connected'], [event: ClientConnectedEvent]>>();
// Every event listener takes one event object.
assertType<Equal<Parameters<Broker['on']>[1] extends (...args: infer A) => void ? A['length'] : never, 1>>();
assertType<Equal<Awaited<ReturnType<Broker['connectLocal']>>, LocalClient>>();
assertType<Equal<MessagePublishedEvent['message'], Message>>();
assertType<Equal<Message['id'], number>>();

function internalsAreHidden(broker: Broker): void {
  // @ts-expect-error the broker core is internal
  void broker.core;
  // @ts-expect-error the session directory is internal
  void broker.registry;
  // @ts-expect-error the channel supervisor is internal
  void broker.channels;
  // @ts-expect-error metrics are read-only for an embedder
  void broker.metrics.register;
}
void internalsAreHidden;

test('public api - the package entry exports createBroker, ReasonCode, LocalClientError and withChanges, and no implementation classes', () => {
  assert.deepEqual(Object.keys(starling).sort(), ['LocalClientError', 'ReasonCode', 'createBroker', 'withChanges']);
  const broker = starling.createBroker({ durability: 'memory', logLevel: 'silent' });
  for (const member of ['listen', 'start', 'close', 'publish', 'connectLocal', 'handleConnection', 'on', 'off', 'once', 'addHook', 'disconnectClients', 'reloadCertificates', 'reload']) {
    assert.equal(typeof (broker as unknown as Record<string, unknown>)[member], 'function', member);
  }
});
