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
  /** Subscribers expected to receive each message; 0 when nobody here subscribes (then only backpressure limits QoS 0). */
  fan: number;
  /** Shared per-publisher delivery counters written by the subscribers (see ReceiveStatistics). */
  deliveries: Int32Array;
}

/** QoS 0 closed loop: messages per write, and writes per event-loop turn before yielding to other sockets. */
const QOS0_BATCH = 64;
const QOS0_BATCHES_PER_TURN = 8;
const FIRST_REASON_CODE_ERROR = 0x80;
/** A QoS 0 window that has not moved for this long is written off as dropped messages, so the run goes on. */
const QOS0_STALL_MILLISECONDS = 1_000;

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
  /** QoS 0 messages written off by the stall rule (the broker dropped them). */
  writtenOff = 0;
  private lastDelivered = 0;
  private lastDeliveryAt = 0;

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
    this.lastDeliveryAt = this.startedAt;
    if (this.settings.rate === 0) this.pump();
  }

  /** True when QoS 0 publishing is limited end to end: sent but not yet delivered to every subscriber. */
  get windowedQos0(): boolean {
    return this.settings.qos === 0 && this.settings.fan > 0;
  }

  /**
   * Room left in the QoS 0 end-to-end window. Without it a QoS 0 publisher only meets socket backpressure,
   * and loopback socket buffers (megabytes each) would hold seconds of messages: we would measure our queues.
   */
  private qos0Room(now: number): number {
    if (!this.windowedQos0) return Number.POSITIVE_INFINITY;
    const delivered = Atomics.load(this.settings.deliveries, this.publisherId) / this.settings.fan;
    if (delivered !== this.lastDelivered) {
      this.lastDelivered = delivered;
      this.lastDeliveryAt = now;
    }
    let outstanding = this.sequence - this.writtenOff - delivered;
    if (outstanding > 0 && now - this.lastDeliveryAt > QOS0_STALL_MILLISECONDS) {
      this.writtenOff += Math.ceil(outstanding);
      this.lastDeliveryAt = now;
      outstanding = 0;
    }
    return Math.floor(this.settings.inflight - outstanding);
  }

  /** QoS 0 closed loop: called when deliveries may have freed room in the window. */
  resume(): void {
    if (this.running && this.settings.rate === 0 && this.settings.qos === 0 && !this.pumpScheduled) this.pump();
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
    else count = Math.min(count, Math.max(0, this.qos0Room(now)));
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
    if (this.client.socket.writableNeedDrain) return; // 'drain' resumes us
    for (let batch = 0; batch < QOS0_BATCHES_PER_TURN; batch++) {
      const now = monotonicMilliseconds();
      const count = Math.min(QOS0_BATCH, this.qos0Room(now));
      if (count <= 0) return; // resume() is called as deliveries arrive
      if (!this.sendBatch(count, now)) return;
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
