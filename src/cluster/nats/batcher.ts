// Messages published on one subject during one event-loop turn, sent as one NATS message: a node
// publishing many messages pays NATS (the client library, the servers, JetStream's replication) per batch,
// not per message. Order per subject is kept; a batch is sent early once it is full.

import type { Message } from '../../core/message.js';

/** Well under NATS' default max_payload (1 MiB). */
const MAX_BATCH_BYTES = 256 * 1024;
/**
 * NATS picks a shared group's node per NATS message: a cap keeps a burst on one topic spread over the group's
 * nodes, while still dividing the per-message cost of NATS by up to this much.
 */
const MAX_BATCH_MESSAGES = 16;

export class SubjectBatcher {
  private readonly batches = new Map<string, { messages: Message[]; bytes: number }>();
  private scheduled = false;
  private readonly flushAll = (): void => {
    this.scheduled = false;
    const batches = [...this.batches];
    this.batches.clear();
    for (const [subject, batch] of batches) this.send(subject, batch.messages);
  };

  constructor(private readonly send: (subject: string, messages: Message[]) => void) {}

  add(subject: string, message: Message): void {
    let batch = this.batches.get(subject);
    if (batch === undefined) {
      batch = { messages: [], bytes: 0 };
      this.batches.set(subject, batch);
    }
    batch.messages.push(message);
    batch.bytes += message.payload.length + message.topic.length + 64;
    if (batch.bytes >= MAX_BATCH_BYTES || batch.messages.length >= MAX_BATCH_MESSAGES) {
      this.batches.delete(subject);
      this.send(subject, batch.messages);
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAll);
    }
  }
}
