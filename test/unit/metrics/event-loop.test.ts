// The event-loop delay gauges: a blocked loop shows in the next window's max, and the gauges hold
// the last full window rather than resetting on read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLoopDelay, MetricsRegistry } from '../../../src/internal.js';
import { waitFor } from '../../helpers/wait.js';

test('event loop delay - a 80 ms block shows as the window max; reading twice gives the same window', async () => {
  const metrics = new MetricsRegistry();
  const delay = new EventLoopDelay(300);
  delay.register(metrics);
  delay.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const blockedUntil = Date.now() + 80;
    while (Date.now() < blockedUntil) {
      // busy: the loop cannot run the histogram's timer
    }
    await waitFor(() => metrics.value('eventloop.delay.max') >= 50, 'the block in a closed window', 3000);
    const max = metrics.value('eventloop.delay.max');
    assert.ok(max < 1000, `max ${max} ms`);
    assert.equal(metrics.value('eventloop.delay.max'), max, 'reading does not reset the window');
    assert.ok(metrics.value('eventloop.delay.p50') <= max);
    assert.ok(metrics.value('eventloop.delay.p99') <= max);
    assert.match(metrics.family('eventloop.delay.p99')!.help, /over the last 0.3 s, in milliseconds/);
  } finally {
    delay.stop();
  }
});
