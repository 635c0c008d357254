// The on-disk layout of the LMDB store: one environment file, one named database per record kind,
// keyed so that every read the store needs is one ordered range scan.
//
//   meta           'format' -> FORMAT_VERSION, 'lastMessageId', 'lastSequence' (high-water marks),
//                  'nodeName' -> the node whose ids those are (one node per data directory)
//   sessions       clientId -> StoredSession
//   segments       segmentId -> the messages stored in one turn, with the deliveries each was first
//                  owed as (segment-codec.ts); the id is that of its first message
//   dead-messages  segmentId -> bitmap of the segment's ended messages (segments.ts)
//   messages       messageId -> MessageRecord (formats 1 and 2, moved into segments at open)
//   deliveries     [clientId, sequence] -> StoredDelivery (a delivery added later, or a later state of one
//                  in a message record) or a message id (an ended delivery whose message others still need)
//   incoming-qos2  [clientId, packetId] -> true
//   retained       topic -> StoredMessage
//   records        [kind, key] -> configuration record (users, ACL rules, bans)

import type { Database, RootDatabase } from 'lmdb';
import type { RecordKind, StoredDelivery, StoredMessage, StoredSession } from '../store.js';

export const DATA_FILE = 'starling.mdb';
/**
 * 3: messages in segments. 2: deliveries inside message records and ended-delivery markers.
 * Stores of formats 1 and 2 have their message records moved into segments at open.
 */
export const FORMAT_VERSION = 3;
export const READABLE_FORMATS: readonly number[] = [1, 2, 3];

/** A message with the deliveries it was first owed as, encoded by delivery-codec.ts (absent in format 1). */
export interface MessageRecord extends StoredMessage {
  deliveries?: Uint8Array;
}

/** A delivery record, or the message id of an ended delivery that hides the one in its message record. */
export type DeliveryRecord = StoredDelivery | number;

export const MetaKey = {
  Format: 'format',
  LastMessageId: 'lastMessageId',
  LastSequence: 'lastSequence',
  NodeName: 'nodeName',
} as const;

export type ClientKey = [clientId: string, number: number];
export type RecordKey = [kind: RecordKind, key: string];

export interface Databases {
  meta: Database<number | string, string>;
  sessions: Database<StoredSession, string>;
  deliveries: Database<DeliveryRecord, ClientKey>;
  segments: Database<Buffer, number>;
  deadMessages: Database<Buffer, number>;
  messages: Database<MessageRecord, number>;
  incomingQos2: Database<true, ClientKey>;
  retained: Database<StoredMessage, string>;
  records: Database<unknown, RecordKey>;
}

// Values of one kind share their property names; msgpack records keep them once per database
// instead of once per entry (about a third smaller and faster to load).
const sharedStructuresKey = Symbol.for('structures');

export function openDatabases(root: RootDatabase): Databases {
  return {
    meta: root.openDB<number | string, string>({ name: 'meta' }),
    sessions: root.openDB<StoredSession, string>({ name: 'sessions', sharedStructuresKey }),
    deliveries: root.openDB<DeliveryRecord, ClientKey>({ name: 'deliveries', sharedStructuresKey }),
    segments: root.openDB<Buffer, number>({ name: 'segments', encoding: 'binary' }),
    deadMessages: root.openDB<Buffer, number>({ name: 'dead-messages', encoding: 'binary' }),
    messages: root.openDB<MessageRecord, number>({ name: 'messages', sharedStructuresKey }),
    incomingQos2: root.openDB<true, ClientKey>({ name: 'incoming-qos2' }),
    retained: root.openDB<StoredMessage, string>({ name: 'retained', sharedStructuresKey }),
    // No shared structures: record kinds differ in shape, and another process may write them.
    records: root.openDB<unknown, RecordKey>({ name: 'records' }),
  };
}

/** A number kept in meta (the format, a high-water mark); undefined when absent. */
export function metaNumber(databases: Databases, key: string): number | undefined {
  const value = databases.meta.get(key);
  return typeof value === 'number' ? value : undefined;
}

/** Range over the [clientId, number] keys of one client: numbers sort before strings, so [clientId, ''] is past them all. */
export function clientRange(clientId: string): { start: [string]; end: [string, string] } {
  return { start: [clientId], end: [clientId, ''] };
}

export const REMEDY = 'move the data directory away to start empty, or restore a backup';
