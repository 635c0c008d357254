// Reads the protocol level out of the first bytes of a CONNECT that failed to decode, so that a
// malformed MQTT 5 CONNECT can still be refused with an MQTT 5 CONNACK (4.13, 3.2.2.2).

import { ProtocolVersion } from '../codec/constants.js';

/** Fixed header (up to 5 bytes), protocol name 'MQIsdp' (8 bytes with its length), level: 14 bytes. */
export const CONNECT_LEVEL_BYTES = 14;

/** The protocol level of the CONNECT at the start of `bytes` when it names MQTT 5, else undefined. */
export function connectProtocolVersion(bytes: Buffer): ProtocolVersion | undefined {
  if (bytes[0] !== 0x10) return undefined;
  let offset = 1;
  while (offset < 5 && (bytes[offset] ?? 0) >= 0x80) offset++;
  offset++; // last Remaining Length byte
  // Protocol Name 'MQTT' (length 4), then the level.
  if (bytes[offset] !== 0x00 || bytes[offset + 1] !== 0x04 || bytes.toString('latin1', offset + 2, offset + 6) !== 'MQTT') return undefined;
  return bytes[offset + 6] === ProtocolVersion.V5 ? ProtocolVersion.V5 : undefined;
}
