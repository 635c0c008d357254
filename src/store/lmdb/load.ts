// Reading the whole LMDB store at open: the format check (moving older formats' messages into
// segments), one range scan per database, and the garbage collection of messages no delivery needs
// (segments holding none are removed) and of delivery records whose message is gone.

import { StoreError } from '../store.js';
import type { StoredDelivery, StoredMessage, StoredState } from '../store.js';
import { recordDelivery, type DeliveryRecordIndex } from './delivery-records.js';
import { reviveMessage, reviveSession } from './buffers.js';
import { FORMAT_VERSION, MetaKey, READABLE_FORMATS, REMEDY, metaNumber } from './layout.js';
import type { Databases } from './layout.js';
import { moveMessagesIntoSegments } from './migrate.js';
import { decodeSegment } from './segment-codec.js';
import { Segment } from './segments.js';

/**
 * Writes the format marker into a new store, and with `upgrade` moves an older readable one into the
 * current format; refuses a store of another format or one with data but no marker. Without `upgrade`
 * (configuration records only) an older readable store is left as it is: its records are the same.
 */
export function checkFormat(databases: Databases, file: string, upgrade: boolean): void {
  const format = databases.meta.get(MetaKey.Format);
  if (format === FORMAT_VERSION) return;
  if (format !== undefined && (typeof format !== 'number' || !READABLE_FORMATS.includes(format))) {
    throw new StoreError(file, `${file} is in store format ${String(format)}, this Starling reads format ${FORMAT_VERSION}: ${REMEDY}`);
  }
  const holdsData =
    databases.sessions.getKeysCount({ limit: 1 }) > 0 ||
    databases.deliveries.getKeysCount({ limit: 1 }) > 0 ||
    databases.messages.getKeysCount({ limit: 1 }) > 0 ||
    databases.segments.getKeysCount({ limit: 1 }) > 0 ||
    databases.incomingQos2.getKeysCount({ limit: 1 }) > 0 ||
    databases.retained.getKeysCount({ limit: 1 }) > 0 ||
    databases.records.getKeysCount({ limit: 1 }) > 0;
  if (format === undefined && holdsData) throw new StoreError(file, `${file} holds data but no format marker: ${REMEDY}`);
  // Marked with the new format (with the move, atomically) so that an older Starling, which would miss the segments, refuses it.
  if (format === undefined) databases.meta.putSync(MetaKey.Format, FORMAT_VERSION);
  else if (upgrade) moveMessagesIntoSegments(databases);
}

/** The state, and the store's own bookkeeping: the segments kept and the delivery records of their messages. */
export interface LoadedState {
  state: StoredState;
  segments: Segment[];
  deliveryRecords: DeliveryRecordIndex;
}

/**
 * Reads everything, for node `nodeName`. A delivery lives inside its message's record unless a
 * delivery record with its key overrides it: a later state, or an ended-delivery marker. A message
 * marked in its segment's dead bitmap has ended. Queues the removal of segments no delivery needs, the
 * bitmaps of messages newly found ended, and the removal of delivery records whose message is gone.
 * A data directory holds the ids of one node: opened under another name (a renamed node, a new host
 * name) it hands them on, and records the new owner.
 */
export function loadState(databases: Databases, nodeName: string): LoadedState {
  let lastSequence = metaNumber(databases, MetaKey.LastSequence) ?? 0;
  let lastMessageId = metaNumber(databases, MetaKey.LastMessageId) ?? 0;
  if (databases.meta.get(MetaKey.NodeName) !== nodeName) void databases.meta.put(MetaKey.NodeName, nodeName);

  const sessions = [];
  for (const { value } of databases.sessions.getRange()) sessions.push(reviveSession(value));

  const deliveries = new Map<string, StoredDelivery[]>();
  const deliveryRecords: DeliveryRecordIndex = new Map();
  /** Keys of delivery records (states and end markers), by client then sequence: they win over message records. */
  const recorded = new Map<string, Set<number>>();
  for (const { key, value } of databases.deliveries.getRange()) {
    const [clientId, sequence] = key;
    const messageId = typeof value === 'number' ? value : value.messageId;
    recordDelivery(deliveryRecords, messageId, clientId, sequence);
    setIn(recorded, clientId).add(sequence);
    if (typeof value !== 'number') listIn(deliveries, clientId).push(value);
    if (sequence > lastSequence) lastSequence = sequence;
  }

  const messages = new Map<number, StoredMessage>();
  const owed = new Set<number>();
  for (const list of deliveries.values()) for (const delivery of list) owed.add(delivery.messageId);
  const deadBitmaps = new Map<number, Uint8Array>();
  for (const { key, value } of databases.deadMessages.getRange()) deadBitmaps.set(key, value);
  const segments: Segment[] = [];
  let inMessageRecords = false;
  for (const { key: segmentId, value } of databases.segments.getRange()) {
    const segment = new Segment(segmentId);
    const bitmap = deadBitmaps.get(segmentId);
    if (bitmap !== undefined) {
      segment.loadDead(bitmap);
      deadBitmaps.delete(segmentId);
    }
    for (const { messageId, message, deliveries: first } of decodeSegment(value, segmentId)) {
      segment.end = messageId + 1;
      if (messageId > lastMessageId) lastMessageId = messageId;
      if (segment.isDead(messageId)) continue;
      let needed = owed.has(messageId);
      for (const delivery of first) {
        if (delivery.sequence > lastSequence) lastSequence = delivery.sequence;
        if (recorded.get(delivery.clientId)?.has(delivery.sequence) === true) continue;
        const { clientId, ...stored } = delivery;
        listIn(deliveries, clientId).push(stored);
        needed = true;
        inMessageRecords = true;
      }
      if (needed) {
        // Out of lmdb-js's reused read buffer, and so that one message kept does not keep its whole segment.
        message.payload = Buffer.from(message.payload);
        messages.set(messageId, message);
        segment.live++;
      } else {
        segment.markDead(messageId);
      }
    }
    keepOrRemove(databases, segment, segments);
  }
  // Bitmaps whose segment is gone (removed in an earlier transaction than they were).
  for (const segmentId of deadBitmaps.keys()) void databases.deadMessages.remove(segmentId);
  // Records come per client in sequence order; deliveries from message records join them out of order.
  if (inMessageRecords) for (const list of deliveries.values()) list.sort((a, b) => a.sequence - b.sequence);
  dropDangling(databases, deliveries, deliveryRecords, messages);

  const incomingQos2 = new Map<string, number[]>();
  let packetIds: number[] = [];
  let client: string | undefined;
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

  return { state: { sessions, deliveries, messages, incomingQos2, retained, nodeName, lastMessageId, lastSequence }, segments, deliveryRecords };
}

/**
 * Removes a segment none of whose messages is owed, or writes the bitmap of those found ended. Queued
 * before the removal of the ended messages' delivery records (dropDangling), as at run time.
 */
function keepOrRemove(databases: Databases, segment: Segment, segments: Segment[]): void {
  if (segment.live === 0) {
    void databases.segments.remove(segment.id);
    if (segment.deadWritten) void databases.deadMessages.remove(segment.id);
    return;
  }
  if (segment.deadChanged) {
    void databases.deadMessages.put(segment.id, segment.deadBytes());
    segment.deadChanged = false;
    segment.deadWritten = true;
  }
  segments.push(segment);
}

// A delivery without its message cannot be sent again; keeping it would only make the broker stumble.
function dropDangling(
  databases: Databases,
  deliveries: Map<string, StoredDelivery[]>,
  deliveryRecords: DeliveryRecordIndex,
  messages: Map<number, StoredMessage>,
): void {
  for (const [messageId, records] of deliveryRecords) {
    if (messages.has(messageId)) continue;
    for (const [sequence, clientId] of records) void databases.deliveries.remove([clientId, sequence]);
    deliveryRecords.delete(messageId);
  }
  for (const [clientId, list] of deliveries) {
    const kept = list.filter((delivery) => messages.has(delivery.messageId));
    if (kept.length === list.length) continue;
    if (kept.length === 0) deliveries.delete(clientId);
    else deliveries.set(clientId, kept);
  }
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}

function setIn<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  return set;
}
