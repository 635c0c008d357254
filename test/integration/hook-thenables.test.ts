// Hooks answering with a promise-like object that is not a native Promise (Bluebird, query builders,
// another realm) are waited for: a deny is never taken for a synchronous "no answer".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthenticateResult } from '../../src/internal.js';
import { startBroker } from '../helpers/broker.js';
import { connackCode } from '../auth/clients.js';

/** A minimal non-native thenable that settles on the next macrotask. */
function later<T>(value: T): PromiseLike<T> {
  return {
    then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
      return new Promise<T>((resolve) => setImmediate(() => resolve(value))).then(onFulfilled, onRejected);
    },
  };
}

test('hooks - an authenticate hook answering with a non-native thenable is waited for (deny and allow)', async () => {
  const server = await startBroker({ allowAnonymous: true });
  try {
    server.broker.addHook('authenticate', (request) =>
      later<AuthenticateResult>(request.username === 'mallory' ? { result: 'deny' } : { result: 'allow' }) as unknown as Promise<AuthenticateResult>,
    );
    for (const protocolVersion of [4, 5] as const) {
      const refused = protocolVersion === 5 ? 0x86 : 4; // Bad user name or password
      assert.equal((await connackCode(server.url, { protocolVersion, clientId: 'm', username: 'mallory', password: 'x' })).code, refused);
      assert.equal((await connackCode(server.url, { protocolVersion, clientId: 'a', username: 'alice', password: 'x' })).code, 0);
    }
  } finally {
    await server.close();
  }
});
