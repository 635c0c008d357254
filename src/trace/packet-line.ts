// One traced packet as one line of a trace file: EMQX's text form
//   2025-06-01T10:00:00.123Z [in] sensor-1@127.0.0.1:50412 PUBLISH(Q1, R0, D0, Topic=t/1, PacketId=1, Payload=hello)
// or, with `formatter: json`, one JSON object per line with the same fields in snake_case. Passwords
// and authentication data are never written; the payload follows the trace's `payload_encode`.

import { DecodeError } from '../codec/decode-error.js';
import type { Packet, Properties } from '../codec/types.js';

export type PayloadEncode = 'text' | 'hex' | 'hidden';
export type TraceFormatter = 'text' | 'json';
export type Direction = 'in' | 'out';

export const HIDDEN = '******';

export interface LineContext {
  direction: Direction;
  clientId: string;
  /** `address:port`, or `local` for an in-process client. */
  peer: string;
  /** The PUBLISH topic when the packet carries only a topic alias (resolved by the tracer), else undefined. */
  topic?: string;
  payloadEncode: PayloadEncode;
  formatter: TraceFormatter;
}

/** The packet's name as the trace writes it: `PUBLISH`, `PUBACK`, ...; `MALFORMED` for a decode error. */
export function packetName(packet: Packet | DecodeError): string {
  return packet instanceof DecodeError ? 'MALFORMED' : packet.type.toUpperCase();
}

/** One line, with its trailing newline. */
export function formatPacketLine(packet: Packet | DecodeError, context: LineContext, now: number): string {
  const fields = packetFields(packet, context);
  const time = new Date(now).toISOString();
  if (context.formatter === 'json') {
    return `${JSON.stringify({ time, direction: context.direction, clientid: context.clientId, peername: context.peer, packet: packetName(packet), ...fields })}\n`;
  }
  const text = Object.entries(fields)
    .map(([name, value]) => `${textNames[name] ?? name}=${textValue(value)}`)
    .join(', ');
  return `${time} [${context.direction}] ${context.clientId}@${context.peer} ${packetName(packet)}(${text})\n`;
}

/** A line of the trace itself (started, stopped and why), in the trace's format. */
export function formatNoteLine(note: string, formatter: TraceFormatter, now: number): string {
  const time = new Date(now).toISOString();
  return formatter === 'json' ? `${JSON.stringify({ time, note })}\n` : `${time} [trace] ${note}\n`;
}

type Fields = Record<string, unknown>;

function packetFields(packet: Packet | DecodeError, context: LineContext): Fields {
  if (packet instanceof DecodeError) return { reason_code: packet.reasonCode, reason: packet.message };
  switch (packet.type) {
    case 'connect': {
      const fields: Fields = {
        clientid: packet.clientId,
        proto_name: packet.protocolName,
        proto_ver: packet.protocolVersion,
        clean_start: packet.clean,
        keepalive: packet.keepAlive,
        username: packet.username ?? null,
        password: packet.password === undefined ? null : HIDDEN,
      };
      if (packet.will !== undefined) {
        fields['will_topic'] = packet.will.topic;
        fields['will_qos'] = packet.will.qos;
        fields['will_retain'] = packet.will.retain;
        fields['will_payload'] = payloadOf(packet.will.payload, context.payloadEncode);
      }
      return withProperties(fields, packet.properties);
    }
    case 'connack':
      return withProperties({ session_present: packet.sessionPresent, reason_code: packet.reasonCode }, packet.properties);
    case 'publish': {
      const fields: Fields = { qos: packet.qos, retain: packet.retain, dup: packet.dup, topic: context.topic ?? packet.topic };
      if (packet.packetId !== undefined) fields['packet_id'] = packet.packetId;
      fields['payload'] = payloadOf(packet.payload, context.payloadEncode);
      return withProperties(fields, packet.properties);
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return withProperties({ packet_id: packet.packetId, reason_code: packet.reasonCode }, packet.properties);
    case 'subscribe':
      return withProperties(
        {
          packet_id: packet.packetId,
          topic_filters: packet.subscriptions.map((request) => ({
            topic: request.topicFilter,
            qos: request.qos,
            nl: request.noLocal ? 1 : 0,
            rap: request.retainAsPublished ? 1 : 0,
            rh: request.retainHandling,
          })),
        },
        packet.properties,
      );
    case 'suback':
    case 'unsuback':
      return withProperties({ packet_id: packet.packetId, reason_codes: packet.reasonCodes }, packet.properties);
    case 'unsubscribe':
      return withProperties({ packet_id: packet.packetId, topic_filters: packet.topicFilters }, packet.properties);
    case 'pingreq':
    case 'pingresp':
      return {};
    case 'disconnect':
    case 'auth':
      return withProperties({ reason_code: packet.reasonCode }, packet.properties);
  }
}

function payloadOf(payload: Buffer, encode: PayloadEncode): string {
  switch (encode) {
    case 'text':
      return payload.toString('utf8');
    case 'hex':
      return payload.toString('hex');
    case 'hidden':
      return HIDDEN;
  }
}

/** MQTT 5 properties, when there are any; binary ones in hex, authentication data never. */
function withProperties(fields: Fields, properties: Properties): Fields {
  const entries = Object.entries(properties).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return fields;
  const shown: Fields = {};
  for (const [name, value] of entries) {
    if (name === 'authenticationData') shown[name] = HIDDEN;
    else if (Buffer.isBuffer(value)) shown[name] = value.toString('hex');
    else shown[name] = value;
  }
  fields['properties'] = shown;
  return fields;
}

/** EMQX's names in the text form. */
const textNames: Readonly<Record<string, string>> = {
  clientid: 'ClientId',
  proto_name: 'ProtoName',
  proto_ver: 'ProtoVer',
  clean_start: 'CleanStart',
  keepalive: 'KeepAlive',
  username: 'Username',
  password: 'Password',
  will_topic: 'WillTopic',
  will_qos: 'WillQoS',
  will_retain: 'WillRetain',
  will_payload: 'WillPayload',
  session_present: 'SessionPresent',
  reason_code: 'ReasonCode',
  reason_codes: 'ReasonCodes',
  reason: 'Reason',
  qos: 'Q',
  retain: 'R',
  dup: 'D',
  topic: 'Topic',
  packet_id: 'PacketId',
  payload: 'Payload',
  topic_filters: 'TopicFilters',
  properties: 'Properties',
};

/** Values in the text form: flags as 0/1, lists and objects as JSON, text with its line breaks escaped (one packet, one line). */
function textValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return escapeLineBreaks(value);
  if (value === null) return 'undefined';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function escapeLineBreaks(text: string): string {
  return /[\r\n]/.test(text) ? text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r') : text;
}
