// Every NATS name the cluster uses, derived from the configured prefix: subjects of the three planes,
// streams, KV buckets, control subjects and queue groups. One place, so two clusters with different
// prefixes share a NATS system without touching each other.

import { createHash } from 'node:crypto';
import { SubjectMap } from '../subject.js';

export class ClusterNames {
  /** QoS 0 (core NATS). */
  readonly live: SubjectMap;
  /** QoS 1/2 (the message stream). */
  readonly durable: SubjectMap;
  /** Retained messages (one per subject). */
  readonly retained: SubjectMap;
  readonly messagesStream: string;
  readonly retainedStream: string;
  readonly sessionsStream: string;
  readonly ownersBucket: string;
  readonly nodesBucket: string;
  readonly recordsBucket: string;

  constructor(readonly prefix: string) {
    this.live = new SubjectMap(prefix, 'l');
    this.durable = new SubjectMap(prefix, 'd');
    this.retained = new SubjectMap(prefix, 'r');
    const upper = prefix.toUpperCase();
    this.messagesStream = `${upper}_MSGS`;
    this.retainedStream = `${upper}_RET`;
    this.sessionsStream = `${upper}_SESS`;
    this.ownersBucket = `${prefix}_owners`;
    this.nodesBucket = `${prefix}_nodes`;
    this.recordsBucket = `${prefix}_records`;
  }

  /** A node's control subject for one operation (ping, release, ...). */
  control(node: string, operation: string): string {
    return `${this.prefix}.ctl.${node}.${operation}`;
  }

  /** The queue group of a node's live subscriptions: one copy per node however many of its filters match. */
  nodeQueue(node: string): string {
    return `n.${node}`;
  }

  /** The durable consumer a node routes QoS 1/2 messages from. */
  nodeConsumer(node: string): string {
    return `node-${node}`;
  }

  /** Subjects of one session's state in the sessions stream. */
  sessionSubject(clientKey: string, rest: string): string {
    return `${this.prefix}.s.${clientKey}.${rest}`;
  }
}

/** A client id as one subject token / KV key: base64url, or a hash of it when long. */
export function clientKey(clientId: string): string {
  const encoded = Buffer.from(clientId, 'utf8').toString('base64url');
  if (encoded.length <= 200) return `b${encoded}`;
  return `h${createHashHex(clientId)}`;
}

function createHashHex(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
