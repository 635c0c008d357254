// The Store of a cluster node: sessions and their deliveries in the sessions stream, retained messages
// in the retained stream, configuration records in a KV bucket; one commit sequence (CommitTracker) over
// all of them and over the node's QoS 1/2 publications. open() reads the sessions this node owns.

import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { StoredDelivery, StoredMessage, StoredState, Store } from '../../store/store.js';
import type { CommitTracker } from './commit.js';
import type { RecordReplica } from './records.js';
import type { RetainedReplica } from './retained.js';
import type { SessionState } from './session-state.js';

export class NatsStore implements Store {
  readonly messages: SessionState;
  /** Stream sequence the retained set was read at (the replica follows from there). */
  retainedSequence = 0;

  constructor(
    readonly sessions: SessionState,
    readonly retained: RetainedReplica,
    readonly records: RecordReplica,
    private readonly tracker: CommitTracker,
    /** Client ids whose sessions this node owns (read at open). */
    private readonly ownedClients: () => Promise<string[]>,
  ) {
    this.messages = sessions;
  }

  async open(nodeName: string): Promise<StoredState> {
    const deliveries = new Map<string, StoredDelivery[]>();
    const messages = new Map<number, StoredMessage>();
    const incomingQos2 = new Map<string, number[]>();
    const sessions = [];
    // Ids continue past anything this node used before: they count from the clock in microseconds.
    let lastId = Date.now() * 1000;
    for (const clientId of await this.ownedClients()) {
      const loaded = await this.sessions.loadSession(clientId);
      if (loaded === undefined) continue;
      sessions.push(loaded.session);
      const owed: StoredDelivery[] = [];
      for (const { delivery, message } of loaded.deliveries) {
        owed.push(delivery);
        messages.set(delivery.messageId, message);
        this.sessions.saveMessageKnown(delivery.messageId, message, clientId, delivery.sequence);
        lastId = Math.max(lastId, delivery.messageId, delivery.sequence);
      }
      if (owed.length > 0) deliveries.set(clientId, owed);
      if (loaded.incomingQos2.length > 0) incomingQos2.set(clientId, loaded.incomingQos2);
    }
    const { retained, sequence } = await this.retained.load();
    this.retainedSequence = sequence;
    return { nodeName, sessions, deliveries, messages, incomingQos2, retained, lastMessageId: lastId, lastSequence: lastId };
  }

  flushed(): Promise<void> | undefined {
    return this.tracker.flushed();
  }

  sizeBytes(): number {
    return 0; // JetStream enforces its own limits (max_file_store, max_bytes)
  }

  async close(): Promise<void> {
    await this.tracker.flushed()?.catch(() => undefined);
    await this.retained.stop();
    await this.records.stop();
  }
}
