// Reading one session of the LMDB store (loadSession): its record, its inbound QoS 2 ids, and the
// deliveries it is owed. Those kept apart are one range scan; those inside message records are not
// indexed by client, so every segment is read: a takeover's cost, never the broker's hot path.

import type { LoadedDelivery, LoadedSession, StoredDelivery, StoredMessage } from '../store.js';
import { reviveSession } from './buffers.js';
import { clientRange } from './layout.js';
import type { Databases } from './layout.js';
import { decodeSegment } from './segment-codec.js';
import type { SegmentIndex } from './segments.js';

/** Reads what is committed; `segments` tells which messages have ended (their bitmaps may be unwritten). */
export function loadSession(databases: Databases, segments: SegmentIndex, clientId: string): LoadedSession | undefined {
  const record = databases.sessions.get(clientId);
  if (record === undefined) return undefined;
  const range = clientRange(clientId);

  // Delivery records win over the deliveries inside message records: a later state, or an end marker.
  const recorded = new Set<number>();
  const owed: StoredDelivery[] = [];
  for (const { key, value } of databases.deliveries.getRange(range)) {
    recorded.add(key[1]);
    if (typeof value !== 'number') owed.push(value);
  }
  const needed = new Set(owed.map((delivery) => delivery.messageId));
  const messages = new Map<number, StoredMessage>();
  for (const { key: segmentId, value } of databases.segments.getRange()) {
    const segment = segments.find(segmentId);
    if (segment === undefined) continue;
    for (const { messageId, message, deliveries } of decodeSegment(value, segmentId)) {
      if (segment.isDead(messageId)) continue;
      let keep = needed.has(messageId);
      for (const { clientId: owedTo, ...delivery } of deliveries) {
        if (owedTo !== clientId || recorded.has(delivery.sequence)) continue;
        owed.push(delivery);
        keep = true;
      }
      if (!keep) continue;
      message.payload = Buffer.from(message.payload); // out of lmdb-js's reused read buffer
      messages.set(messageId, message);
    }
  }

  const loaded: LoadedDelivery[] = [];
  for (const delivery of owed.sort((a, b) => a.sequence - b.sequence)) {
    const message = messages.get(delivery.messageId);
    if (message !== undefined) loaded.push({ delivery, message });
  }
  const incomingQos2: number[] = [];
  for (const [, packetId] of databases.incomingQos2.getKeys(range)) incomingQos2.push(packetId);
  return { session: reviveSession(record), deliveries: loaded, incomingQos2 };
}
