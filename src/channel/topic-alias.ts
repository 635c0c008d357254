// MQTT 5 topic aliases of one connection: inbound (client -> broker, up to our Topic Alias Maximum)
// and outbound (broker -> client, assigned by us up to the client's Topic Alias Maximum).
// Every MQTT 5 connection has one, most never use it: each table is created by its first alias.

import { ReasonCode } from '../codec/constants.js';
import { ProtocolError } from './protocol-error.js';

export class TopicAliases {
  private inbound: Map<number, string> | undefined;
  private outbound: Map<string, number> | undefined;

  constructor(
    readonly inboundMaximum: number,
    readonly outboundMaximum: number,
  ) {}

  /** The topic a PUBLISH refers to, recording a new alias mapping when it carries topic and alias. */
  resolveInbound(topic: string, alias: number): string {
    // [MQTT-3.3.2-8] [MQTT-3.3.2-9] alias 0 or above our maximum
    if (alias === 0 || alias > this.inboundMaximum) {
      throw new ProtocolError(ReasonCode.TopicAliasInvalid, `topic alias ${alias} out of range 1..${this.inboundMaximum}`);
    }
    if (topic.length > 0) {
      (this.inbound ??= new Map()).set(alias, topic);
      return topic;
    }
    const known = this.inbound?.get(alias);
    if (known === undefined) throw new ProtocolError(ReasonCode.ProtocolError, `topic alias ${alias} is not defined`);
    return known;
  }

  /** True while a new outbound alias can still be assigned. */
  get outboundRoom(): boolean {
    return this.outboundCount < this.outboundMaximum;
  }

  private get outboundCount(): number {
    return this.outbound === undefined ? 0 : this.outbound.size;
  }

  /**
   * The alias to send with a topic: `{ alias, established }` where established means the client already
   * knows it (send an empty topic). Undefined when no alias is available, or when none is known and
   * mayAssign is false (the caller found the packet would not fit with a new alias).
   */
  outboundAlias(topic: string, mayAssign = true): { alias: number; established: boolean } | undefined {
    const existing = this.outbound?.get(topic);
    if (existing !== undefined) return { alias: existing, established: true };
    if (!mayAssign || this.outboundCount >= this.outboundMaximum) return undefined;
    const alias = this.outboundCount + 1;
    (this.outbound ??= new Map()).set(topic, alias);
    return { alias, established: false };
  }
}
