// What the first bytes of a connection say when its first packet is refused: the protocol level of a
// CONNECT that failed to decode, so that a malformed MQTT 5 CONNECT can still be refused with an MQTT 5
// CONNACK (4.13, 3.2.2.2), or an HTTP request sent to an MQTT port.

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

const HTTP_METHOD = /^(GET|POST|HEAD|PUT|OPTIONS|DELETE|PATCH|CONNECT) /;

/** Whether the bytes start an HTTP request (a browser, or a WebSocket client pointed at a tcp/tls port). */
export function isHttpRequest(bytes: Buffer): boolean {
  return HTTP_METHOD.test(bytes.toString('latin1', 0, 8));
}
