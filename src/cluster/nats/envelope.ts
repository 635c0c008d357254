// A Message as the bytes of one NATS message: msgpack of its fields, the payload as raw bytes inside.
// The topic travels in full (the subject may be the overflow subject, and escaping is one-way there).

import { Packr } from 'msgpackr';
import type { Message } from '../../core/message.js';
import type { Properties, QoS } from '../../codec/types.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });
const VERSION = 1;

type Fields = [
  version: number,
  id: number,
  origin: string,
  topic: string,
  payload: Buffer,
  qos: QoS,
  retain: boolean,
  properties: Properties,
  from: string | null,
  receivedAt: number,
  expiresAt: number | null,
];

export function encodeMessage(message: Message): Buffer {
  const fields: Fields = [
    VERSION,
    message.id,
    message.origin,
    message.topic,
    message.payload,
    message.qos,
    message.retain,
    message.properties,
    message.from ?? null,
    message.receivedAt,
    message.expiresAt ?? null,
  ];
  return packr.pack(fields);
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export function decodeMessage(bytes: Uint8Array): Message {
  const fields = packr.unpack(bytes) as Fields;
  if (!Array.isArray(fields) || fields[0] !== VERSION) throw new EnvelopeError(`unknown envelope (version ${Array.isArray(fields) ? String(fields[0]) : typeof fields})`);
  return {
    id: fields[1],
    origin: fields[2],
    topic: fields[3],
    payload: Buffer.isBuffer(fields[4]) ? fields[4] : Buffer.from(fields[4]),
    qos: fields[5],
    retain: fields[6],
    properties: fields[7],
    from: fields[8] ?? undefined,
    receivedAt: fields[9],
    expiresAt: fields[10] ?? undefined,
  };
}
