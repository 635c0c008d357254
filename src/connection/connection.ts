// One per socket, and the only code that touches it: feeds received bytes to the decoder and the
// packets to the channel in order; encodes outgoing packets and writes them in one batch per
// event-loop turn; watches the outgoing buffer for slow consumers.
//
// When the channel returns a promise (authentication, authorization), reading pauses and the
// packets already decoded wait, so a client's packets are always handled in the order sent.

import type { ByteStream } from '../transport/listener.js';
import type { ProtocolVersion } from '../codec/constants.js';
import { Decoder, DecodeError } from '../codec/decoder.js';
import { EMPTY_BUFFER } from '../codec/primitives.js';
import { encode, encodePublishHeader } from '../codec/encoder.js';
import type { Packet } from '../codec/types.js';
import type { Channel } from '../channel/channel.js';
import type { Outbox } from '../channel/outbox.js';
import type { ChannelLink } from '../channel/supervisor.js';
import { packetTypeCode, type ListenerTraffic } from '../metrics/counters.js';
import { CONNECT_LEVEL_BYTES, connectProtocolVersion, isHttpRequest } from './connect-level.js';
import type { Barrier } from '../session/persistence.js';

/** Below this, a PUBLISH is copied into one buffer with its header; above, the payload is written as is. */
const SMALL_PAYLOAD = 2048;

/** Settings shared by every connection of a broker (one object, not one per socket). */
export interface ConnectionOptions {
  maxPacketSize: number;
  maxOutgoingBufferBytes: number;
  /** The traffic counters of the connection's listener. */
  traffic: ListenerTraffic;
  /** The store's durability barrier: bytes queued while it is pending leave only once it is done. */
  barrier?: () => Barrier | undefined;
  /** Called once when the socket has closed. */
  onClose?: (connection: Connection) => void;
  /** Called when the first bytes are an HTTP request rather than a CONNECT (the connection is then refused as usual). */
  onHttpRequest?: (connection: Connection) => void;
}

// Per-connection state is kept small for brokers holding many idle clients: the socket listeners
// are shared functions that find their Connection through the socket, every connection that has
// something to write is flushed once the read that caused it is handled (or by one microtask when
// something else, such as a resolved promise, queued it), and the outgoing and
// held lists exist only while they hold something.
const CONNECTION = Symbol('connection');
type ConnectedSocket = ByteStream & { [CONNECTION]: Connection };

function onData(this: ConnectedSocket, chunk: Buffer): void {
  // What handling this chunk writes, to this socket or others, is flushed as soon as it is handled: no
  // microtask per read (at moderate rates a read usually carries one packet, so that was one per message).
  receiving = true;
  try {
    this[CONNECTION].receive(chunk);
  } finally {
    receiving = false;
  }
  if (!flushScheduled && toFlush.length > 0) flushAll();
}
function onDrain(this: ConnectedSocket): void {
  this[CONNECTION].drained();
}
function onClose(this: ConnectedSocket): void {
  this[CONNECTION].socketClosed();
}
function onError(): void {
  // 'close' follows; errors such as ECONNRESET are normal ends of a connection.
}

const toFlush: Connection[] = [];
let flushScheduled = false;
/** True while a socket's bytes are being handled: onData flushes when done. */
let receiving = false;
function flushAll(): void {
  flushScheduled = false;
  for (let i = 0; i < toFlush.length; i++) toFlush[i]!.flush();
  toFlush.length = 0;
}

export class Connection implements Outbox, ChannelLink {
  protocolVersion: ProtocolVersion = 4;
  channel!: Channel;
  /** When the outgoing buffer first went over its cap (ms), for the drain timeout; 0 when under. */
  congestedSince = 0;

  private readonly decoder: Decoder;
  /** Encoded packets waiting for this turn's flush; undefined when there are none. */
  private pending: Buffer | Buffer[] | undefined;
  private pendingBytes = 0;
  private flushQueued = false;
  /** Bytes held behind durability barriers, oldest first; each batch leaves when its barrier is done. Undefined when none. */
  private held: Array<{ barrier: Barrier; buffers: Buffer[] }> | undefined;
  private closed = false;
  private closing = false;
  private processing = false;
  /** The first bytes received, until the first packet is decoded: a malformed MQTT 5 CONNECT still gets an MQTT 5 CONNACK. */
  private connectHead: Buffer | undefined = EMPTY_BUFFER;

  constructor(
    readonly socket: ByteStream,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new Decoder({ maximumPacketSize: options.maxPacketSize });
    (socket as ConnectedSocket)[CONNECTION] = this;
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  whenClosed(): Promise<void> {
    if (this.socket.destroyed && this.socket.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  get writable(): boolean {
    return this.socket.writableLength + this.pendingBytes < this.options.maxOutgoingBufferBytes;
  }

  /** Whether packets are waiting for the store (so close must wait for them too). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  send(packet: Packet): void {
    if (this.closed) return;
    this.options.traffic.packetsSent[packetTypeCode(packet.type)]! += 1;
    if (packet.type === 'publish') {
      if (packet.payload.length > SMALL_PAYLOAD) {
        this.queue(encodePublishHeader(packet, this.protocolVersion));
        this.queue(packet.payload);
      } else {
        this.queue(encode(packet, this.protocolVersion));
      }
    } else if (packet.type === 'connack' && packet.reasonCode >= 0x80) {
      // A refused CONNECT depends on no store write: it is answered at once, even while a commit stalls
      // (a cluster that lost its quorum refuses new clients with 0x88 instead of leaving them waiting).
      this.append(encode(packet, this.protocolVersion));
      this.flush();
    } else {
      this.queue(encode(packet, this.protocolVersion));
    }
  }

  close(): void {
    if (this.closed || this.closing) return;
    if (this.held !== undefined) {
      this.closing = true; // releaseHeld closes once the held packets are out
      return;
    }
    this.finishClose();
  }

  private finishClose(): void {
    this.flush();
    this.closed = true;
    this.socket.end();
    // A socket paused for a pending CONNECT check must still read the peer's FIN to close; what else
    // arrives now is dropped (receive), and the timer below ends a peer that keeps sending.
    this.socket.resume();
    // A peer that never reads would keep a half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private queue(buffer: Buffer): void {
    const barrier = this.options.barrier?.();
    if (barrier !== undefined || this.held !== undefined) {
      this.hold(barrier, buffer);
      return;
    }
    this.append(buffer);
    if (!this.flushQueued) {
      this.flushQueued = true;
      toFlush.push(this);
      if (!flushScheduled && !receiving) {
        flushScheduled = true;
        queueMicrotask(flushAll);
      }
    }
  }

  /** Adds to this turn's write; a turn with one packet (the usual case at moderate rates) allocates no list. */
  private append(buffer: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) this.pending = buffer;
    else if (!Array.isArray(pending)) this.pending = [pending, buffer];
    else pending.push(buffer);
    this.pendingBytes += buffer.length;
  }

  /** Keeps a packet back until the store writes made before it are durable (and everything held before it has left). */
  private hold(barrier: Barrier | undefined, buffer: Buffer): void {
    const held = (this.held ??= []);
    const last = held[held.length - 1];
    if (last !== undefined && (barrier === undefined || last.barrier === barrier)) {
      last.buffers.push(buffer);
      return;
    }
    held.push({ barrier: barrier!, buffers: [buffer] });
    const release = (): void => this.releaseHeld();
    barrier!.promise.then(release, release);
  }

  private releaseHeld(): void {
    const held = this.held;
    if (held === undefined) return; // the socket closed meanwhile
    if (held[0]!.barrier.failed) {
      this.abandon();
      return;
    }
    while (held.length > 0 && held[0]!.barrier.done && !held[0]!.barrier.failed) {
      for (const buffer of held.shift()!.buffers) this.append(buffer);
    }
    if (held.length === 0) this.held = undefined;
    this.flush();
    if (this.closing && this.held === undefined) this.finishClose();
  }

  /**
   * The store writes a held packet waited for failed: it must not leave (a PUBACK would acknowledge a
   * message that is not stored), so the connection closes without it; the client resends after reconnecting.
   */
  private abandon(): void {
    this.held = undefined;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.closed = true;
    this.socket.destroy();
  }

  /** Writes everything queued in one write (called once per event-loop turn, or before closing). */
  flush(): void {
    this.flushQueued = false;
    const pending = this.pending;
    if (pending === undefined || this.closed) return;
    const bytes = this.pendingBytes;
    // The batch alone can fill the outgoing cap and stop the session sending; if the kernel then takes it
    // whole, no 'drain' follows, so the session is told here.
    const batchFilledCap = !this.writable;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.options.traffic.bytesSent += bytes;
    this.socket.write(Array.isArray(pending) ? Buffer.concat(pending, bytes) : pending);
    if (this.writable) {
      if (batchFilledCap) this.drained();
    } else if (this.congestedSince === 0) this.congestedSince = Date.now();
  }

  drained(): void {
    this.congestedSince = 0;
    this.channel.session?.drain();
  }

  receive(chunk: Buffer): void {
    this.options.traffic.bytesReceived += chunk.length;
    if (this.closed) return;
    const head = this.connectHead;
    if (head !== undefined && head.length < CONNECT_LEVEL_BYTES) {
      // Usually the whole CONNECT is in the first chunk: a view of it, no copy (dropped once the first packet is decoded).
      const first = head.length === 0 ? chunk.subarray(0, CONNECT_LEVEL_BYTES) : Buffer.concat([head, chunk.subarray(0, CONNECT_LEVEL_BYTES - head.length)]);
      this.connectHead = first;
      // 'P' (POST, PUT, PATCH) starts a valid PUBREC header, which the decoder would wait to complete; the
      // other methods' first bytes fail at once and are reported when the first packet is refused.
      if (first[0] === 0x50 && isHttpRequest(first)) {
        this.options.onHttpRequest?.(this);
        this.connectHead = undefined;
        this.close();
        return;
      }
    }
    this.decoder.push(chunk);
    if (!this.processing) this.process();
  }

  /** Hands decoded packets to the channel until the decoder needs more bytes or the channel waits. */
  private process(): void {
    this.processing = true;
    const now = Date.now();
    while (!this.closed) {
      const packet = this.decoder.next();
      if (packet === undefined) break;
      if (!(packet instanceof DecodeError)) this.options.traffic.packetsReceived[packetTypeCode(packet.type)]! += 1;
      const head = this.connectHead;
      if (head !== undefined) {
        this.connectHead = undefined;
        if (packet instanceof DecodeError || packet.type !== 'connect') this.firstPacketRefused(packet, head);
      }
      const result = this.channel.handle(packet, now);
      if (result !== undefined) {
        this.waitFor(result);
        return;
      }
    }
    this.processing = false;
  }

  /**
   * The first packet is not a CONNECT, or does not decode. An undecodable MQTT 5 CONNECT is refused with an
   * MQTT 5 CONNACK 0x81 or 0x82 (section 4.13.1), not a 3.1.1 one; an HTTP request is reported.
   */
  private firstPacketRefused(packet: Packet | DecodeError, head: Buffer): void {
    if (packet instanceof DecodeError && packet.packetType === 'connect') {
      const version = connectProtocolVersion(head);
      if (version === undefined) return;
      this.protocolVersion = version;
      this.channel.protocolVersion = version;
    } else if (isHttpRequest(head)) {
      this.options.onHttpRequest?.(this);
    }
  }

  private waitFor(result: Promise<void>): void {
    this.socket.pause();
    void result.then(() => {
      if (this.closed) return;
      this.socket.resume();
      this.process();
    });
  }

  socketClosed(): void {
    this.closed = true;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.held = undefined;
    this.channel.connectionLost('connection closed');
    this.options.onClose?.(this);
  }
}
