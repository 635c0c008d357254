// The publishing side of a benchmark client: pre-encoded PUBLISH packets patched in batches, a closed loop
// bounded by the in-flight window (QoS 1/2) or socket backpressure (QoS 0), or a fixed rate driven by a ticker.

import type { BenchClient, ClientRole } from './client.js';
import { monotonicMilliseconds } from './clock.js';
import { acknowledgementReasonCode } from './frame-decoder.js';
import { PAYLOAD_HEADER_SIZE, writePayloadHeader, writePublisherId } from './payload.js';
import { ACKNOWLEDGEMENT_SIZE, PacketType, encodePublishTemplate, writeAcknowledgement, type PublishTemplate, type QoS } from './wire.js';

export interface PublisherSettings {
  qos: QoS;
  payloadSize: number;
  inflight: number;
  /** Messages per second for this publisher; 0 = closed loop. */
  rate: number;
  /** Fraction of one message interval this publisher is offset by, to spread publishers evenly. */
  phase: number;
}

/** QoS 0 closed loop: messages per write, and writes per event-loop turn before yielding to other sockets. */
const QOS0_BATCH = 64;
const QOS0_BATCHES_PER_TURN = 8;
const FIRST_REASON_CODE_ERROR = 0x80;

export class Publisher implements ClientRole {
  private readonly template: PublishTemplate;
  private readonly sequenceByPacketId = new Uint32Array(65_536);
  private readonly packetIdInUse = new Uint8Array(65_536);
  private nextPacketId = 1;
  private pendingReleases: number[] = [];
  private running = false;
  private pumpScheduled = false;
  private startedAt = 0;
  /** Next sequence number; also the count of messages sent. */
  sequence = 0;
  inflight = 0;
  acknowledged = 0;
  /** v5 acknowledgements carrying an error reason code. */
  rejected = 0;
  measureFrom = 0;
  measureTo = 0;

  constructor(
    readonly client: BenchClient,
    readonly publisherId: number,
    topic: string,
    private readonly settings: PublisherSettings,
  ) {
    const payload = Buffer.alloc(Math.max(settings.payloadSize, PAYLOAD_HEADER_SIZE));
    writePublisherId(payload, 0, publisherId);
    this.template = encodePublishTemplate(topic, settings.qos, client.protocolVersion, payload);
    client.role = this;
  }

  get window(): number {
    return Math.min(this.settings.inflight, this.client.receiveMaximum);
  }

  start(): void {
    this.running = true;
    this.startedAt = monotonicMilliseconds();
    if (this.settings.rate === 0) this.pump();
  }

  stop(): void {
    this.running = false;
  }

  beginMeasure(): void {
    this.measureFrom = this.sequence;
  }

  endMeasure(): void {
    this.measureTo = this.sequence;
    this.stop();
  }

  /** Messages of the measured range the broker has acknowledged (all of them for QoS 0). */
  acknowledgedInRange(): number {
    const total = this.measureTo - this.measureFrom;
    if (this.settings.qos === 0) return total;
    let unacknowledged = 0;
    for (let packetId = 1; packetId < 65_536; packetId++) {
      if (this.packetIdInUse[packetId] === 0) continue;
      const sequence = this.sequenceByPacketId[packetId]!;
      if (sequence >= this.measureFrom && sequence < this.measureTo) unacknowledged++;
    }
    return total - unacknowledged;
  }

  /** Fixed-rate mode: send what the schedule says is due by `now`; returns how many are still owed. */
  tick(now: number): number {
    if (!this.running) return 0;
    const due = Math.floor(((now - this.startedAt) / 1000) * this.settings.rate + this.settings.phase) - this.sequence;
    if (due <= 0) return 0;
    let count = due;
    if (this.settings.qos > 0) count = Math.min(count, this.window - this.inflight);
    else if (this.client.socket.writableNeedDrain) count = 0;
    if (count > 0) this.sendBatch(count, now);
    return due - count;
  }

  onFrame(type: number, _flags: number, buffer: Buffer, start: number, end: number): void {
    const packetId = buffer.readUInt16BE(start);
    switch (type) {
      case PacketType.Puback:
      case PacketType.Pubcomp:
        if (acknowledgementReasonCode(buffer, start, end) >= FIRST_REASON_CODE_ERROR) this.rejected++;
        else this.acknowledged++;
        this.release(packetId);
        return;
      case PacketType.Pubrec:
        if (acknowledgementReasonCode(buffer, start, end) >= FIRST_REASON_CODE_ERROR) {
          // MQTT 5 section 4.3.3: a PUBREC with an error reason code ends the QoS 2 flow, no PUBREL follows
          this.rejected++;
          this.release(packetId);
        } else this.pendingReleases.push(packetId);
        return;
      default:
        return;
    }
  }

  afterChunk(): void {
    if (this.running && this.settings.rate === 0 && this.settings.qos > 0) {
      const count = this.window - this.inflight;
      if (count > 0) {
        this.sendBatch(count, monotonicMilliseconds());
        return;
      }
    }
    if (this.pendingReleases.length > 0) this.sendBatch(0, 0);
  }

  onWritable(): void {
    if (this.running && this.settings.rate === 0 && this.settings.qos === 0) this.pump();
  }

  private release(packetId: number): void {
    if (this.packetIdInUse[packetId] === 0) return;
    this.packetIdInUse[packetId] = 0;
    this.inflight--;
  }

  /** Closed loop: QoS 0 writes until the socket pushes back; QoS 1/2 fills the in-flight window. */
  private pump(): void {
    this.pumpScheduled = false;
    if (!this.running || this.client.socket.destroyed) return;
    if (this.settings.qos > 0) {
      const count = this.window - this.inflight;
      if (count > 0) this.sendBatch(count, monotonicMilliseconds());
      return;
    }
    for (let batch = 0; batch < QOS0_BATCHES_PER_TURN; batch++) {
      if (!this.sendBatch(QOS0_BATCH, monotonicMilliseconds())) return; // 'drain' resumes us
    }
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => this.pump());
    }
  }

  /** Writes `count` PUBLISH packets and any pending PUBRELs in one socket write; returns socket.write's answer. */
  private sendBatch(count: number, sentAt: number): boolean {
    const { bytes, packetIdOffset, payloadOffset } = this.template;
    const packetLength = bytes.length;
    const releases = this.pendingReleases;
    const batch = Buffer.allocUnsafe(count * packetLength + releases.length * ACKNOWLEDGEMENT_SIZE);
    let offset = 0;
    for (let index = 0; index < count; index++) {
      bytes.copy(batch, offset);
      if (packetIdOffset >= 0) {
        const packetId = this.allocatePacketId();
        batch.writeUInt16BE(packetId, offset + packetIdOffset);
        this.sequenceByPacketId[packetId] = this.sequence;
      }
      writePayloadHeader(batch, offset + payloadOffset, sentAt, this.sequence);
      this.sequence++;
      offset += packetLength;
    }
    for (const packetId of releases) offset = writeAcknowledgement(batch, offset, PacketType.Pubrel, packetId);
    if (releases.length > 0) this.pendingReleases = [];
    return this.client.write(batch);
  }

  private allocatePacketId(): number {
    // The window never exceeds 65535, so a free id always exists.
    while (this.packetIdInUse[this.nextPacketId] === 1) this.advancePacketId();
    const packetId = this.nextPacketId;
    this.advancePacketId();
    this.packetIdInUse[packetId] = 1;
    this.inflight++;
    return packetId;
  }

  private advancePacketId(): void {
    this.nextPacketId = this.nextPacketId === 65_535 ? 1 : this.nextPacketId + 1;
  }
}
