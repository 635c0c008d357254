// The machinery every connector shares: a bounded buffer of rendered outputs, writes in batches, a
// bounded number of batches in flight, retries with exponential backoff, a reconnect loop while the
// server is down, status and counters. A subclass renders an output into an item, connects, writes a
// batch, and says how a failure should be treated (WriteError.kind):
//   'disconnected'  the server is unreachable: the batch goes back to the front of the buffer, no
//                   retry is spent on it, and writing waits until a health check reconnects;
//   'retry'         worth trying again (HTTP 5xx, a timeout): up to maxRetries, with backoff;
//   'fatal'         never going to work (HTTP 4xx, an SQL error): a batch of several is written
//                   again one by one so only the bad items fail.
// When the buffer is full the oldest output is dropped (counted). With a durable buffer the items
// are also kept in the store until written, so they survive a restart.

import { Buffer } from 'node:buffer';

import type { Logger } from '../../log.js';
import { RuleMetrics } from '../metrics.js';
import type { ValueMap } from '../sql/values.js';
import type { Connector, ConnectorCounters, ConnectorStatus, ConnectorType } from './connector.js';

export type FailureKind = 'disconnected' | 'retry' | 'fatal';

export class WriteError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'WriteError';
  }
}

export interface BufferOptions {
  /** Outputs kept while the server is slow or down; past it the oldest is dropped. */
  bufferSize: number;
  batchSize: number;
  /** How long a partial batch may wait for more outputs (0: write what is there at once). */
  batchTimeMs: number;
  /** Batches written at the same time. */
  inflight: number;
  maxRetries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  requestTimeoutMs: number;
  healthCheckIntervalMs: number;
}

/** Where a durable buffer keeps its items (the store's records). */
export interface DurableBuffer<Item> {
  load(): Array<[key: string, item: Item]>;
  save(key: string, item: Item): void;
  delete(key: string): void;
}

interface Entry<Item> {
  /** Order of arrival, kept when a failed batch goes back into the buffer. */
  sequence: number;
  item: Item;
  metrics: RuleMetrics;
  attempts: number;
  key: string | undefined;
}

const RECONNECT_INITIAL_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/** Outcomes of items restored from a durable buffer have no rule to tell. */
const orphanMetrics = new RuleMetrics();

export abstract class BufferedConnector<Item> implements Connector {
  status: ConnectorStatus = 'connecting';
  lastError: string | undefined;
  readonly counters: ConnectorCounters = { matched: 0, success: 0, failed: 0, retried: 0, dropped: 0 };
  private buffer: Array<Entry<Item>> = [];
  private head = 0;
  private writing = 0;
  private flushScheduled = false;
  private batchTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_INITIAL_MS;
  private stopped = false;
  private sequence = 0;
  private arrivals = 0;
  private lastDropLog = 0;

  constructor(
    readonly name: string,
    readonly type: ConnectorType,
    protected readonly options: BufferOptions,
    protected readonly logger: Logger,
    private readonly durable?: DurableBuffer<Item>,
  ) {
  }

  /** Turns a rule's output into what write() sends; throws to fail that output. */
  protected abstract render(output: ValueMap): Item;
  /** Connects, or checks the server answers; throws when it does not. */
  protected abstract connect(): Promise<void>;
  /**
   * Writes a batch; throws WriteError (or anything, taken as 'retry') when the whole batch failed, or
   * returns one entry per item (an Error for an item the server refused, taken as 'fatal') when only
   * some did.
   */
  protected abstract write(items: Item[]): Promise<void | Array<Error | undefined>>;
  protected abstract disconnect(): Promise<void>;

  get queued(): number {
    return this.buffer.length - this.head + this.writingItems;
  }

  private writingItems = 0;

  async start(): Promise<void> {
    if (this.durable !== undefined) {
      for (const [key, item] of this.durable.load()) {
        this.buffer.push({ sequence: this.arrivals++, item, metrics: orphanMetrics, attempts: 0, key });
        const sequence = Number(key.slice(key.lastIndexOf(':') + 1));
        if (Number.isSafeInteger(sequence) && sequence >= this.sequence) this.sequence = sequence + 1;
      }
    }
    await this.checkHealth();
  }

  async stop(drainMs = 1000): Promise<void> {
    const deadline = Date.now() + drainMs;
    while (this.status === 'connected' && this.queued > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.stopped = true;
    clearTimeout(this.batchTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.healthTimer);
    this.status = 'disconnected';
    try {
      await this.disconnect();
    } catch (error) {
      this.logger.debug({ err: error, connector: this.name }, 'connector disconnect failed');
    }
  }

  send(output: ValueMap, metrics: RuleMetrics): void {
    this.counters.matched++;
    let item: Item;
    try {
      item = this.render(output);
    } catch (error) {
      this.counters.failed++;
      metrics.actionFailed(false);
      this.noteError(`rendering failed: ${(error as Error).message}`);
      return;
    }
    if (this.stopped) {
      this.counters.dropped++;
      metrics.actionFailed(true);
      return;
    }
    if (this.buffer.length - this.head >= this.options.bufferSize) this.dropOldest();
    let key: string | undefined;
    if (this.durable !== undefined) {
      key = `${this.name}:${String(this.sequence++).padStart(15, '0')}`;
      this.durable.save(key, item);
    }
    this.buffer.push({ sequence: this.arrivals++, item, metrics, attempts: 0, key });
    this.scheduleFlush();
  }

  private dropOldest(): void {
    const oldest = this.buffer[this.head]!;
    this.buffer[this.head] = undefined as unknown as Entry<Item>;
    this.head++;
    this.counters.dropped++;
    oldest.metrics.actionFailed(true);
    if (oldest.key !== undefined) this.durable?.delete(oldest.key);
    const now = Date.now();
    if (now - this.lastDropLog > 10_000) {
      this.lastDropLog = now;
      this.logger.warn({ connector: this.name, status: this.status, dropped: this.counters.dropped, bufferSize: this.options.bufferSize }, 'connector buffer full: oldest outputs dropped');
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.status !== 'connected' || this.retryTimer !== undefined) return;
    const waiting = this.buffer.length - this.head;
    if (waiting < this.options.batchSize && this.options.batchTimeMs > 0) {
      this.batchTimer ??= setTimeout(() => {
        this.batchTimer = undefined;
        this.flush();
      }, this.options.batchTimeMs);
      return;
    }
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.status === 'connected' && this.retryTimer === undefined && this.writing < this.options.inflight && this.head < this.buffer.length) {
      const batch = this.buffer.slice(this.head, this.head + this.options.batchSize);
      for (let index = this.head; index < this.head + batch.length; index++) this.buffer[index] = undefined as unknown as Entry<Item>;
      this.head += batch.length;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head > 4096) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      this.writing++;
      this.writingItems += batch.length;
      void this.writeBatch(batch).finally(() => {
        this.writing--;
        this.writingItems -= batch.length;
        this.scheduleFlush();
      });
    }
  }

  private async writeBatch(batch: Array<Entry<Item>>): Promise<void> {
    let outcomes: void | Array<Error | undefined>;
    try {
      outcomes = await this.withTimeout(this.write(batch.map((entry) => entry.item)));
    } catch (error) {
      await this.failed(batch, error);
      return;
    }
    if (outcomes === undefined) {
      this.succeeded(batch);
      return;
    }
    const refused = outcomes.find((outcome) => outcome !== undefined);
    if (refused !== undefined) this.noteError(refused.message);
    this.succeeded(batch.filter((_entry, index) => outcomes[index] === undefined));
    this.giveUp(batch.filter((_entry, index) => outcomes[index] !== undefined));
  }

  private succeeded(batch: Array<Entry<Item>>): void {
    this.counters.success += batch.length;
    for (const entry of batch) {
      entry.metrics.actionSucceeded();
      if (entry.key !== undefined) this.durable?.delete(entry.key);
    }
  }

  private async failed(batch: Array<Entry<Item>>, error: unknown): Promise<void> {
    const kind: FailureKind = error instanceof WriteError ? error.kind : 'retry';
    this.noteError((error as Error)?.message ?? String(error));
    if (kind === 'disconnected') {
      this.requeue(batch);
      this.lostConnection();
      return;
    }
    if (kind === 'fatal') {
      if (batch.length > 1) {
        // Find the bad items: write the batch again one item at a time.
        for (const entry of batch) await this.writeBatch([entry]);
        return;
      }
      this.giveUp(batch);
      return;
    }
    const retry = batch.filter((entry) => ++entry.attempts <= this.options.maxRetries);
    this.giveUp(batch.filter((entry) => entry.attempts > this.options.maxRetries));
    if (retry.length === 0) return;
    this.counters.retried += retry.length;
    this.requeue(retry);
    const attempts = Math.max(...retry.map((entry) => entry.attempts));
    const delay = Math.min(this.options.retryBackoffMaxMs, this.options.retryBackoffMs * 2 ** (attempts - 1));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.scheduleFlush();
    }, delay);
  }

  private giveUp(batch: Array<Entry<Item>>): void {
    this.counters.failed += batch.length;
    for (const entry of batch) {
      entry.metrics.actionFailed(false);
      if (entry.key !== undefined) this.durable?.delete(entry.key);
    }
  }

  /** Puts a batch back, in order of arrival among what is buffered (batches in flight may fail in any order). */
  private requeue(batch: Array<Entry<Item>>): void {
    const rest = this.buffer.slice(this.head);
    const merged: Array<Entry<Item>> = [];
    let left = 0;
    let right = 0;
    while (left < batch.length || right < rest.length) {
      if (right >= rest.length || (left < batch.length && batch[left]!.sequence < rest[right]!.sequence)) merged.push(batch[left++]!);
      else merged.push(rest[right++]!);
    }
    this.buffer = merged;
    this.head = 0;
    while (this.buffer.length > this.options.bufferSize) this.dropOldest();
  }

  /** The server went away: wait for a health check to find it again. */
  protected lostConnection(): void {
    if (this.stopped || this.status === 'disconnected') return;
    this.status = 'disconnected';
    this.logger.warn({ connector: this.name, error: this.lastError }, 'connector disconnected; buffering until it is back');
    this.reconnectDelay = RECONNECT_INITIAL_MS;
    this.scheduleHealthCheck(this.reconnectDelay);
  }

  private scheduleHealthCheck(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.healthTimer);
    this.healthTimer = setTimeout(() => void this.checkHealth(), delay);
    this.healthTimer.unref();
  }

  /** Connects (or pings); while connected this runs every healthCheckIntervalMs, while not with a growing delay. */
  private async checkHealth(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.withTimeout(this.connect());
    } catch (error) {
      if (this.stopped) return;
      this.noteError((error as Error)?.message ?? String(error));
      if (this.status === 'connected') this.logger.warn({ connector: this.name, error: this.lastError }, 'connector disconnected; buffering until it is back');
      else if (this.status === 'connecting') this.logger.warn({ connector: this.name, error: this.lastError }, 'connector cannot connect yet; buffering until it can');
      this.status = 'disconnected';
      this.scheduleHealthCheck(this.reconnectDelay);
      this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
      return;
    }
    if (this.stopped) return;
    if (this.status !== 'connected') this.logger.info({ connector: this.name, type: this.type, queued: this.queued }, 'connector connected');
    this.status = 'connected';
    this.reconnectDelay = RECONNECT_INITIAL_MS;
    this.scheduleHealthCheck(this.options.healthCheckIntervalMs);
    this.scheduleFlush();
  }

  private noteError(message: string): void {
    this.lastError = message;
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new WriteError('retry', `no answer within ${this.options.requestTimeoutMs} ms`)), this.options.requestTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}
