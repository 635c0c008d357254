// A key no module registered an applier for needs a restart; once a module registers one, a reload
// applies it (the seam other sections, such as rules or cluster settings, plug into).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerLiveSetting } from '../../src/internal.js';
import { startReloadable } from './reloadable.js';

test('reload - an unregistered key needs a restart; a registered applier makes it live, with its check run before anything applies', async () => {
  const server = await startReloadable({ shared_subscription_strategy: 'round_robin' });
  const token = await server.adminToken();
  try {
    await server.write({ shared_subscription_strategy: 'random', max_inflight: 9 });
    const before = await server.call('POST', '/api/v5/configs/reload?dry_run=true', { token });
    assert.deepEqual(before.body.not_applied, [
      { key: 'max_inflight', reason: 'dry run' },
      { key: 'shared_subscription_strategy', reason: 'restart needed' },
    ]);

    const applied: string[] = [];
    let refuse = true;
    registerLiveSetting('sharedSubscriptionStrategy', {
      takesEffect: 'shared groups made from now on',
      check: (next) => {
        if (refuse) throw Object.assign(new Error('shared_subscription_strategy: not now'), { name: 'ConfigError', key: 'shared_subscription_strategy' });
        void next;
      },
      apply: (next) => {
        applied.push(next.sharedSubscriptionStrategy);
        return 'new groups pick at random';
      },
    });
    // The check refuses (not a ConfigError: reported as it is), and nothing is applied.
    const refused = await server.call('POST', '/api/v5/configs/reload', { token });
    assert.equal(refused.status, 400);
    assert.equal(server.broker.config.maxInflight, 32);
    refuse = false;
    const answer = await server.call('POST', '/api/v5/configs/reload', { token });
    assert.deepEqual(new Set(answer.body.applied), new Set(['max_inflight', 'shared_subscription_strategy']));
    const change = answer.body.changes.find((entry: { key: string }) => entry.key === 'shared_subscription_strategy');
    assert.deepEqual([change.live, change.takes_effect, change.note], [true, 'shared groups made from now on', 'new groups pick at random']);
    assert.deepEqual(applied, ['random']);
    assert.equal(server.broker.config.sharedSubscriptionStrategy, 'random');
  } finally {
    await server.close();
  }
});
