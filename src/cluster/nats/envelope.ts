// Messages as the bytes of one NATS message: msgpack of each message's fields (the payload as raw bytes
// inside), several messages of one subject per NATS message (a batch: what one event-loop turn published on
// that subject). The topic travels in full (the subject may be the overflow subject).

import { Packr } from 'msgpackr';
import type { Message } from '../../core/message.js';
import type { Properties, QoS } from '../../codec/types.js';

const packr = new Packr({ useRecords: false, copyBuffers: true });
const VERSION = 2;

type Fields = [
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

function fields(message: Message): Fields {
  return [
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
}

/** One NATS message's bytes for `messages` (in order). */
export function encodeMessages(messages: readonly Message[]): Buffer {
  const batch: unknown[] = [VERSION];
  for (const message of messages) batch.push(fields(message));
  return packr.pack(batch);
}

export function encodeMessage(message: Message): Buffer {
  return packr.pack([VERSION, fields(message)]);
}

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/** The messages one NATS message carries. */
export function decodeMessages(bytes: Uint8Array): Message[] {
  const batch = packr.unpack(bytes) as unknown[];
  if (!Array.isArray(batch) || batch[0] !== VERSION) throw new EnvelopeError(`unknown envelope (version ${Array.isArray(batch) ? String(batch[0]) : typeof batch})`);
  const messages: Message[] = [];
  for (let index = 1; index < batch.length; index++) {
    const f = batch[index] as Fields;
    messages.push({
      id: f[0],
      origin: f[1],
      topic: f[2],
      payload: Buffer.isBuffer(f[3]) ? f[3] : Buffer.from(f[3]),
      qos: f[4],
      retain: f[5],
      properties: f[6],
      from: f[7] ?? undefined,
      receivedAt: f[8],
      expiresAt: f[9] ?? undefined,
    });
  }
  return messages;
}

/** The first message of a NATS message (tests). */
export function decodeMessage(bytes: Uint8Array): Message {
  const [message] = decodeMessages(bytes);
  if (message === undefined) throw new EnvelopeError('empty envelope');
  return message;
}
