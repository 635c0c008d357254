// The benchmark PUBLISH payload: send time, sequence number and publisher id up front, zero padding after,
// so a subscriber anywhere (another worker or process on this machine) can compute latency, loss and duplicates.

/** float64 send time (ms, monotonic clock) + uint32 sequence + uint32 publisher id. */
export const PAYLOAD_HEADER_SIZE = 16;

const SEQUENCE_OFFSET = 8;
const PUBLISHER_OFFSET = 12;

export function writePayloadHeader(buffer: Buffer, offset: number, sentAt: number, sequence: number): void {
  buffer.writeDoubleLE(sentAt, offset);
  buffer.writeUInt32LE(sequence, offset + SEQUENCE_OFFSET);
}

export function writePublisherId(buffer: Buffer, offset: number, publisherId: number): void {
  buffer.writeUInt32LE(publisherId, offset + PUBLISHER_OFFSET);
}

export function readSentAt(buffer: Buffer, offset: number): number {
  return buffer.readDoubleLE(offset);
}

export function readSequence(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + SEQUENCE_OFFSET);
}

export function readPublisherId(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + PUBLISHER_OFFSET);
}
