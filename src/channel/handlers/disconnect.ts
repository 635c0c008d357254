// Client DISCONNECT: normal disconnection drops the will [MQTT-3.1.2-10]; MQTT 5 reason 0x04 keeps
// it, and may change the Session Expiry Interval (not from 0 [MQTT-3.14.2-2]).

import { ReasonCode } from '../../codec/constants.js';
import type { DisconnectPacket } from '../../codec/types.js';
import type { Channel } from '../channel.js';
import { ProtocolError } from '../protocol-error.js';

export function handleDisconnect(channel: Channel, packet: DisconnectPacket): void {
  const expiry = packet.properties.sessionExpiryInterval;
  if (expiry !== undefined) {
    if (channel.requestedSessionExpiry === 0 && expiry !== 0) {
      throw new ProtocolError(ReasonCode.ProtocolError, 'session expiry interval raised from 0 at DISCONNECT');
    }
    channel.session!.expiryInterval = Math.min(expiry, channel.config.maxSessionExpiryInterval);
  }
  const keepWill = packet.reasonCode === ReasonCode.DisconnectWithWillMessage;
  if (!keepWill) channel.will = undefined;
  channel.closeByClient(packet.reasonCode);
}
