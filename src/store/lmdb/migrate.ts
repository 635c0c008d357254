// Stores of formats 1 and 2 kept one record per message; format 3 keeps messages in segments. The
// move happens once, at open, in one synchronous transaction with the new format marker, so a crash
// leaves either the old layout or the new one.

import type { Databases } from './layout.js';
import { FORMAT_VERSION, MetaKey } from './layout.js';
import { ByteWriter } from './bytes.js';
import { decodeDeliveries } from './delivery-codec.js';
import { reviveMessage } from './buffers.js';
import { writeSegmentMessage } from './segment-codec.js';
import { SEGMENT_BYTES, SEGMENT_SPAN } from './segments.js';

export function moveMessagesIntoSegments(databases: Databases): void {
  databases.meta.transactionSync(() => {
    const writer = new ByteWriter(64 * 1024);
    let segmentId = 0;
    const writeSegment = (): void => {
      if (writer.offset > 0) databases.segments.putSync(segmentId, Buffer.from(writer.bytes()));
      writer.reset();
    };
    for (const { key, value } of databases.messages.getRange()) {
      if (writer.offset === 0 || key - segmentId >= SEGMENT_SPAN || writer.offset >= SEGMENT_BYTES) {
        writeSegment();
        segmentId = key;
      }
      const { deliveries, ...message } = value;
      const owed = deliveries === undefined ? [] : decodeDeliveries(deliveries, key);
      writeSegmentMessage(writer, segmentId, key, reviveMessage(message), owed.map((delivery) => delivery.clientId), owed);
      databases.messages.removeSync(key);
    }
    writeSegment();
    databases.meta.putSync(MetaKey.Format, FORMAT_VERSION);
  });
}
