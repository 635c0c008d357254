// Persistent sessions in the sessions stream, one subject per record and one record kept per subject
// (max_msgs_per_subject 1), so a rewrite replaces and a delete (by the sequence its write got) leaves no
// marker behind, unlike a KV delete:
//
//   <prefix>.s.<client>.s                  the session (StoredSession)
//   <prefix>.s.<client>.p.<node>.<g>.<i>   part i (from 1) of a session too large for one record: its
//                                          further subscriptions; the session names its parts' g and count
//   <prefix>.s.<client>.d.<node>.<seq>     one owed delivery, with its message inline
//   <prefix>.s.<client>.q.<packetId>       an inbound QoS 2 id awaiting PUBREL
//
// Delivery sequences and message ids are the writing node's (unique per (node, id)); a node taking a
// session over reads it whole (loadSession) and writes its deliveries again under its own ids. Each
// node keeps its own account of the subjects it wrote, so deleteMessage and delete need no listing.

import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Packr } from 'msgpackr';
import type { LoadedDelivery, LoadedSession, MessageStore, SessionStore, StoredDelivery, StoredMessage, StoredSession } from '../../store/store.js';
import type { CommitTracker } from './commit.js';
import { clientKey, type ClusterNames } from './names.js';
import { readStream } from './read.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });

interface DeliveryRecord {
  d: StoredDelivery;
  m: StoredMessage;
}

/**
 * Packed bytes of a session record before its subscriptions go into parts (NATS' max_payload is 1 MiB
 * by default; a session with some ten thousand subscriptions outgrows it).
 */
const SESSION_RECORD_BYTES = 256 * 1024;

/** A session record whose further subscriptions are in parts `p.<g>.<1..count-1>`. */
interface SessionHead extends StoredSession {
  parts?: { g: string; count: number };
}

interface SessionPart {
  subscriptions: StoredSession['subscriptions'];
}

/** JetStream's "no message found" (deleting a record an earlier rewrite already replaced). */
const NO_MESSAGE_FOUND = 10037;

export class SessionState implements SessionStore, MessageStore {
  /** Per subject written or read, the stream sequence of its current record (a promise until acknowledged). */
  private readonly written = new Map<string, Promise<number>>();
  /** Subjects of each client's deliveries and inbound QoS 2 ids that this node knows of. */
  private readonly subjectsOf = new Map<string, Set<string>>();
  /** Messages of this node's deliveries, by message id, with the deliveries of each. */
  private readonly messages = new Map<number, StoredMessage>();
  private readonly deliveriesOf = new Map<number, Array<[clientId: string, sequence: number]>>();
  /** Per client whose session is in parts, the subjects of its current parts. */
  private readonly partsOf = new Map<string, string[]>();
  private partGeneration = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    private readonly tracker: CommitTracker,
    private readonly node: string,
  ) {}

  // --- SessionStore -----------------------------------------------------------------------

  save(session: StoredSession): void {
    const head = this.subject(session.clientId, 's');
    const data = packr.pack(session);
    const previousParts = this.partsOf.get(session.clientId) ?? [];
    if (data.length <= SESSION_RECORD_BYTES) {
      this.partsOf.delete(session.clientId);
      this.put(head, data);
    } else {
      this.saveInParts(session, data.length);
    }
    for (const subject of previousParts) this.removeAfter(session.clientId, head, subject);
  }

  /**
   * Writes the subscriptions past the first chunk under a new generation of part subjects, then, once
   * they are acknowledged, the session naming them: a session read at any time names parts that exist.
   * The previous generation's parts are removed after the new session record is acknowledged.
   */
  private saveInParts(session: StoredSession, packedBytes: number): void {
    const perChunk = Math.max(1, Math.floor((session.subscriptions.length * SESSION_RECORD_BYTES) / packedBytes / 2));
    const chunks: Array<StoredSession['subscriptions']> = [];
    for (let start = 0; start < session.subscriptions.length; start += perChunk) chunks.push(session.subscriptions.slice(start, start + perChunk));
    const g = `${this.node}.${Date.now().toString(36)}${(++this.partGeneration).toString(36)}`;
    const subjects: string[] = [];
    const written: Array<Promise<number>> = [];
    for (let index = 1; index < chunks.length; index++) {
      const subject = this.subject(session.clientId, `p.${g}.${index}`);
      const part: SessionPart = { subscriptions: chunks[index]! };
      subjects.push(subject);
      this.note(session.clientId, subject);
      written.push(this.put(subject, packr.pack(part)));
    }
    this.partsOf.set(session.clientId, subjects);
    const head: SessionHead = { ...session, subscriptions: chunks[0] ?? [], parts: { g, count: chunks.length } };
    const headData = packr.pack(head);
    const headSubject = this.subject(session.clientId, 's');
    const headWritten = Promise.all(written).then(() => this.tracker.write((timeout) => this.js.publish(headSubject, headData, { timeout })).then((ack) => ack.seq));
    this.tracker.track(headWritten);
    this.written.set(headSubject, headWritten);
  }

  /** Removes `subject` once the current record of `after` is acknowledged. */
  private removeAfter(clientId: string, after: string, subject: string): void {
    this.subjectsOf.get(clientId)?.delete(subject);
    const barrier = this.written.get(after);
    if (barrier === undefined) return this.remove(subject);
    this.tracker.track(barrier.then(() => this.remove(subject)));
  }

  delete(clientId: string): void {
    this.partsOf.delete(clientId);
    this.remove(this.subject(clientId, 's'));
    const subjects = this.subjectsOf.get(clientId);
    if (subjects === undefined) return;
    this.subjectsOf.delete(clientId);
    for (const subject of subjects) this.remove(subject);
  }

  async loadSession(clientId: string): Promise<LoadedSession | undefined> {
    const base = this.subject(clientId, '');
    let session: SessionHead | undefined;
    const deliveries: LoadedDelivery[] = [];
    const incomingQos2: number[] = [];
    const parts = new Map<string, SessionPart>();
    await readStream(this.js, this.names.sessionsStream, `${base}>`, (msg) => {
      const rest = msg.subject.slice(base.length);
      this.written.set(msg.subject, Promise.resolve(msg.seq));
      if (rest === 's') {
        session = packr.unpack(msg.data) as SessionHead;
        return;
      }
      this.note(clientId, msg.subject);
      if (rest.startsWith('p.')) {
        parts.set(rest.slice(2), packr.unpack(msg.data) as SessionPart);
      } else if (rest.startsWith('d.')) {
        const record = packr.unpack(msg.data) as DeliveryRecord;
        deliveries.push({ delivery: record.d, message: record.m });
      } else if (rest.startsWith('q.')) {
        incomingQos2.push(Number(rest.slice(2)));
      }
    });
    if (session === undefined) return undefined;
    session = this.joinParts(clientId, session, parts);
    deliveries.sort((a, b) => a.delivery.sequence - b.delivery.sequence);
    incomingQos2.sort((a, b) => a - b);
    return { session, deliveries, incomingQos2 };
  }

  /**
   * The session with the subscriptions of its parts; parts of other generations (a save that crashed
   * before its session record was written, or whose removal did not finish) are removed.
   */
  private joinParts(clientId: string, head: SessionHead, parts: Map<string, SessionPart>): StoredSession {
    const { parts: named, ...session } = head;
    const current: string[] = [];
    if (named !== undefined) {
      for (let index = 1; index < named.count; index++) {
        const key = `${named.g}.${index}`;
        const part = parts.get(key);
        if (part === undefined) throw new Error(`cluster: session ${JSON.stringify(clientId)} names part ${index} of ${named.count}, which the sessions stream lacks`);
        session.subscriptions.push(...part.subscriptions);
        current.push(this.subject(clientId, `p.${key}`));
        parts.delete(key);
      }
      this.partsOf.set(clientId, current);
    }
    for (const key of parts.keys()) {
      const subject = this.subject(clientId, `p.${key}`);
      this.subjectsOf.get(clientId)?.delete(subject);
      this.remove(subject);
    }
    return session;
  }

  // --- MessageStore -----------------------------------------------------------------------

  saveMessage(messageId: number, message: StoredMessage, clientIds: readonly string[], deliveries: readonly StoredDelivery[]): void {
    this.messages.set(messageId, message);
    for (let index = 0; index < deliveries.length; index++) this.saveDelivery(clientIds[index]!, deliveries[index]!);
  }

  deleteMessage(messageId: number): void {
    this.messages.delete(messageId);
    const keys = this.deliveriesOf.get(messageId);
    if (keys === undefined) return;
    this.deliveriesOf.delete(messageId);
    for (const [clientId, sequence] of keys) this.deleteDelivery(clientId, sequence);
  }

  saveDelivery(clientId: string, delivery: StoredDelivery): void {
    const message = this.messages.get(delivery.messageId);
    if (message === undefined) return; // its message ended already
    const subject = this.deliverySubject(clientId, delivery.sequence);
    if (!this.written.has(subject)) {
      let keys = this.deliveriesOf.get(delivery.messageId);
      if (keys === undefined) this.deliveriesOf.set(delivery.messageId, (keys = []));
      keys.push([clientId, delivery.sequence]);
      this.note(clientId, subject);
    }
    const record: DeliveryRecord = { d: { ...delivery }, m: message };
    this.put(subject, record);
  }

  deleteDelivery(clientId: string, sequence: number): void {
    const subject = this.deliverySubject(clientId, sequence);
    this.subjectsOf.get(clientId)?.delete(subject);
    this.remove(subject);
  }

  addIncomingQos2(clientId: string, packetId: number): void {
    const subject = this.subject(clientId, `q.${packetId}`);
    this.note(clientId, subject);
    this.put(subject, 1);
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    const subject = this.subject(clientId, `q.${packetId}`);
    this.subjectsOf.get(clientId)?.delete(subject);
    this.remove(subject);
  }

  // --- cluster ----------------------------------------------------------------------------

  /** Accounts for a delivery read at open (this node's own), so ending its message deletes it. */
  saveMessageKnown(messageId: number, message: StoredMessage, clientId: string, sequence: number): void {
    this.messages.set(messageId, message);
    let keys = this.deliveriesOf.get(messageId);
    if (keys === undefined) this.deliveriesOf.set(messageId, (keys = []));
    keys.push([clientId, sequence]);
  }

  /** Forgets a session handed to another node: its records are that node's to rewrite and delete now. */
  forget(clientId: string): void {
    const subjects = this.subjectsOf.get(clientId);
    this.subjectsOf.delete(clientId);
    this.written.delete(this.subject(clientId, 's'));
    this.partsOf.delete(clientId);
    if (subjects !== undefined) for (const subject of subjects) this.written.delete(subject);
    for (const [messageId, keys] of this.deliveriesOf) {
      const kept = keys.filter(([owner]) => owner !== clientId);
      if (kept.length === 0) {
        this.deliveriesOf.delete(messageId);
        this.messages.delete(messageId);
      } else if (kept.length !== keys.length) {
        this.deliveriesOf.set(messageId, kept);
      }
    }
  }

  /** Deletes records of a session read from another node's ids (after they were written again under ours). */
  removeSubjects(subjects: Iterable<string>): void {
    for (const subject of subjects) this.remove(subject);
  }

  /** Subjects of a client's deliveries as loadSession found them (to remove after rewriting). */
  subjectsFor(clientId: string): string[] {
    return [...(this.subjectsOf.get(clientId) ?? [])];
  }

  private note(clientId: string, subject: string): void {
    let subjects = this.subjectsOf.get(clientId);
    if (subjects === undefined) this.subjectsOf.set(clientId, (subjects = new Set()));
    subjects.add(subject);
  }

  private subject(clientId: string, rest: string): string {
    return this.names.sessionSubject(clientKey(clientId), rest);
  }

  private deliverySubject(clientId: string, sequence: number): string {
    return this.subject(clientId, `d.${this.node}.${sequence}`);
  }

  private put(subject: string, value: unknown): Promise<number> {
    const data = value instanceof Uint8Array ? value : packr.pack(value);
    const written = this.tracker.write((timeout) => this.js.publish(subject, data, { timeout })).then((ack) => ack.seq);
    this.written.set(subject, written);
    return written;
  }

  private remove(subject: string): void {
    const written = this.written.get(subject);
    if (written === undefined) return;
    this.written.delete(subject);
    const stream = this.names.sessionsStream;
    // Tracked once the put is acknowledged (its sequence known); an earlier attempt that deleted it, or a
    // rewrite that replaced it, leaves it "not found", which is what a delete wants.
    this.tracker.track(
      written.then((sequence) =>
        this.tracker.write(() =>
          this.jsm.streams.deleteMessage(stream, sequence, false).catch((error: unknown) => {
            if ((error as { api_error?: { err_code?: number } }).api_error?.err_code === NO_MESSAGE_FOUND || /not found/i.test(String(error))) return true;
            throw error;
          }),
        ),
      ),
    );
  }
}
