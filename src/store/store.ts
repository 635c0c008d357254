// What must survive a restart, split by concern: persistent sessions (SessionStore), the QoS 1/2
// messages each one is owed, queued or in flight, with inbound QoS 2 packet ids awaiting PUBREL
// (MessageStore), retained messages (RetainedStore) and configuration records (RecordStore). `Store`
// bundles them over one commit sequence: writes are buffered and committed in groups; `flushed()`
// resolves when everything written so far is durable, and the broker releases PUBACK/PUBREC only after it.

import type { ProtocolVersion } from '../codec/constants.js';
import type { Properties, QoS, RetainHandling, Will } from '../codec/types.js';
import type { Histogram } from '../metrics/histogram.js';

/** A message as stored: the broker's Message without the publisher-side fields it does not need. */
export interface StoredMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: Properties;
  from: string | undefined;
  receivedAt: number;
  expiresAt: number | undefined;
}

export interface StoredSubscription {
  topicFilter: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: RetainHandling;
  subscriptionIdentifier: number | undefined;
}

export interface StoredSession {
  clientId: string;
  protocolVersion: ProtocolVersion;
  username: string | undefined;
  /** Seconds; 0xFFFFFFFF never expires. */
  expiryInterval: number;
  /** Milliseconds since the epoch of the last disconnection; undefined while connected. */
  disconnectedAt: number | undefined;
  subscriptions: StoredSubscription[];
  /** A will waiting for its Will Delay Interval when the broker stopped. */
  pendingWill: Will | undefined;
}

/** One QoS 1/2 message owed to one session. */
export interface StoredDelivery {
  /** Order of the delivery within its session; unique per node (monotonic across the node's broker). */
  sequence: number;
  /** The stored message, by an id of the node that stored it (saveMessage). */
  messageId: number;
  qos: 1 | 2;
  retain: boolean;
  subscriptionIdentifiers: number[] | undefined;
  sharedGroup: string | undefined;
  /** 0 while queued; the packet id once in flight. */
  packetId: number;
  /** PUBLISH sent at least once (resend with DUP). */
  sent: boolean;
  /** QoS 2: PUBREC received, PUBREL sent. */
  released: boolean;
}

/** A delivery with the client it is owed to, as read back from its message's record. */
export interface OwedDelivery extends StoredDelivery {
  clientId: string;
}

/** Everything a store holds, read once at start. */
export interface StoredState {
  sessions: StoredSession[];
  /** Deliveries by client id, in sequence order. */
  deliveries: Map<string, StoredDelivery[]>;
  /** Messages referenced by deliveries, by message id. */
  messages: Map<number, StoredMessage>;
  /** Inbound QoS 2 packet ids awaiting PUBREL, by client id. */
  incomingQos2: Map<string, number[]>;
  retained: StoredMessage[];
  /** The node the store was opened for: the ids below are its own. */
  nodeName: string;
  /** The highest message id and delivery sequence this node used, so its new ones continue after them. */
  lastMessageId: number;
  lastSequence: number;
}

/**
 * One session as a node taking it over reads it (loadSession): its record, the deliveries it is owed
 * with their messages (so the reader need not resolve another node's message ids), and its inbound
 * QoS 2 ids.
 */
export interface LoadedSession {
  session: StoredSession;
  /** In sequence order. */
  deliveries: LoadedDelivery[];
  /** Inbound QoS 2 packet ids awaiting PUBREL, ascending. */
  incomingQos2: number[];
}

export interface LoadedDelivery {
  delivery: StoredDelivery;
  message: StoredMessage;
}

/**
 * Kinds of configuration record (MQTT users, ACL rules, bans, administrators, API keys, rule-engine
 * rules and connectors, and the outputs a connector with a durable buffer has not written yet), kept
 * apart from the session state.
 */
export type RecordKind = 'user' | 'acl' | 'ban' | 'admin' | 'api_key' | 'api' | 'rule' | 'connector' | 'connector_buffer';

// --- The four stores, by concern --------------------------------------------------------------
// Each is a view of one Store: their writes join the same group commit, in call order across all
// four, and `Store.flushed()` covers them all. Writes are synchronous calls that queue; only reads
// that may need I/O are async.

/** Persistent session records. */
export interface SessionStore {
  save(session: StoredSession): void;
  /**
   * Removes the session with its inbound QoS 2 ids and the deliveries saved with saveDelivery. Those
   * saved inside a message record that other sessions still need must be ended with deleteDelivery after.
   */
  delete(clientId: string): void;
  /**
   * Reads one session with what it is owed, seeing every write made before the call; undefined when
   * no session record has that client id. For a takeover, not the hot path: it may read a lot.
   */
  loadSession(clientId: string): Promise<LoadedSession | undefined>;
}

/** The QoS 1/2 messages owed to sessions, their deliveries, and inbound QoS 2 packet ids. */
export interface MessageStore {
  /**
   * Stores a message once, with the deliveries it was first owed as (`deliveries[i]` to client
   * `clientIds[i]`): a publish queued for N sessions is one record, not N + 1. Deliveries made
   * later refer to it by id (saveDelivery). The deliveries are read during the call only.
   */
  saveMessage(messageId: number, message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void;
  /**
   * Removes a message and every delivery of it: those saved with it, with saveDelivery or ended with
   * deleteDelivery since, and those reported at open. The store keeps its own account of them.
   */
  deleteMessage(messageId: number): void;
  /** Adds a delivery of a saved message, or records a delivery's new state. The store may keep the object until its commit: pass one the caller no longer changes. */
  saveDelivery(clientId: string, delivery: StoredDelivery): void;
  /** Ends one delivery whose message stays owed to others (deleteMessage ends the last one). */
  deleteDelivery(clientId: string, sequence: number, messageId: number): void;
  addIncomingQos2(clientId: string, packetId: number): void;
  deleteIncomingQos2(clientId: string, packetId: number): void;
}

/** Retained messages, one per topic. */
export interface RetainedStore {
  /** The store may keep the object until its commit: pass one the caller no longer changes. */
  save(message: StoredMessage): void;
  delete(topic: string): void;
}

/**
 * Configuration records. Reads are synchronous and see the latest commit, including one made by
 * another process on the same data directory (`starling ctl`); writes join the group commit.
 * Values must be plain data (msgpack for LMDB); read values must not be mutated.
 */
export interface RecordStore {
  get<T>(kind: RecordKind, key: string): T | undefined;
  /** Every record of one kind, in key order. */
  list<T>(kind: RecordKind): Array<[key: string, value: T]>;
  save(kind: RecordKind, key: string, value: unknown): void;
  delete(kind: RecordKind, key: string): void;
}

/** The four stores over one commit sequence. */
export interface Store {
  readonly sessions: SessionStore;
  readonly messages: MessageStore;
  readonly retained: RetainedStore;
  readonly records: RecordStore;

  /**
   * Opens (creating if needed) for one node and reads the whole state. Message ids and delivery
   * sequences are unique per (node, id): a store several nodes share keeps each node's apart and
   * reports those of `nodeName`; an embedded one (LMDB, memory) holds one node's. Throws StoreError
   * on an unreadable store.
   */
  open(nodeName: string): Promise<StoredState>;
  /** Resolves when every write made so far is durable; undefined when nothing is pending. */
  flushed(): Promise<void> | undefined;
  /** Bytes used on disk (approximate), for the total size cap. */
  sizeBytes(): number;
  /** What the store counts about its commits, for the metrics; absent in stores without commits of their own. */
  readonly stats?: StoreStats;
  close(): Promise<void>;
}

/** Counted once per commit (never per write), read by the metrics registry at collection time. */
export interface StoreStats {
  /** Seconds from a commit's start until it is durable. */
  readonly commitSeconds: Histogram;
  /** Messages the commits stored (divided by the commit count: messages per commit, the group commit at work). */
  committedMessages: number;
}

/** Commit duration buckets in seconds: a synced LMDB commit takes from about 100 µs (fast SSD) to tens of ms. */
export const COMMIT_SECONDS_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

export class StoreError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
