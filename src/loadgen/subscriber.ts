// The receiving side of a benchmark client: reads the send time, sequence and publisher id from each PUBLISH,
// records latency and duplicates, and acknowledges QoS 1/2 in one write per socket chunk.

import type { BenchClient, ClientRole } from './client.js';
import { publishPacketId, publishPayloadOffset } from './frame-decoder.js';
import type { Histogram } from './histogram.js';
import { PAYLOAD_HEADER_SIZE, readPublisherId, readSentAt, readSequence } from './payload.js';
import { SequenceSet } from './sequence-set.js';
import { ACKNOWLEDGEMENT_SIZE, PacketType, writeAcknowledgement } from './wire.js';

/** Counters shared by every subscriber of one agent (one thread), so nothing needs merging inside a thread. */
export class ReceiveStatistics {
  measuring = false;
  /** Messages sent at or after this time (and before measureUntil) count towards latency and duplicates. */
  measureFrom = Number.POSITIVE_INFINITY;
  measureUntil = Number.POSITIVE_INFINITY;
  received = 0;
  receivedWhileMeasuring = 0;
  duplicates = 0;
  /** PUBLISH packets not from this run: payload too short for our header, or sent before the run began. */
  foreign = 0;
  /** Messages sent before this time belong to an earlier run (still draining from the broker) and are ignored. */
  acceptFrom = Number.NEGATIVE_INFINITY;
  /** Called once per socket chunk that carried deliveries; the agent uses it to resume QoS 0 publishers. */
  onDelivered: (() => void) | undefined;

  /**
   * @param deliveries per publisher id, deliveries seen by any subscriber in any thread (shared memory):
   *   QoS 0 publishers use it as their end-to-end in-flight window.
   */
  constructor(
    readonly latencyMicroseconds: Histogram,
    readonly deliveries: Int32Array,
  ) {}
}

export class Subscriber implements ClientRole {
  readonly streams = new Map<number, SequenceSet>();
  private acknowledgements = Buffer.allocUnsafe(ACKNOWLEDGEMENT_SIZE * 256);
  private acknowledgementBytes = 0;
  private deliveredInChunk = false;

  constructor(
    readonly client: BenchClient,
    readonly subscriberId: number,
    private readonly statistics: ReceiveStatistics,
  ) {
    client.role = this;
  }

  onFrame(type: number, flags: number, buffer: Buffer, start: number, end: number): void {
    if (type === PacketType.Pubrel) {
      this.queueAcknowledgement(PacketType.Pubcomp, buffer.readUInt16BE(start));
      return;
    }
    if (type !== PacketType.Publish) return;
    const qos = (flags >> 1) & 0x03;
    const payloadOffset = publishPayloadOffset(buffer, start, qos, this.client.protocolVersion);
    if (qos === 1) this.queueAcknowledgement(PacketType.Puback, publishPacketId(buffer, start));
    else if (qos === 2) this.queueAcknowledgement(PacketType.Pubrec, publishPacketId(buffer, start));
    const statistics = this.statistics;
    if (end - payloadOffset < PAYLOAD_HEADER_SIZE) {
      statistics.foreign++;
      return;
    }
    const sentAt = readSentAt(buffer, payloadOffset);
    if (sentAt < statistics.acceptFrom) {
      statistics.foreign++;
      return;
    }
    statistics.received++;
    if (statistics.measuring) statistics.receivedWhileMeasuring++;
    const sequence = readSequence(buffer, payloadOffset);
    const publisherId = readPublisherId(buffer, payloadOffset);
    if (publisherId < statistics.deliveries.length) Atomics.add(statistics.deliveries, publisherId, 1);
    this.deliveredInChunk = true;
    let stream = this.streams.get(publisherId);
    if (stream === undefined) {
      stream = new SequenceSet();
      this.streams.set(publisherId, stream);
    }
    const firstTime = stream.add(sequence);
    if (sentAt >= statistics.measureFrom && sentAt < statistics.measureUntil) {
      if (firstTime) statistics.latencyMicroseconds.record((this.client.chunkArrivedAt - sentAt) * 1000);
      else statistics.duplicates++;
    }
  }

  afterChunk(): void {
    if (this.deliveredInChunk) {
      this.deliveredInChunk = false;
      this.statistics.onDelivered?.();
    }
    if (this.acknowledgementBytes === 0) return;
    // The socket keeps a reference to what it is given, so hand it a copy and reuse the scratch buffer.
    this.client.write(Buffer.from(this.acknowledgements.subarray(0, this.acknowledgementBytes)));
    this.acknowledgementBytes = 0;
  }

  onWritable(): void {}

  private queueAcknowledgement(type: PacketType, packetId: number): void {
    if (this.acknowledgementBytes + ACKNOWLEDGEMENT_SIZE > this.acknowledgements.length) {
      const grown = Buffer.allocUnsafe(this.acknowledgements.length * 2);
      this.acknowledgements.copy(grown, 0, 0, this.acknowledgementBytes);
      this.acknowledgements = grown;
    }
    this.acknowledgementBytes = writeAcknowledgement(this.acknowledgements, this.acknowledgementBytes, type, packetId);
  }
}
