// Every NATS name the cluster uses, derived from the configured prefix: node inboxes (live plane), subjects
// of the message and retained streams, the route table, streams, KV buckets and control subjects. One
// place, so two clusters with different prefixes share a NATS system without touching each other.

import { createHash } from 'node:crypto';
import { SubjectMap } from '../subject.js';

export class ClusterNames {
  /** QoS 1/2 (the message stream): a message one or more shared groups match is written on its topic's subject. */
  readonly durable: SubjectMap;
  /** Retained messages (one per subject). */
  readonly retained: SubjectMap;
  readonly messagesStream: string;
  readonly retainedStream: string;
  readonly sessionsStream: string;
  readonly routesStream: string;
  readonly ownersBucket: string;
  readonly nodesBucket: string;
  readonly recordsBucket: string;

  constructor(readonly prefix: string) {
    this.durable = new SubjectMap(prefix, 'd');
    this.retained = new SubjectMap(prefix, 'r');
    const upper = prefix.toUpperCase();
    this.messagesStream = `${upper}_MSGS`;
    this.retainedStream = `${upper}_RET`;
    this.sessionsStream = `${upper}_SESS`;
    this.routesStream = `${upper}_ROUTES`;
    this.ownersBucket = `${prefix}_owners`;
    this.nodesBucket = `${prefix}_nodes`;
    this.recordsBucket = `${prefix}_records`;
  }

  /** A node's control subject for one operation (ping, release, ...). */
  control(node: string, operation: string): string {
    return `${this.prefix}.ctl.${node}.${operation}`;
  }

  /** Where a node receives the live plane's batches (QoS 0) sent to it. */
  nodeInbox(node: string): string {
    return `${this.prefix}.n.${node}`;
  }

  /** The message stream subject of a node's batches that no shared group matches (one write per turn). */
  durableBatch(node: string): string {
    return `${this.prefix}.d.b.${node}`;
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
