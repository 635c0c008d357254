// Messages gathered per destination (a node's inbox, a stream subject) during one event-loop turn and sent
// as one NATS message each at the end of the turn, in the order the batches were opened, or earlier once a
// batch is full: NATS (the client library, the servers, JetStream's replication) is paid per batch, not per
// message.

import type { Message } from '../../core/message.js';
import { entryBytes } from './envelope.js';

export class Batch<S> {
  readonly messages: Message[] = [];
  /** The shared group of each message (live batches), allocated by the first message that has one. */
  groups: Array<string | undefined> | undefined = undefined;
  bytes = 0;
  constructor(readonly state: S) {}
}

export class TurnBatcher<S = undefined> {
  private readonly open = new Map<string, Batch<S>>();
  private scheduled = false;
  private readonly sendAll = (): void => {
    this.scheduled = false;
    for (const [key, batch] of this.open) {
      this.open.delete(key);
      this.send(key, batch);
    }
  };

  constructor(
    private readonly send: (key: string, batch: Batch<S>) => void,
    /** What a new batch carries besides its messages (the durable plane's pending write). */
    private readonly state: () => S,
    private readonly maxBytes: number,
    private readonly maxMessages = Infinity,
  ) {}

  add(key: string, message: Message, group?: string): void {
    let batch = this.open.get(key);
    if (batch === undefined) {
      batch = new Batch(this.state());
      this.open.set(key, batch);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.sendAll);
      }
    }
    if (group !== undefined) {
      batch.groups ??= new Array<string | undefined>(batch.messages.length).fill(undefined);
      batch.groups.push(group);
    } else if (batch.groups !== undefined) {
      batch.groups.push(undefined);
    }
    batch.messages.push(message);
    batch.bytes += entryBytes(message);
    if (batch.bytes >= this.maxBytes || batch.messages.length >= this.maxMessages) {
      this.open.delete(key);
      this.send(key, batch);
    }
  }

  /** Sends every open batch now (shutdown). */
  flush(): void {
    this.sendAll();
  }
}
