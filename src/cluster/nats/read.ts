// Reading what a stream holds now under one filter subject (a session's state, the retained set, a
// replay range): an ordered consumer, read until the server reports nothing pending, then dropped.

import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';

export interface ReadOptions {
  /** Only the last message of each subject (the retained set). */
  lastPerSubject?: boolean;
  /** Start at this stream sequence (inclusive). */
  fromSequence?: number;
  /** Stop after this stream sequence (inclusive). */
  toSequence?: number;
}

const IDLE_TIMEOUT_MS = 5000;

/** Calls `visit` for every message under `filter`, in stream order; resolves with the last sequence read (0: none). */
export async function readStream(js: JetStreamClient, stream: string, filter: string, visit: (msg: JsMsg) => void, options: ReadOptions = {}): Promise<number> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: filter,
    ...(options.lastPerSubject === true
      ? { deliver_policy: DeliverPolicy.LastPerSubject }
      : options.fromSequence !== undefined
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, options.fromSequence) }
        : { deliver_policy: DeliverPolicy.All }),
  });
  const info = await consumer.info(true);
  if (info.num_pending === 0) {
    await consumer.delete().catch(() => undefined);
    return 0;
  }
  let last = 0;
  const messages = await consumer.consume({ max_messages: 1000, idle_heartbeat: 1000, expires: IDLE_TIMEOUT_MS });
  try {
    for await (const msg of messages) {
      if (options.toSequence !== undefined && msg.seq > options.toSequence) break;
      last = msg.seq;
      visit(msg);
      if (msg.info.pending === 0 || (options.toSequence !== undefined && msg.seq >= options.toSequence)) break;
    }
  } finally {
    await messages.close().catch(() => undefined);
    await consumer.delete().catch(() => undefined);
  }
  return last;
}
