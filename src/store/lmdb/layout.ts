// The on-disk layout of the LMDB store: one environment file, one named database per record kind,
// keyed so that every read the store needs is one ordered range scan.
//
//   meta           'format' -> FORMAT_VERSION, 'lastMessageId', 'lastSequence' (high-water marks)
//   sessions       clientId -> StoredSession
//   deliveries     [clientId, sequence] -> StoredDelivery   (one client's deliveries are contiguous, in order)
//   messages       messageId -> StoredMessage
//   incoming-qos2  [clientId, packetId] -> true
//   retained       topic -> StoredMessage
//   records        [kind, key] -> configuration record (users, ACL rules, bans)

import type { Database, RootDatabase } from 'lmdb';
import type { RecordKind, StoredDelivery, StoredMessage, StoredSession } from '../store.js';

export const DATA_FILE = 'starling.mdb';
export const FORMAT_VERSION = 1;

export const MetaKey = {
  Format: 'format',
  LastMessageId: 'lastMessageId',
  LastSequence: 'lastSequence',
} as const;

export type ClientKey = [clientId: string, number: number];
export type RecordKey = [kind: RecordKind, key: string];

export interface Databases {
  meta: Database<number, string>;
  sessions: Database<StoredSession, string>;
  deliveries: Database<StoredDelivery, ClientKey>;
  messages: Database<StoredMessage, number>;
  incomingQos2: Database<true, ClientKey>;
  retained: Database<StoredMessage, string>;
  records: Database<unknown, RecordKey>;
}

// Values of one kind share their property names; msgpack records keep them once per database
// instead of once per entry (about a third smaller and faster to load).
const sharedStructuresKey = Symbol.for('structures');

export function openDatabases(root: RootDatabase): Databases {
  return {
    meta: root.openDB<number, string>({ name: 'meta' }),
    sessions: root.openDB<StoredSession, string>({ name: 'sessions', sharedStructuresKey }),
    deliveries: root.openDB<StoredDelivery, ClientKey>({ name: 'deliveries', sharedStructuresKey }),
    messages: root.openDB<StoredMessage, number>({ name: 'messages', sharedStructuresKey }),
    incomingQos2: root.openDB<true, ClientKey>({ name: 'incoming-qos2' }),
    retained: root.openDB<StoredMessage, string>({ name: 'retained', sharedStructuresKey }),
    // No shared structures: record kinds differ in shape, and another process may write them.
    records: root.openDB<unknown, RecordKey>({ name: 'records' }),
  };
}

/** Range over the [clientId, number] keys of one client: numbers sort before strings, so [clientId, ''] is past them all. */
export function clientRange(clientId: string): { start: [string]; end: [string, string] } {
  return { start: [clientId], end: [clientId, ''] };
}

export const REMEDY = 'move the data directory away to start empty, or restore a backup';
