// The broker's directory of clients for the management API: one record per session (connected, or a
// persistent session waiting for its client), kept up to date from the broker's connect, disconnect
// and session-end events, never rebuilt per request. Each record sits in one sorted list per indexed
// attribute, ordered by (attribute, client id), so that an exact filter on any of them is one
// contiguous range (count = its length) in client-id order, and a sort on any of them is a walk
// (client-query.ts runs the queries).
//
// Nothing here runs per message: the lists change at CONNECT, at disconnection and when a session
// ends, a handful of O(log n) inserts and deletes each.

import type { ClientInfo } from '../../core/client.js';
import type { BrokerEvents } from '../../hooks/events.js';
import type { Session } from '../../session/session.js';
import { OrderedList } from './ordered-list.js';

export interface ClientRecord {
  readonly clientId: string;
  username: string | undefined;
  /** The peer's address; '' when unknown (a session loaded from the store, an in-process client). */
  ipAddress: string;
  port: number;
  /** The listener kind that accepted the connection ('tcp', 'tls', 'ws', 'wss', 'local'); '' when unknown. */
  listener: string;
  protocolVersion: number;
  cleanStart: boolean;
  keepAlive: number;
  connState: 'connected' | 'disconnected';
  /** When this broker created the session (or loaded it from the store), milliseconds since the epoch. */
  createdAt: number;
  /** When its client last connected; undefined for a session loaded from the store and not connected since. */
  connectedAt: number | undefined;
  disconnectedAt: number | undefined;
  /** The connection's client info while connected (and the last one after); identifies stale events. */
  client: ClientInfo | undefined;
}

/** The attributes the index keeps sorted lists for: each can be filtered exactly (or by range) and sorted on. */
export const INDEXED_KEYS = ['clientid', 'username', 'ip_address', 'conn_state', 'proto_ver', 'clean_start', 'keepalive', 'connected_at', 'created_at'] as const;
export type IndexedKey = (typeof INDEXED_KEYS)[number];

export type IndexValue = string | number | boolean | undefined;

/** The value of an indexed attribute of a record. */
export function indexValue(record: ClientRecord, key: IndexedKey): IndexValue {
  switch (key) {
    case 'clientid':
      return record.clientId;
    case 'username':
      return record.username;
    case 'ip_address':
      return record.ipAddress;
    case 'conn_state':
      return record.connState;
    case 'proto_ver':
      return record.protocolVersion;
    case 'clean_start':
      return record.cleanStart;
    case 'keepalive':
      return record.keepAlive;
    case 'connected_at':
      return record.connectedAt;
    case 'created_at':
      return record.createdAt;
  }
}

/** Orders values of one attribute: undefined first, then false < true, numbers, strings (by code unit). */
export function compareValues(a: IndexValue, b: IndexValue): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** Orders records by one attribute, then by client id (unique), so no two records compare equal. */
export function recordOrder(key: IndexedKey): (a: ClientRecord, b: ClientRecord) => number {
  // One comparator per attribute, reading its field directly: these run ~15 times per list per CONNECT.
  switch (key) {
    case 'clientid':
      return (a, b) => compareValues(a.clientId, b.clientId);
    case 'username':
      return (a, b) => compareValues(a.username, b.username) || compareValues(a.clientId, b.clientId);
    case 'ip_address':
      return (a, b) => compareValues(a.ipAddress, b.ipAddress) || compareValues(a.clientId, b.clientId);
    case 'conn_state':
      return (a, b) => compareValues(a.connState, b.connState) || compareValues(a.clientId, b.clientId);
    case 'proto_ver':
      return (a, b) => a.protocolVersion - b.protocolVersion || compareValues(a.clientId, b.clientId);
    case 'clean_start':
      return (a, b) => Number(a.cleanStart) - Number(b.cleanStart) || compareValues(a.clientId, b.clientId);
    case 'keepalive':
      return (a, b) => a.keepAlive - b.keepAlive || compareValues(a.clientId, b.clientId);
    case 'connected_at':
      return (a, b) => compareValues(a.connectedAt, b.connectedAt) || compareValues(a.clientId, b.clientId);
    case 'created_at':
      return (a, b) => a.createdAt - b.createdAt || compareValues(a.clientId, b.clientId);
  }
}

/** What the index needs from the broker: its sessions, its connected clients and its events. */
export interface ClientSource {
  sessions(): Iterable<Session>;
  /** The connected clients, with the time each connected. */
  connectedClients(): Iterable<{ client: ClientInfo; connectedAt: number }>;
  session(clientId: string): Session | undefined;
  on<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): void;
  off<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): void;
}

export class ClientIndex {
  readonly #records = new Map<string, ClientRecord>();
  readonly #lists = new Map<IndexedKey, OrderedList<ClientRecord>>(INDEXED_KEYS.map((key) => [key, new OrderedList(recordOrder(key))]));
  /** The most sessions held at once since the index was built. */
  #maximum = 0;
  readonly #onConnected = ({ client }: BrokerEvents['client.connected'][0]): void => this.connected(client, Date.now());
  readonly #onDisconnected = ({ client }: BrokerEvents['client.disconnected'][0]): void => this.disconnected(client, Date.now());
  readonly #onSessionEnded = ({ clientId }: BrokerEvents['session.terminated'][0]): void => this.sessionEnded(clientId);

  /** Reads the sessions the broker holds now, then follows its events until close(). */
  constructor(private readonly source: ClientSource, now = Date.now()) {
    const connected = new Map<string, { client: ClientInfo; connectedAt: number }>();
    for (const entry of source.connectedClients()) connected.set(entry.client.clientId, entry);
    for (const session of source.sessions()) {
      const live = connected.get(session.clientId);
      const record = live === undefined ? recordOfStoredSession(session, now) : recordOfClient(live.client, live.connectedAt);
      this.#add(record);
    }
    source.on('client.connected', this.#onConnected);
    source.on('client.disconnected', this.#onDisconnected);
    source.on('session.terminated', this.#onSessionEnded);
    source.on('session.expired', this.#onSessionEnded);
  }

  close(): void {
    this.source.off('client.connected', this.#onConnected);
    this.source.off('client.disconnected', this.#onDisconnected);
    this.source.off('session.terminated', this.#onSessionEnded);
    this.source.off('session.expired', this.#onSessionEnded);
  }

  get size(): number {
    return this.#records.size;
  }

  get maximum(): number {
    return this.#maximum;
  }

  get(clientId: string): ClientRecord | undefined {
    return this.#records.get(clientId);
  }

  /** The records sorted by `key`, then client id. */
  list(key: IndexedKey): OrderedList<ClientRecord> {
    return this.#lists.get(key)!;
  }

  /** A client connected: a new record, or the session's record updated (resumed, taken over). */
  connected(client: ClientInfo, now: number): void {
    const existing = this.#records.get(client.clientId);
    const record = recordOfClient(client, now);
    if (existing !== undefined) {
      record.createdAt = existing.createdAt; // the session goes on (a clean start ended it, and its record, first)
      this.#remove(existing);
    }
    this.#add(record);
  }

  /** A connection ended: its session waits for the client (persistent) or has already ended. */
  disconnected(client: ClientInfo, now: number): void {
    const record = this.#records.get(client.clientId);
    // Another connection took the session over since: that one's record stays.
    if (record === undefined || record.client !== client) return;
    const session = this.source.session(client.clientId);
    if (session === undefined) {
      this.#remove(record);
      return;
    }
    // Only the connection state changes: only its list moves the record.
    const byState = this.list('conn_state');
    byState.delete(record);
    record.connState = 'disconnected';
    record.disconnectedAt = session.disconnectedAt ?? now;
    byState.insert(record);
  }

  /** A session ended (clean start, no expiry, expired, kicked): its record goes, unless a client holds a new session already. */
  sessionEnded(clientId: string): void {
    const record = this.#records.get(clientId);
    if (record === undefined || this.source.session(clientId) !== undefined) return;
    this.#remove(record);
  }

  #add(record: ClientRecord): void {
    this.#records.set(record.clientId, record);
    for (const list of this.#lists.values()) list.insert(record);
    if (this.#records.size > this.#maximum) this.#maximum = this.#records.size;
  }

  #remove(record: ClientRecord): void {
    this.#records.delete(record.clientId);
    for (const list of this.#lists.values()) list.delete(record);
  }
}

function recordOfClient(client: ClientInfo, connectedAt: number): ClientRecord {
  return {
    clientId: client.clientId,
    username: client.username,
    ipAddress: client.peer.address,
    port: client.peer.port,
    listener: client.peer.listener,
    protocolVersion: client.protocolVersion,
    cleanStart: client.clean,
    keepAlive: client.keepAlive,
    connState: 'connected',
    createdAt: connectedAt,
    connectedAt,
    disconnectedAt: undefined,
    client,
  };
}

function recordOfStoredSession(session: Session, now: number): ClientRecord {
  return {
    clientId: session.clientId,
    username: session.username,
    ipAddress: '',
    port: 0,
    listener: '',
    protocolVersion: session.protocolVersion,
    cleanStart: false,
    keepAlive: 0,
    connState: 'disconnected',
    createdAt: now,
    connectedAt: undefined,
    disconnectedAt: session.disconnectedAt,
    client: undefined,
  };
}
