// One packet trace: what it follows (a client id, a topic filter or an address), when it runs, and
// its file. Lines are batched and written once per event-loop turn, in order, through one file
// handle; the byte count includes lines not yet on disk, so the size cap holds exactly. A trace
// stops at its end time, when the next line would pass its size cap, or on request, and its file
// then ends with one line saying why.

import { open, type FileHandle } from 'node:fs/promises';
import { DecisionCache } from '../auth/acl-cache.js';
import type { Logger } from '../log.js';
import { formatNoteLine, type PayloadEncode, type TraceFormatter } from './packet-line.js';

export type TraceType = 'clientid' | 'topic' | 'ip_address';
export type TraceStatus = 'waiting' | 'running' | 'stopped';
/** Why a trace stopped: its end time, its size cap, a stop or delete request, the broker's shutdown, a file it could not open. */
export type StopReason = 'end_at' | 'max_bytes' | 'request' | 'broker_stopped' | 'file_error';

export interface TraceDefinition {
  name: string;
  type: TraceType;
  /** The client id, topic filter or address, by `type`. */
  filter: string;
  startAt: number;
  endAt: number;
  payloadEncode: PayloadEncode;
  formatter: TraceFormatter;
  /** Bytes the file may hold (packet lines; the closing line comes on top). */
  maxBytes: number;
}

const stopNotes: Readonly<Record<StopReason, (trace: Trace) => string>> = {
  end_at: (trace) => `trace ${trace.name} stopped: its end time ${new Date(trace.definition.endAt).toISOString()} was reached`,
  max_bytes: (trace) => `trace ${trace.name} stopped: the file reached its size cap of ${trace.definition.maxBytes} bytes`,
  request: (trace) => `trace ${trace.name} stopped on request`,
  broker_stopped: (trace) => `trace ${trace.name} stopped: the broker stopped`,
  file_error: (trace) => `trace ${trace.name} stopped: its file could not be opened`,
};

/** Topics whose match against a topic trace's filter is remembered (most clients publish to few topics). */
const TOPIC_DECISIONS = 1000;

/** setTimeout takes at most 2^31-1 ms (24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Trace {
  status: TraceStatus = 'waiting';
  stopReason: StopReason | undefined;
  /** Bytes of packet lines accepted so far (written or about to be). */
  bytes = 0;
  /** A topic trace's decisions: topic -> whether its filter matches. */
  readonly topicDecisions = new DecisionCache(TOPIC_DECISIONS);
  private handle: FileHandle | undefined;
  private opening: Promise<void> | undefined;
  private pending: string[] = [];
  private flushScheduled = false;
  /** Every write so far, in order: resolves when all of them are on disk. */
  private written: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly definition: TraceDefinition,
    readonly file: string,
    private readonly logger: Logger,
    /** Called when the trace starts or stops by itself (its start time, end time or size cap). */
    private readonly changed: (trace: Trace) => void,
  ) {}

  get name(): string {
    return this.definition.name;
  }

  get running(): boolean {
    return this.status === 'running';
  }

  /** Opens the file now, or at the start time; stops at the end time. */
  schedule(now: number): void {
    if (this.definition.startAt > now) {
      this.arm(this.definition.startAt, () => {
        this.begin(Date.now());
        this.changed(this);
      });
      return;
    }
    this.begin(now);
  }

  private begin(now: number): void {
    this.status = 'running';
    this.opening = open(this.file, 'w', 0o600).then(
      (handle) => {
        this.handle = handle;
      },
      (error: unknown) => {
        this.logger.error({ trace: this.name, file: this.file, err: error }, 'cannot open the trace file; the trace stops');
        this.stop('file_error');
        this.changed(this);
      },
    );
    this.written = this.opening;
    this.append(formatNoteLine(`trace ${this.name} started: ${this.definition.type} ${this.definition.filter}`, this.definition.formatter, now));
    this.arm(this.definition.endAt, () => {
      this.stop('end_at');
      this.changed(this);
    });
  }

  private arm(at: number, action: () => void): void {
    clearTimeout(this.timer);
    const wait = at - Date.now();
    if (wait > MAX_TIMER_MS) {
      this.timer = setTimeout(() => this.arm(at, action), MAX_TIMER_MS).unref();
      return;
    }
    this.timer = setTimeout(action, Math.max(0, wait)).unref();
  }

  /** Adds a packet line; a line that would pass the size cap stops the trace instead. Returns false once stopped. */
  write(line: string): boolean {
    if (!this.running) return false;
    const length = Buffer.byteLength(line);
    if (this.bytes + length > this.definition.maxBytes) {
      this.stop('max_bytes');
      this.changed(this);
      return false;
    }
    this.bytes += length;
    this.append(line);
    return true;
  }

  private append(line: string): void {
    this.pending.push(line);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.written = this.written.then(async () => {
      if (this.handle === undefined) return;
      try {
        await this.handle.write(text);
      } catch (error) {
        this.logger.error({ trace: this.name, file: this.file, err: error }, 'cannot write the trace file');
      }
    });
  }

  /** Ends the trace (idempotent): the closing line says why, then the file is closed. */
  stop(reason: StopReason, now = Date.now()): void {
    clearTimeout(this.timer);
    if (this.status === 'stopped') return;
    const wasRunning = this.status === 'running';
    this.status = 'stopped';
    this.stopReason = reason;
    if (!wasRunning) return;
    this.append(formatNoteLine(stopNotes[reason](this), this.definition.formatter, now));
    this.flush();
    this.written = this.written.then(async () => {
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
    });
  }

  /** Resolves once every line accepted so far is in the file. */
  async flushed(): Promise<void> {
    if (this.flushScheduled) this.flush();
    await this.written;
  }
}
