// Publishing through the management API (`POST /api/v5/publish` and `/publish/bulk`): each message is
// checked as a client's PUBLISH would be (topic name, size, QoS and retain the broker offers), goes
// through the broker's own publish path (hooks, retained store, routing) with origin `http_api`, and
// the answer waits for the store: a QoS 1/2 message for persistent sessions (and a retained one) is
// acknowledged only once committed, as a PUBACK would be. The ACL does not apply: as in EMQX, a
// caller the API has authenticated is trusted.

import { ReasonCode } from '../../codec/constants.js';
import type { Properties, QoS } from '../../codec/types.js';
import { isValidTopicName, topicLevelCount } from '../../codec/validate.js';
import { createMessage, type Message } from '../../core/message.js';
import type { LiveState } from './live-state.js';

/** Messages made by the management API carry this origin (rules: `rule:<id>`, bridges: `bridge:<name>`). */
export const HTTP_API_ORIGIN = 'http_api';

/** A message as `POST /api/v5/publish` takes it (EMQX's fields). */
export interface PublishRequest {
  topic: string;
  payload: string;
  payload_encoding?: 'plain' | 'base64';
  qos?: number;
  retain?: boolean;
  properties?: {
    payload_format_indicator?: number;
    message_expiry_interval?: number;
    response_topic?: string;
    correlation_data?: string;
    user_properties?: Record<string, string>;
    content_type?: string;
  };
}

/** Refused before publishing: EMQX's `{reason_code, message}` (an MQTT reason code). */
export interface PublishRefusal {
  reasonCode: number;
  message: string;
}

/** The message to publish, or why it cannot be; `field` names the request in refusals (e.g. body.2). */
export function checkPublish(live: LiveState, request: PublishRequest, field: string): Message | PublishRefusal {
  const config = live.broker.config;
  const { topic } = request;
  if (!isValidTopicName(topic) || topicLevelCount(topic) > config.maxTopicLevels) {
    return { reasonCode: ReasonCode.TopicNameInvalid, message: `topic_name_invalid: ${field}.topic ${JSON.stringify(topic)} is not a topic name` };
  }
  if (topic.startsWith('$SYS')) return { reasonCode: ReasonCode.TopicNameInvalid, message: `topic_name_invalid: ${field}.topic: $SYS topics are the broker's own` };
  let payload: Buffer;
  if (request.payload_encoding === 'base64') {
    // Buffer.from ignores what is not base64; EMQX refuses it.
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(request.payload) || request.payload.length % 4 === 1) {
      return { reasonCode: ReasonCode.ImplementationSpecificError, message: `${field}.payload: not base64 (payload_encoding is base64)` };
    }
    payload = Buffer.from(request.payload, 'base64');
  } else {
    payload = Buffer.from(request.payload, 'utf8');
  }
  if (payload.length + Buffer.byteLength(topic) > config.maxPacketSize) {
    // EMQX answers 151 (0x97 Quota exceeded) here, not 0x95 Packet too large; scripts check its number.
    return { reasonCode: ReasonCode.QuotaExceeded, message: `packet_too_large: ${field}: the message is larger than max_packet_size (${config.maxPacketSize} bytes)` };
  }
  const qos = (request.qos ?? 0) as QoS;
  if (qos > config.maxQoS) return { reasonCode: ReasonCode.QoSNotSupported, message: `${field}.qos: this broker's max_qos is ${config.maxQoS}` };
  if (request.retain === true && !config.retainAvailable) return { reasonCode: ReasonCode.RetainNotSupported, message: `${field}.retain: retain is not available on this broker` };
  const properties = messageProperties(request.properties, payload, `${field}.properties`);
  if ('reasonCode' in properties) return properties;
  return createMessage({ topic, payload, qos, retain: request.retain ?? false, properties }, undefined, HTTP_API_ORIGIN);
}

function messageProperties(input: PublishRequest['properties'], payload: Buffer, field: string): Properties | PublishRefusal {
  const properties: Properties = {};
  if (input === undefined) return properties;
  if (input.payload_format_indicator !== undefined) {
    properties.payloadFormatIndicator = input.payload_format_indicator;
    // [MQTT-3.3.2-4] a payload said to be UTF-8 must be
    if (input.payload_format_indicator === 1 && !isUtf8(payload)) {
      return { reasonCode: ReasonCode.PayloadFormatInvalid, message: `${field}.payload_format_indicator: 1 says the payload is UTF-8, and it is not` };
    }
  }
  if (input.message_expiry_interval !== undefined) properties.messageExpiryInterval = input.message_expiry_interval;
  if (input.response_topic !== undefined) {
    if (!isValidTopicName(input.response_topic)) return { reasonCode: ReasonCode.TopicNameInvalid, message: `${field}.response_topic: not a topic name` };
    properties.responseTopic = input.response_topic;
  }
  if (input.correlation_data !== undefined) properties.correlationData = Buffer.from(input.correlation_data, 'utf8');
  if (input.content_type !== undefined) properties.contentType = input.content_type;
  if (input.user_properties !== undefined) properties.userProperties = Object.entries(input.user_properties);
  return properties;
}

function isUtf8(payload: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(payload);
    return true;
  } catch {
    return false;
  }
}

/** Publishes checked messages; resolves once what they wrote to the store is committed. Throws when that commit fails. */
export async function publishMessages(live: LiveState, messages: readonly Message[]): Promise<Array<{ id: string; delivered: boolean }>> {
  const core = live.broker.core;
  const outcomes = messages.map((message) => ({ id: messageId(message), delivered: core.publish(message) > 0 }));
  const barrier = core.persistence?.barrier();
  if (barrier !== undefined) await barrier.promise;
  return outcomes;
}

/** EMQX's message ids are hex strings: Starling's id in 16 hex digits. */
export function messageId(message: Message): string {
  return message.id.toString(16).toUpperCase().padStart(16, '0');
}
