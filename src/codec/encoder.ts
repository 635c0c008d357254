// Packets to bytes: each packet's exact size is computed first, then one buffer is allocated and
// written. Below MQTT 5 everything 5-only (reason codes in acks, properties) is left out, and
// properties a packet may not carry are ignored.

import type { ProtocolVersion } from './constants.js';
import { encodeAck } from './ack.js';
import { encodeConnack, encodeConnect } from './connect.js';
import { encodeAuth, encodeDisconnect } from './disconnect.js';
import { writer } from './primitives.js';
import { encodePublish } from './publish.js';
import { encodeSuback, encodeSubscribe } from './subscribe.js';
import { assertNever, type Packet } from './types.js';
import { encodeUnsuback, encodeUnsubscribe } from './unsubscribe.js';

export { encodePublishHeader, encodedPublishLength } from './publish.js';

export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  switch (packet.type) {
    case 'publish':
      return encodePublish(packet, version);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return encodeAck(packet, version);
    case 'pingreq':
      writer.startPacket(0xc0, 0);
      return writer.finish();
    case 'pingresp':
      writer.startPacket(0xd0, 0);
      return writer.finish();
    case 'connect':
      return encodeConnect(packet, version);
    case 'connack':
      return encodeConnack(packet, version);
    case 'subscribe':
      return encodeSubscribe(packet, version);
    case 'suback':
      return encodeSuback(packet, version);
    case 'unsubscribe':
      return encodeUnsubscribe(packet, version);
    case 'unsuback':
      return encodeUnsuback(packet, version);
    case 'disconnect':
      return encodeDisconnect(packet, version);
    case 'auth':
      return encodeAuth(packet, version);
    default:
      return assertNever(packet);
  }
}
