// Reading the whole LMDB store at open: the format check, one range scan per database, and the
// garbage collection of messages no delivery refers to (a crash can leave them between the
// commit that removed their last delivery and the one that would have removed them).

import { StoreError } from '../store.js';
import type { StoredDelivery, StoredMessage, StoredState } from '../store.js';
import { reviveMessage, reviveSession } from './buffers.js';
import { FORMAT_VERSION, MetaKey, REMEDY } from './layout.js';
import type { Databases } from './layout.js';

/** Writes the format marker into a new store; refuses a store of another format or one with data but no marker. */
export function checkFormat(databases: Databases, file: string): void {
  const format = databases.meta.get(MetaKey.Format);
  if (format === FORMAT_VERSION) return;
  if (format !== undefined) {
    throw new StoreError(file, `${file} is in store format ${String(format)}, this Starling reads format ${FORMAT_VERSION}: ${REMEDY}`);
  }
  const holdsData =
    databases.sessions.getKeysCount({ limit: 1 }) > 0 ||
    databases.deliveries.getKeysCount({ limit: 1 }) > 0 ||
    databases.messages.getKeysCount({ limit: 1 }) > 0 ||
    databases.incomingQos2.getKeysCount({ limit: 1 }) > 0 ||
    databases.retained.getKeysCount({ limit: 1 }) > 0 ||
    databases.records.getKeysCount({ limit: 1 }) > 0;
  if (holdsData) throw new StoreError(file, `${file} holds data but no format marker: ${REMEDY}`);
  databases.meta.putSync(MetaKey.Format, FORMAT_VERSION);
}

/** Reads everything and queues the removal of orphan messages and of deliveries whose message is gone. */
export function loadState(databases: Databases): StoredState {
  let lastSequence = databases.meta.get(MetaKey.LastSequence) ?? 0;
  let lastMessageId = databases.meta.get(MetaKey.LastMessageId) ?? 0;

  const sessions = [];
  for (const { value } of databases.sessions.getRange()) sessions.push(reviveSession(value));

  // Keys sort by client then sequence, so each client's deliveries arrive together and in order.
  const deliveries = new Map<string, StoredDelivery[]>();
  const referenced = new Set<number>();
  let clientList: StoredDelivery[] = [];
  let client: string | undefined;
  for (const { key, value } of databases.deliveries.getRange()) {
    if (key[0] !== client) {
      client = key[0];
      clientList = [];
      deliveries.set(client, clientList);
    }
    clientList.push(value);
    referenced.add(value.messageId);
    if (value.sequence > lastSequence) lastSequence = value.sequence;
  }

  const messages = new Map<number, StoredMessage>();
  for (const { key, value } of databases.messages.getRange()) {
    if (key > lastMessageId) lastMessageId = key;
    if (referenced.has(key)) messages.set(key, reviveMessage(value));
    else void databases.messages.remove(key);
  }
  if (messages.size < referenced.size) dropDanglingDeliveries(databases, deliveries, messages);

  const incomingQos2 = new Map<string, number[]>();
  let packetIds: number[] = [];
  client = undefined;
  for (const [clientId, packetId] of databases.incomingQos2.getKeys()) {
    if (clientId !== client) {
      client = clientId;
      packetIds = [];
      incomingQos2.set(client, packetIds);
    }
    packetIds.push(packetId);
  }

  const retained = [];
  for (const { value } of databases.retained.getRange()) retained.push(reviveMessage(value));

  return { sessions, deliveries, messages, incomingQos2, retained, lastMessageId, lastSequence };
}

// A delivery without its message cannot be sent again; keeping it would only make the broker stumble.
function dropDanglingDeliveries(
  databases: Databases,
  deliveries: Map<string, StoredDelivery[]>,
  messages: Map<number, StoredMessage>,
): void {
  for (const [clientId, list] of deliveries) {
    const kept = list.filter((delivery) => messages.has(delivery.messageId));
    if (kept.length === list.length) continue;
    for (const delivery of list) {
      if (!messages.has(delivery.messageId)) void databases.deliveries.remove([clientId, delivery.sequence]);
    }
    if (kept.length === 0) deliveries.delete(clientId);
    else deliveries.set(clientId, kept);
  }
}
