// The rate-limited log of messages dropped by the queue and store caps: one line at the first drop,
// then one line per session and reason per interval with the count, never a line per message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DropLog } from '../../../src/internal.js';
import { recordingLogger } from '../../helpers/recording-logger.js';
import { waitFor } from '../../helpers/wait.js';

const drops = (lines: Array<Record<string, unknown>>): string[] =>
  lines.filter((line) => line['msg'] === 'messages dropped for a session').map((line) => `${String(line['clientId'])} ${String(line['reason'])} ${String(line['count'])}`);

test('drop log - the first drop is logged at once, the rest of the interval as one line with the count', async () => {
  const { logger, lines } = recordingLogger();
  const log = new DropLog(logger, 40);
  try {
    for (let index = 0; index < 4; index++) log.note('a', 'queue_full');
    log.note('b', 'store_full');
    await waitFor(() => drops(lines).length >= 2, 'the first drop of each session');
    assert.deepEqual(drops(lines), ['a queue_full 1', 'b store_full 1'], 'no line per message');
    await waitFor(() => drops(lines).length >= 3, 'the line for the rest of the interval');
    assert.deepEqual(drops(lines), ['a queue_full 1', 'b store_full 1', 'a queue_full 3']);
    assert.equal(lines.find((line) => line['clientId'] === 'a')?.['level'], 40, 'logged as a warning');
  } finally {
    log.close();
  }
});

test('drop log - close logs what was counted', async () => {
  const { logger, lines } = recordingLogger();
  const log = new DropLog(logger, 60_000);
  log.note('c', 'queue_full');
  log.note('c', 'queue_full');
  log.close();
  await waitFor(() => drops(lines).length >= 2, 'both lines');
  assert.deepEqual(drops(lines), ['c queue_full 1', 'c queue_full 1']);
});
