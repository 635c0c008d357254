// Acknowledgements from the client for messages the broker sent: PUBACK, PUBREC, PUBCOMP.

import type { PubackPacket, PubcompPacket, PubrecPacket } from '../../codec/types.js';
import type { Channel } from '../channel.js';

export function handlePuback(channel: Channel, packet: PubackPacket): void {
  // An unknown id is ignored: it may be a late ack for a message already dropped.
  channel.session!.acknowledge(packet.packetId);
}

export function handlePubrec(channel: Channel, packet: PubrecPacket): void {
  const session = channel.session!;
  // A PUBREC with a reason code >= 0x80 ends the QoS 2 exchange (MQTT 5 section 4.3.3).
  if (!session.received(packet.packetId, packet.reasonCode >= 0x80)) {
    // Unknown id: answer PUBREL anyway so the client can finish its state (MQTT 5: 0x92).
    channel.outbox.send({ type: 'pubrel', packetId: packet.packetId, reasonCode: 0x92, properties: {} });
  }
}

export function handlePubcomp(channel: Channel, packet: PubcompPacket): void {
  channel.session!.complete(packet.packetId);
}
