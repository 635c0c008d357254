// The conn scenario's fast path over plain TCP: opens many idle MQTT connections with a bounded number in
// flight, counts one as open when its CONNACK arrives, keeps them alive with pings and closes them by DISCONNECT.
//
// Built so that the kernel's connect(), not this code, is what a connection costs: every CONNECT is encoded up
// front into one buffer (a template with the client id's digits patched in), there is no promise, closure or
// timer per connection (listeners are shared functions that read their state from the socket object, one
// interval sweeps connect timeouts), no DNS lookup (the host is an address), no setNoDelay/setKeepAlive calls
// (an idle connection writes one packet at a time, which Nagle's algorithm never delays), and the CONNACK is
// read from its first bytes instead of going through a general decoder.

import net from 'node:net';
import { monotonicMilliseconds } from './clock.js';
import { Histogram, type HistogramSnapshot } from './histogram.js';
import { DISCONNECT, PINGREQ, PacketType, encodeConnect, type ConnectFields } from './wire.js';

export interface IdleConnectionSettings {
  host: string;
  port: number;
  connect: Omit<ConnectFields, 'clientId'>;
  clientIdPrefix: string;
  /** Global index of the first connection (client ids and source addresses follow it) and how many to open. */
  firstIndex: number;
  count: number;
  /** Connections between socket creation and CONNACK at once. */
  concurrency: number;
  /** Local addresses, used round-robin by global index; empty: the kernel picks. */
  sourceAddresses: readonly string[];
  connectTimeoutMilliseconds: number;
}

export interface IdleConnectReport {
  opened: number;
  failed: number;
  firstError?: string | undefined;
  /** Socket creation to CONNACK, microseconds. */
  latency: HistogramSnapshot;
}

const CONNACK_FIRST_BYTE = PacketType.Connack << 4;
const LOOPBACK_SOURCE_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'];

/**
 * Where --source is not given and the broker is on loopback: eight source addresses of 127.0.0.0/8 other than
 * 127.0.0.1. Binding a source address makes the kernel pick the port at bind() time; a plain connect() from
 * 127.0.0.1 instead searches the port range checking every candidate 4-tuple, which perf showed taking 60 %
 * of the load CPU (about 270 µs per connection) once the machine holds many TIME_WAIT entries on loopback.
 * Eight addresses also give about 8 x 28k ephemeral ports.
 */
export function defaultSourceAddresses(host: string): string[] {
  return host.startsWith('127.') ? LOOPBACK_SOURCE_ADDRESSES : [];
}
const TIMEOUT_SWEEP_MILLISECONDS = 1_000;
const CLOSE_TIMEOUT_MILLISECONDS = 5_000;

/** One connection; its fields replace the closures a per-connection callback would need. */
class IdleSocket extends net.Socket {
  owner!: IdleConnections;
  startedAt = 0;
  /** Until the CONNACK (or a failure) settles this connection. */
  waiting = true;
  connected = false;
  /** The first bytes of a CONNACK split across reads (rare: it is 4 bytes in 3.1.1). */
  partial: Buffer | undefined;
}

/**
 * The CONNACK's return code (3.1.1) or reason code (5), both 0 for success, which follow the fixed header
 * byte, the remaining length (a variable byte integer, one byte unless v5 properties pass 127 bytes) and the
 * flags byte. Undefined while the bytes so far end before it; -1 when they are not a CONNACK.
 */
export function connackReasonCode(bytes: Buffer): number | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] !== CONNACK_FIRST_BYTE) return -1;
  let position = 1;
  while (position < bytes.length && (bytes[position]! & 0x80) !== 0) position++;
  if (position > 4) return -1; // a remaining length takes at most 4 bytes
  return bytes[position + 2];
}

function onData(this: IdleSocket, chunk: Buffer): void {
  if (!this.waiting) return; // PINGRESP
  const bytes = this.partial === undefined ? chunk : Buffer.concat([this.partial, chunk]);
  const reasonCode = connackReasonCode(bytes);
  if (reasonCode === undefined) {
    this.partial = bytes;
    return;
  }
  this.partial = undefined;
  if (reasonCode === 0) this.owner.acknowledged(this);
  else this.owner.refused(this, `expected a successful CONNACK, got bytes ${bytes.subarray(0, 8).toString('hex')}`);
}

function onError(this: IdleSocket, error: Error): void {
  if (this.waiting) this.owner.refused(this, error.message);
}

function onClose(this: IdleSocket): void {
  this.owner.closed(this);
}

export class IdleConnections {
  private readonly connectPackets: Buffer;
  private readonly packetSize: number;
  private readonly open = new Set<IdleSocket>();
  private readonly inFlight = new Set<IdleSocket>();
  private readonly latency = new Histogram();
  private started = 0;
  private opened = 0;
  private failed = 0;
  private firstError: string | undefined;
  private closing = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private finishOpening: ((report: IdleConnectReport) => void) | undefined;
  private finishClosing: (() => void) | undefined;
  /** Connections the broker or the network closed after their CONNACK. */
  lostConnections = 0;

  constructor(private readonly settings: IdleConnectionSettings) {
    const width = String(settings.firstIndex + settings.count).length;
    const placeholder = `${settings.clientIdPrefix}-c${'0'.repeat(width)}`;
    const template = encodeConnect({ ...settings.connect, clientId: placeholder });
    const digitsOffset = template.indexOf(placeholder) + placeholder.length - width;
    this.packetSize = template.length;
    this.connectPackets = Buffer.allocUnsafe(template.length * settings.count);
    for (let index = 0; index < settings.count; index++) {
      const offset = index * template.length;
      template.copy(this.connectPackets, offset);
      const digits = String(settings.firstIndex + index).padStart(width, '0');
      this.connectPackets.write(digits, offset + digitsOffset, 'latin1');
    }
  }

  get connections(): number {
    return this.open.size;
  }

  /** Opens every connection; resolves when each one has its CONNACK or has failed. */
  openAll(): Promise<IdleConnectReport> {
    return new Promise((resolve) => {
      this.finishOpening = resolve;
      this.sweepTimer = setInterval(() => this.sweepTimeouts(), TIMEOUT_SWEEP_MILLISECONDS);
      this.startMore();
      this.settleIfDone();
    });
  }

  ping(): void {
    if (this.closing) return;
    for (const socket of this.open) if (!socket.waiting) socket.write(PINGREQ);
  }

  /**
   * Sends DISCONNECT on every connection and waits for the broker to close them ([MQTT-3.14.4-1] in v5; what
   * every broker does in 3.1.1). The broker closing first keeps TIME_WAIT on its side, so the next run's
   * connects do not search a port range full of our old 4-tuples.
   */
  closeAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of this.open) socket.destroy();
      }, CLOSE_TIMEOUT_MILLISECONDS);
      this.finishClosing = () => {
        clearTimeout(timer);
        resolve();
      };
      for (const socket of this.open) {
        if (socket.waiting) socket.destroy();
        else socket.write(DISCONNECT);
      }
    });
  }

  acknowledged(socket: IdleSocket): void {
    socket.waiting = false;
    socket.connected = true;
    this.inFlight.delete(socket);
    this.opened++;
    this.latency.record((monotonicMilliseconds() - socket.startedAt) * 1000);
    this.startMore();
    this.settleIfDone();
  }

  refused(socket: IdleSocket, reason: string): void {
    socket.waiting = false;
    this.inFlight.delete(socket);
    this.failed++;
    this.firstError ??= reason;
    socket.destroy();
    this.startMore();
    this.settleIfDone();
  }

  closed(socket: IdleSocket): void {
    if (socket.waiting) this.refused(socket, 'closed by the broker before CONNACK');
    this.open.delete(socket);
    if (socket.connected && !this.closing) this.lostConnections++;
    if (this.closing && this.open.size === 0) this.finishClosing?.();
  }

  private startMore(): void {
    const { settings } = this;
    while (this.inFlight.size < settings.concurrency && this.started < settings.count && !this.closing) {
      const index = this.started++;
      const globalIndex = settings.firstIndex + index;
      const sources = settings.sourceAddresses;
      const socket = new IdleSocket();
      socket.owner = this;
      socket.startedAt = monotonicMilliseconds();
      socket.on('data', onData);
      socket.on('error', onError);
      socket.on('close', onClose);
      this.open.add(socket);
      this.inFlight.add(socket);
      socket.connect({
        host: settings.host,
        port: settings.port,
        localAddress: sources.length === 0 ? undefined : sources[globalIndex % sources.length],
      });
      // Queued until the socket connects; a view into the pre-encoded buffer, not a copy.
      socket.write(this.connectPackets.subarray(index * this.packetSize, (index + 1) * this.packetSize));
    }
  }

  private sweepTimeouts(): void {
    const deadline = monotonicMilliseconds() - this.settings.connectTimeoutMilliseconds;
    for (const socket of this.inFlight) {
      if (socket.startedAt < deadline) this.refused(socket, `no CONNACK within ${this.settings.connectTimeoutMilliseconds} ms`);
    }
  }

  private settleIfDone(): void {
    if (this.finishOpening === undefined || this.opened + this.failed < this.settings.count) return;
    const finish = this.finishOpening;
    this.finishOpening = undefined;
    clearInterval(this.sweepTimer);
    finish({ opened: this.opened, failed: this.failed, firstError: this.firstError, latency: this.latency.snapshot() });
  }
}
