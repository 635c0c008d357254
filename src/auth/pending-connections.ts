// Connections that have not sent CONNECT yet, per client address, oldest first. When an address is
// at its cap, its oldest pending connection is closed to make room for the new one: memory stays
// bounded during a flood of silent sockets, and a genuine client behind the same address (NAT,
// loopback) still gets in, because it sends CONNECT before the flood can push it out.
//
// Evictions are counted per address until takeEvictions() reads them, so the caller can log one
// summary line per interval instead of one per socket.

import type { Duplex } from 'node:stream';
import type { PeerInfo } from '../hooks/events.js';

interface Pending {
  readonly stream: Duplex;
  /** Settles the connection if it closes while pending; removed once it settles, so a connected client keeps no listener. */
  readonly onClose: () => void;
}

export class PendingConnections {
  /** address -> its pending connections in arrival order (a Map iterates in insertion order). */
  private readonly byAddress = new Map<string, Map<PeerInfo, Pending>>();
  private readonly addressOf = new Map<PeerInfo, string>();
  private evictions = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  get enabled(): boolean {
    return this.maxPerAddress > 0;
  }

  /** Pending connections from this address now. */
  count(address: string): number {
    return this.byAddress.get(address)?.size ?? 0;
  }

  /** Records a new connection as pending; at the cap, closes the address's oldest pending one first (and returns true). */
  admit(peer: PeerInfo, stream: Duplex, address: string): boolean {
    const current = this.byAddress.get(address);
    const full = current !== undefined && current.size >= this.maxPerAddress;
    if (full) this.evictOldest(current, address);
    let pending = this.byAddress.get(address);
    if (pending === undefined) this.byAddress.set(address, (pending = new Map()));
    const onClose = (): void => this.settle(peer);
    stream.once('close', onClose);
    pending.set(peer, { stream, onClose });
    this.addressOf.set(peer, address);
    return full;
  }

  private evictOldest(pending: Map<PeerInfo, Pending>, address: string): void {
    const [oldestPeer, oldest] = pending.entries().next().value!;
    this.settle(oldestPeer);
    oldest.stream.destroy();
    this.evictions.set(address, (this.evictions.get(address) ?? 0) + 1);
  }

  /** The connection sent CONNECT or closed: it no longer counts. */
  settle(peer: PeerInfo): void {
    const address = this.addressOf.get(peer);
    if (address === undefined) return;
    this.addressOf.delete(peer);
    const pending = this.byAddress.get(address)!;
    const entry = pending.get(peer)!;
    entry.stream.off('close', entry.onClose);
    pending.delete(peer);
    if (pending.size === 0) this.byAddress.delete(address);
  }

  /** Evictions per address since the last call. */
  takeEvictions(): Map<string, number> {
    const taken = this.evictions;
    this.evictions = new Map();
    return taken;
  }
}
