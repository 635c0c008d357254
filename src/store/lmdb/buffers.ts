// msgpack gives binary fields back as Uint8Array (copied out of LMDB's memory, so safe to keep);
// the broker's types promise Node Buffers. This re-wraps them in place, without copying.

import type { Properties } from '../../codec/types.js';
import type { StoredMessage, StoredSession } from '../store.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function reviveProperties(properties: Properties): void {
  if (properties.correlationData !== undefined) properties.correlationData = asBuffer(properties.correlationData);
  if (properties.authenticationData !== undefined) properties.authenticationData = asBuffer(properties.authenticationData);
}

export function reviveMessage(message: StoredMessage): StoredMessage {
  message.payload = asBuffer(message.payload);
  reviveProperties(message.properties);
  return message;
}

export function reviveSession(session: StoredSession): StoredSession {
  const will = session.pendingWill;
  if (will !== undefined) {
    will.payload = asBuffer(will.payload);
    reviveProperties(will.properties);
  }
  return session;
}
