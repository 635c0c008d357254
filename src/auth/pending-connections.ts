// Connections that have not sent CONNECT yet, per client address, oldest first. When an address is
// at its cap, its oldest pending connection is closed to make room for the new one: memory stays
// bounded during a flood of silent sockets, and a genuine client behind the same address (NAT,
// loopback) still gets in, because it sends CONNECT before the flood can push it out.
//
// While fewer connections are pending in all than one address may hold, no address can be at its
// cap: pending connections are then kept in one list in arrival order, without their addresses (the
// peer address is looked up lazily, and a connection that sends CONNECT at once never needs it).
// Once the list reaches the cap it is indexed by address, until it shrinks to half the cap again.
// No close listener per socket: closed connections are dropped from the list when it reaches the
// cap or is indexed, and settle() drops a connection as soon as its CONNECT arrives.
//
// Evictions are counted per address until takeEvictions() reads them, so the caller can log one
// summary line per interval instead of one per socket.

import type { ByteStream } from '../transport/listener.js';
import type { PeerInfo } from '../core/client.js';

export class PendingConnections {
  /** Every pending connection, in arrival order (a Map iterates in insertion order). */
  private readonly pending = new Map<PeerInfo, ByteStream>();
  /** address -> its pending connections in arrival order; only while the list is long enough to need it. */
  private byAddress: Map<string, Map<PeerInfo, ByteStream>> | undefined;
  private readonly addressOf = new Map<PeerInfo, string>();
  private evictions = new Map<string, number>();

  constructor(
    private readonly maxPerAddress: number,
    /** The normalized address of a peer (looked up on demand). */
    private readonly addressOfPeer: (peer: PeerInfo) => string,
  ) {}

  get enabled(): boolean {
    return this.maxPerAddress > 0;
  }

  /** Records a new connection as pending; at the cap, closes the address's oldest pending one first (and returns true). */
  admit(peer: PeerInfo, stream: ByteStream): boolean {
    this.dropIndexWhenShort();
    if (this.byAddress === undefined && this.pending.size + 1 >= this.maxPerAddress) {
      this.dropClosed();
      if (this.pending.size + 1 >= this.maxPerAddress) this.index();
    }
    this.pending.set(peer, stream);
    const byAddress = this.byAddress;
    if (byAddress === undefined) return false;
    const address = this.addressOfPeer(peer);
    const existing = byAddress.get(address);
    if (existing !== undefined && existing.size >= this.maxPerAddress) this.dropClosedOf(existing);
    const full = existing !== undefined && existing.size >= this.maxPerAddress;
    if (full) this.evictOldest(existing, address);
    // Settling the last of an address's connections above removes its list from the index: look it up again.
    let current = byAddress.get(address);
    if (current === undefined) byAddress.set(address, (current = new Map()));
    current.set(peer, stream);
    this.addressOf.set(peer, address);
    return full;
  }

  /** The connection sent CONNECT or closed: it no longer counts. */
  settle(peer: PeerInfo): void {
    if (!this.pending.delete(peer)) return;
    const byAddress = this.byAddress;
    if (byAddress !== undefined) this.unindex(byAddress, peer);
  }

  /** Evictions per address since the last call. */
  takeEvictions(): Map<string, number> {
    const taken = this.evictions;
    this.evictions = new Map();
    return taken;
  }

  /** Drops connections that closed before sending CONNECT (called from the maintenance tick too). */
  dropClosed(): void {
    for (const [peer, stream] of this.pending) if (stream.destroyed) this.settle(peer);
    this.dropIndexWhenShort();
  }

  private dropIndexWhenShort(): void {
    if (this.byAddress === undefined || this.pending.size >= this.maxPerAddress / 2) return;
    this.byAddress = undefined;
    this.addressOf.clear();
  }

  private dropClosedOf(current: Map<PeerInfo, ByteStream>): void {
    for (const [peer, stream] of current) if (stream.destroyed) this.settle(peer);
  }

  private index(): void {
    const byAddress = new Map<string, Map<PeerInfo, ByteStream>>();
    for (const [peer, stream] of this.pending) {
      const address = this.addressOfPeer(peer);
      let current = byAddress.get(address);
      if (current === undefined) byAddress.set(address, (current = new Map()));
      current.set(peer, stream);
      this.addressOf.set(peer, address);
    }
    this.byAddress = byAddress;
  }

  private unindex(byAddress: Map<string, Map<PeerInfo, ByteStream>>, peer: PeerInfo): void {
    const address = this.addressOf.get(peer);
    if (address === undefined) return;
    this.addressOf.delete(peer);
    const current = byAddress.get(address);
    if (current === undefined) return;
    current.delete(peer);
    if (current.size === 0) byAddress.delete(address);
  }

  private evictOldest(current: Map<PeerInfo, ByteStream>, address: string): void {
    const [oldestPeer, oldest] = current.entries().next().value!;
    this.settle(oldestPeer);
    oldest.destroy();
    this.evictions.set(address, (this.evictions.get(address) ?? 0) + 1);
  }
}
