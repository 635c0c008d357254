// An in-process link: the Outbox and ChannelLink of a channel whose client lives in this process (rule
// republish, bridges, gateways, embedders, tests). Packets are handed over as objects, never encoded;
// like a socket's, they leave in order, once per microtask turn, and never before the store writes they
// depend on are durable (the durability barrier).

import { ProtocolVersion } from '../codec/constants.js';
import type { Packet } from '../codec/types.js';
import type { Barrier } from '../session/persistence.js';
import type { Channel } from './channel.js';
import type { Outbox } from './outbox.js';
import type { ChannelLink } from './supervisor.js';

export class LocalLink implements Outbox, ChannelLink {
  protocolVersion: ProtocolVersion = ProtocolVersion.V5;
  channel!: Channel;
  readonly congestedSince = 0;
  /** An in-memory outbox has no buffer to overflow. */
  readonly writable = true;
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  /** Packets of this turn, and those held behind barriers, oldest first; undefined marks the close. */
  private readonly queue: Array<{ barrier: Barrier | undefined; packet: Packet | undefined }> = [];
  private scheduled = false;
  /** Packets from the client waiting for the channel to finish one; undefined while it is not busy. */
  private inbound: Packet[] | undefined;

  constructor(
    /** Receives every packet the broker sends the client, in order. */
    private readonly receive: (packet: Packet) => void,
    private readonly barrier: (() => Barrier | undefined) | undefined,
    /** Called once when the link has closed. */
    private readonly onClosed: (link: LocalLink) => void,
  ) {
    this.closedPromise = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  send(packet: Packet): void {
    if (this.closed) return;
    this.queue.push({ barrier: this.barrier?.(), packet });
    this.schedule();
  }

  /** The broker closes the link: what is queued still goes out first. */
  close(): void {
    if (this.closed) return;
    this.queue.push({ barrier: this.barrier?.(), packet: undefined });
    this.schedule();
  }

  /**
   * A packet from the client to the broker. As a connection pauses reading, packets wait while the channel
   * works on one that returned a promise (authentication, authorization), so they are handled in order.
   */
  handle(packet: Packet): void {
    if (this.closed) return;
    if (this.inbound !== undefined) {
      this.inbound.push(packet);
      return;
    }
    const result = this.channel.handle(packet, Date.now());
    if (result !== undefined) this.waitFor(result);
  }

  private waitFor(result: Promise<void>, queued: Packet[] = []): void {
    this.inbound = queued;
    void result.then(() => {
      const waiting = this.inbound ?? [];
      this.inbound = undefined;
      for (let index = 0; index < waiting.length; index++) {
        if (this.closed) return;
        const next = this.channel.handle(waiting[index]!, Date.now());
        if (next !== undefined) {
          this.waitFor(next, waiting.slice(index + 1));
          return;
        }
      }
    });
  }

  /** The client went away (without DISCONNECT, unless it sent one first). */
  drop(reason: string): void {
    if (this.closed) return;
    this.channel.connectionLost(reason);
    this.finish();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    while (queue.length > 0) {
      const head = queue[0]!;
      if (head.barrier !== undefined && !head.barrier.done) {
        const retry = (): void => this.flush();
        head.barrier.promise.then(retry, retry);
        return;
      }
      if (head.barrier?.failed) {
        // What waited for a failed store write must never reach the client (see Connection.abandon).
        queue.length = 0;
        this.drop('store write failed');
        return;
      }
      queue.shift();
      // The mark close() queued: everything before it has been handed over.
      if (head.packet === undefined) {
        this.finish();
        return;
      }
      this.receive(head.packet);
      if (this.closed) return;
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.channel.connectionLost('local link closed');
    this.onClosed(this);
    this.resolveClosed();
  }
}
