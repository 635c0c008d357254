// Bans by client id, username or address (an IPv4/IPv6 address or CIDR range), each with an
// optional expiry. Address ranges use node:net BlockList; IPv4-mapped IPv6 addresses
// (`::ffff:10.0.0.1`, what a dual-stack listener reports) are checked as IPv4.

import { BlockList, isIP } from 'node:net';

export type BanKind = 'clientid' | 'username' | 'address';
export const BAN_KINDS: readonly BanKind[] = ['clientid', 'username', 'address'];

export interface Ban {
  kind: BanKind;
  /** Client id, username, or address/CIDR as given. */
  value: string;
  /** Milliseconds since the epoch; undefined never expires. */
  until?: number | undefined;
  reason?: string | undefined;
  createdAt: number;
  /** Who made it: 'config', 'ctl', 'flapping'. */
  by?: string | undefined;
}

export interface BanSubject {
  clientId: string;
  username: string | undefined;
  address: string;
}

/** Store key of a ban. */
export function banKey(kind: BanKind, value: string): string {
  return `${kind}:${value}`;
}

export function isActive(ban: Ban, now: number): boolean {
  return ban.until === undefined || ban.until > now;
}

/** `::ffff:10.0.0.1` -> `10.0.0.1`; other addresses unchanged. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, `192.168.1.7`; throws an Error saying what is wrong. */
export function parseAddressRange(text: string): BlockList {
  const [address = '', prefixText] = text.split('/', 2);
  const host = normalizeAddress(address.trim());
  const family = isIP(host);
  if (family === 0) throw new Error(`'${text}' is not an IP address or CIDR range`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new Error(`'${text}': prefix length must be 0-${maxPrefix}`);
  }
  const list = new BlockList();
  list.addSubnet(host, prefix, type);
  return list;
}

export function addressInRange(range: BlockList, address: string): boolean {
  const host = normalizeAddress(address);
  const family = isIP(host);
  if (family === 0) return false;
  return range.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** Checks that a ban is well formed; returns an error message or undefined. */
export function banError(ban: Pick<Ban, 'kind' | 'value'>): string | undefined {
  if (!BAN_KINDS.includes(ban.kind)) return `kind must be one of ${BAN_KINDS.join(', ')}`;
  if (ban.value === '') return 'empty value';
  if (ban.kind === 'address') {
    try {
      parseAddressRange(ban.value);
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

/** An in-memory set of bans (static from the config, temporary from flapping, or a copy of the store's). */
export class BanList {
  private readonly exact = new Map<string, Ban>();
  private ranges: Array<{ ban: Ban; range: BlockList }> = [];

  get size(): number {
    return this.exact.size + this.ranges.length;
  }

  /** Whether any ban is by address (otherwise a client's address need not be looked up). */
  get hasAddressBans(): boolean {
    return this.ranges.length > 0;
  }

  add(ban: Ban): void {
    if (ban.kind === 'address') {
      this.ranges = this.ranges.filter((entry) => entry.ban.value !== ban.value);
      this.ranges.push({ ban, range: parseAddressRange(ban.value) });
      return;
    }
    this.exact.set(banKey(ban.kind, ban.value), ban);
  }

  remove(kind: BanKind, value: string): boolean {
    if (kind === 'address') {
      const before = this.ranges.length;
      this.ranges = this.ranges.filter((entry) => entry.ban.value !== value);
      return this.ranges.length < before;
    }
    return this.exact.delete(banKey(kind, value));
  }

  clear(): void {
    this.exact.clear();
    this.ranges = [];
  }

  /** The first active ban that applies to the subject. */
  find(subject: BanSubject, now: number): Ban | undefined {
    const byClientId = this.exact.get(banKey('clientid', subject.clientId));
    if (byClientId !== undefined && isActive(byClientId, now)) return byClientId;
    if (subject.username !== undefined) {
      const byUsername = this.exact.get(banKey('username', subject.username));
      if (byUsername !== undefined && isActive(byUsername, now)) return byUsername;
    }
    return this.findAddress(subject.address, now);
  }

  findAddress(address: string, now: number): Ban | undefined {
    for (const { ban, range } of this.ranges) {
      if (isActive(ban, now) && addressInRange(range, address)) return ban;
    }
    return undefined;
  }

  /** Drops expired bans. */
  prune(now: number): void {
    for (const [key, ban] of this.exact) if (!isActive(ban, now)) this.exact.delete(key);
    this.ranges = this.ranges.filter((entry) => isActive(entry.ban, now));
  }

  list(): Ban[] {
    return [...this.exact.values(), ...this.ranges.map((entry) => entry.ban)];
  }
}
