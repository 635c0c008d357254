// The broker's packet traces (EMQX's trace: by client id, by topic, by address) and the operations on
// them that the management API runs: start, stop, delete, list, read.
//
// Cost: nothing on the hot path while no trace runs. A channel gets a tracer only while a running
// trace follows it: then the channel passes every packet it receives to the tracer (one field
// check per packet in Channel.handle, false for everybody else) and its outbox is wrapped, so packets
// it sends pass through the tracer too. A client id or address trace follows the matching clients
// only; a topic trace follows every client and keeps the PUBLISH, SUBSCRIBE and UNSUBSCRIBE packets
// whose topic or filters meet its filter. Starting or stopping a trace walks the live channels once.

import { open as openFile, rm, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { AdminError } from '../admin/operations.js';
import { overlaps } from '../auth/acl.js';
import { normalizeAddress } from '../auth/bans.js';
import type { Channel } from '../channel/channel.js';
import type { Outbox } from '../channel/outbox.js';
import type { ChannelTracing, PacketTracer } from '../channel/tracing.js';
import type { ProtocolVersion } from '../codec/constants.js';
import { DecodeError } from '../codec/decode-error.js';
import type { ConnectPacket, Packet } from '../codec/types.js';
import { isValidTopicFilter } from '../codec/validate.js';
import { parseSharedFilter, topicMatches } from '../core/topic.js';
import type { Logger } from '../log.js';
import { formatPacketLine, type Direction, type PayloadEncode, type TraceFormatter } from './packet-line.js';
import { Trace, type TraceDefinition, type TraceType } from './trace.js';

/** EMQX's limit on traces kept at once. */
export const MAX_TRACES = 30;
export const DEFAULT_TRACE_MINUTES = 10;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const MIN_MAX_BYTES = 256;
export const MAX_MAX_BYTES = 1024 * 1024 * 1024;
/** EMQX's trace names, with digits allowed first. */
export const TRACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,255}$/;

export interface TraceRequest {
  name: string;
  type: TraceType;
  filter: string;
  /** Milliseconds since the epoch; default now. */
  startAt?: number;
  /** Default: start + 10 minutes. */
  endAt?: number;
  payloadEncode?: PayloadEncode;
  formatter?: TraceFormatter;
  maxBytes?: number;
}

/** What the traces need from the broker. */
export interface TracingHost {
  /** Every live channel. */
  channels(): Iterable<{ readonly channel: Channel }>;
  /** Where trace files go (created when the first trace starts). */
  directory(): string;
  readonly logger: Logger;
}

export class Tracing implements ChannelTracing {
  /** Whether some trace runs (a CONNECT is looked at only then). */
  active = false;
  private readonly traces = new Map<string, Trace>();

  constructor(private readonly host: TracingHost) {}

  list(): Trace[] {
    return [...this.traces.values()];
  }

  get(name: string): Trace {
    const trace = this.traces.get(name);
    if (trace === undefined) throw new AdminError(404, `${name} NOT FOUND`, 'NOT_FOUND');
    return trace;
  }

  /** Checks the request (400 INVALID_PARAMS, 409 ALREADY_EXISTS / DUPLICATE_CONDITION) and starts the trace, now or at its start time. */
  start(request: TraceRequest, now = Date.now()): Trace {
    const definition = this.definitionOf(request, now);
    const directory = this.host.directory();
    try {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new AdminError(409, `cannot create the trace directory ${directory}: ${(error as Error).message}`, 'CONFLICT');
    }
    const trace = new Trace(definition, join(directory, `${definition.name}.log`), this.host.logger, () => this.refresh());
    this.traces.set(definition.name, trace);
    trace.schedule(now);
    this.refresh();
    this.host.logger.info({ trace: definition.name, type: definition.type, filter: definition.filter, status: trace.status }, 'trace started');
    return trace;
  }

  private definitionOf(request: TraceRequest, now: number): TraceDefinition {
    const invalid = (message: string): never => {
      throw new AdminError(400, message, 'INVALID_PARAMS');
    };
    if (!TRACE_NAME_PATTERN.test(request.name)) invalid(`name: ${JSON.stringify(request.name)} must be letters, digits, - and _ (up to 256), starting with a letter or digit`);
    if (this.traces.has(request.name)) throw new AdminError(409, `${request.name} Already Exists`, 'ALREADY_EXISTS');
    if (this.traces.size >= MAX_TRACES) invalid('The number of traces created has reached the maximum please delete the useless ones first');
    let filter = request.filter;
    if (filter === '') invalid(`required ${request.type} field`);
    if (request.type === 'topic' && !isValidTopicFilter(filter)) invalid(`topic: ${filter} is not a valid topic filter`);
    if (request.type === 'ip_address') {
      if (isIP(filter) === 0) invalid(`ip_address: ${filter} is not an IP address`);
      filter = normalizeAddress(filter);
    }
    const startAt = request.startAt ?? now;
    const endAt = request.endAt ?? startAt + DEFAULT_TRACE_MINUTES * 60_000;
    if (endAt <= now) invalid('end_at time has already passed');
    if (startAt >= endAt) invalid('failed by start_at >= end_at');
    const maxBytes = request.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) invalid(`max_bytes: expected an integer from ${MIN_MAX_BYTES} to ${MAX_MAX_BYTES}`);
    for (const other of this.traces.values()) {
      if (other.status !== 'stopped' && other.definition.type === request.type && other.definition.filter === filter) {
        throw new AdminError(409, `${other.name} Duplication Condition`, 'DUPLICATE_CONDITION');
      }
    }
    return {
      name: request.name,
      type: request.type,
      filter,
      startAt,
      endAt,
      payloadEncode: request.payloadEncode ?? 'text',
      formatter: request.formatter ?? 'text',
      maxBytes,
    };
  }

  /** Stops a trace (its file stays until the trace is deleted). */
  stop(name: string): Trace {
    const trace = this.get(name);
    trace.stop('request');
    this.refresh();
    this.host.logger.info({ trace: name }, 'trace stopped');
    return trace;
  }

  /** Stops the trace and deletes it with its file. */
  async delete(name: string): Promise<void> {
    const trace = this.get(name);
    this.traces.delete(name);
    trace.stop('request');
    this.refresh();
    await trace.flushed();
    await rm(trace.file, { force: true });
    this.host.logger.info({ trace: name }, 'trace deleted');
  }

  async clear(): Promise<void> {
    for (const name of [...this.traces.keys()]) await this.delete(name);
  }

  /** At shutdown: every trace stops, its file saying so. */
  async close(): Promise<void> {
    for (const trace of this.traces.values()) trace.stop('broker_stopped');
    this.refresh();
    await Promise.all([...this.traces.values()].map((trace) => trace.flushed()));
  }

  /** The trace file's size and modification time, once everything accepted is written; undefined when there is no file (a trace that never started). */
  async fileOf(name: string): Promise<{ size: number; modified: Date } | undefined> {
    const trace = this.get(name);
    await trace.flushed();
    try {
      const stats = await stat(trace.file);
      return { size: stats.size, modified: stats.mtime };
    } catch {
      return undefined;
    }
  }

  /**
   * Up to `bytes` of the file from `position` (EMQX's chunked read), ending at a line end when the chunk
   * holds one and never inside a UTF-8 character; `position` of the answer is where the next read starts.
   */
  async readLog(name: string, position: number, bytes: number): Promise<{ items: string; position: number }> {
    const file = await this.fileOf(name);
    if (file === undefined || position >= file.size || bytes === 0) return { items: '', position: Math.min(position, file?.size ?? 0) };
    const length = Math.min(bytes, file.size - position);
    // One byte more than asked, when there is one: whether the next chunk starts inside a character.
    const buffer = Buffer.alloc(Math.min(bytes + 1, file.size - position));
    const handle = await openFile(this.get(name).file, 'r');
    try {
      await handle.read(buffer, 0, buffer.length, position);
    } finally {
      await handle.close();
    }
    let end = length;
    if (position + length < file.size) {
      const newline = buffer.subarray(0, length).lastIndexOf(0x0a);
      if (newline >= 0) end = newline + 1;
      else while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--; // back to the start of a character
    }
    if (end === 0) end = length;
    return { items: buffer.subarray(0, end).toString('utf8'), position: position + end };
  }

  connecting(channel: Channel, packet: ConnectPacket): void {
    const clientId = channel.peer.fromCertificate?.clientId ?? packet.clientId;
    // Traces that already followed the channel (a topic trace follows connections before their CONNECT) have the CONNECT already.
    const before = channel.tracer instanceof ChannelTracer ? channel.tracer.traces : [];
    const tracer = this.retrace(channel, clientId);
    tracer?.record(packet, 'in', clientId, before);
  }

  /** After a trace started or stopped: which channels each running trace follows. */
  private refresh(): void {
    this.active = [...this.traces.values()].some((trace) => trace.running);
    for (const link of this.host.channels()) this.retrace(link.channel, undefined);
  }

  private retrace(channel: Channel, connectingAs: string | undefined): ChannelTracer | undefined {
    const following = this.active ? this.list().filter((trace) => trace.running && follows(trace, channel, connectingAs)) : [];
    const current = channel.tracer instanceof ChannelTracer ? channel.tracer : undefined;
    if (following.length === 0) {
      if (current !== undefined) {
        channel.tracer = undefined;
        if (channel.outbox instanceof TracingOutbox) channel.outbox = channel.outbox.inner;
      }
      return undefined;
    }
    if (current !== undefined) {
      current.traces = following;
      return current;
    }
    const tracer = new ChannelTracer(channel, following);
    channel.tracer = tracer;
    channel.outbox = new TracingOutbox(channel.outbox, tracer);
    return tracer;
  }
}

function follows(trace: Trace, channel: Channel, connectingAs: string | undefined): boolean {
  const { type, filter } = trace.definition;
  switch (type) {
    case 'clientid':
      return (channel.clientId || connectingAs) === filter;
    case 'ip_address':
      return channel.peer.address !== '' && normalizeAddress(channel.peer.address) === filter;
    case 'topic':
      return true;
  }
}

/** A topic trace keeps the PUBLISH packets whose topic its filter matches and the (UN)SUBSCRIBE packets with a filter that meets it. */
function concernsTopic(trace: Trace, packet: Packet | DecodeError, topic: string | undefined): boolean {
  if (packet instanceof DecodeError) return false;
  const filter = trace.definition.filter;
  switch (packet.type) {
    case 'publish': {
      if (topic === undefined) return false;
      const decisions = trace.topicDecisions;
      let matches = decisions.get(topic);
      if (matches === undefined) decisions.set(topic, (matches = topicMatches(filter, topic)));
      return matches;
    }
    case 'subscribe':
      return packet.subscriptions.some((request) => filtersMeet(filter, request.topicFilter));
    case 'unsubscribe':
      return packet.topicFilters.some((topicFilter) => filtersMeet(filter, topicFilter));
    default:
      return false;
  }
}

function filtersMeet(traced: string, requested: string): boolean {
  const filter = parseSharedFilter(requested)?.filter ?? requested;
  return overlaps(traced.split('/'), filter.split('/'));
}

/** One traced channel: formats its packets for the traces that follow it. */
export class ChannelTracer implements PacketTracer {
  /** Topic aliases seen on this connection, so a PUBLISH that carries only its alias is traced with its topic. */
  private inboundAliases: Map<number, string> | undefined;
  private outboundAliases: Map<number, string> | undefined;

  constructor(
    private readonly channel: Channel,
    public traces: Trace[],
  ) {}

  received(packet: Packet | DecodeError): void {
    this.record(packet, 'in', undefined);
  }

  sent(packet: Packet): void {
    this.record(packet, 'out', undefined);
  }

  /** Writes the packet to each following trace (but those in `skip`). Runs for every packet of a traced client: nothing is allocated unless a line is written. */
  record(packet: Packet | DecodeError, direction: Direction, connectingAs: string | undefined, skip?: readonly Trace[]): void {
    const topic = packet instanceof DecodeError || packet.type !== 'publish' ? undefined : this.topicOf(packet, direction);
    const traces = this.traces;
    let now = 0;
    let peer: string | undefined;
    for (let index = 0; index < traces.length; index++) {
      const trace = traces[index]!;
      if (!trace.running || (skip !== undefined && skip.includes(trace))) continue;
      if (trace.definition.type === 'topic' && !concernsTopic(trace, packet, topic)) continue;
      if (peer === undefined) {
        peer = peerName(this.channel);
        now = Date.now();
      }
      const { payloadEncode, formatter } = trace.definition;
      const clientId = this.channel.clientId || connectingAs || this.channel.requestedClientId;
      trace.write(formatPacketLine(packet, { direction, clientId, peer, topic, payloadEncode, formatter }, now));
    }
  }

  private topicOf(packet: Extract<Packet, { type: 'publish' }>, direction: Direction): string {
    const alias = packet.properties.topicAlias;
    if (alias === undefined) return packet.topic;
    const aliases = direction === 'in' ? (this.inboundAliases ??= new Map()) : (this.outboundAliases ??= new Map());
    if (packet.topic !== '') {
      aliases.set(alias, packet.topic);
      return packet.topic;
    }
    return aliases.get(alias) ?? '';
  }
}

function peerName(channel: Channel): string {
  const { address, port } = channel.peer;
  if (address === '') return channel.peer.listener;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** A traced channel's outbox: every packet sent passes the tracer, then goes to the connection. */
export class TracingOutbox implements Outbox {
  constructor(
    readonly inner: Outbox,
    private readonly tracer: ChannelTracer,
  ) {}

  get protocolVersion(): ProtocolVersion {
    return this.inner.protocolVersion;
  }

  set protocolVersion(version: ProtocolVersion) {
    this.inner.protocolVersion = version;
  }

  get writable(): boolean {
    return this.inner.writable;
  }

  send(packet: Packet): void {
    this.tracer.sent(packet);
    this.inner.send(packet);
  }

  close(): void {
    this.inner.close();
  }
}
