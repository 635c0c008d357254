// Sample inputs for testing SQL without a broker event (POST /api/v5/rule_test, `starling ctl rules
// test`): EMQX's example columns for each event (emqx_rule_events:columns_with_exam), overridden by
// what the caller gives. The caller names the event by EMQX's event_type (message_publish,
// client_connected, ...) or its event name (client.connected); the default is a published message.

import { Buffer } from 'node:buffer';

import { newMap } from './functions/registry.js';
import { eventTopics, type EventSource, type RuleEventName } from './events.js';
import type { Value, ValueMap } from './sql/values.js';

const PUBLISH_PROPERTIES = { 'Payload-Format-Indicator': 0, 'Message-Expiry-Interval': 30, 'User-Property': { foo: 'bar' }, 'User-Property-Pairs': [{ key: 'foo', value: 'bar' }] };
const CLIENT = { clientid: 'c_emqx', username: 'u_emqx', peerhost: '192.168.0.10', peername: '192.168.0.10:32781' };

function message(now: number): Record<string, Value> {
  return { id: '0005F8F84FFFAFB9F44200000D810002', ...CLIENT, payload: '{"msg": "hello"}', topic: 't/a', qos: 1, flags: {}, publish_received_at: now, pub_props: PUBLISH_PROPERTIES };
}

function delivery(now: number): Record<string, Value> {
  return { ...message(now), from_clientid: 'c_emqx_1', from_username: 'u_emqx_1', clientid: 'c_emqx_2', username: 'u_emqx_2' };
}

function examples(event: RuleEventName, now: number): Record<string, Value> {
  const connection = { ...CLIENT, peername: '192.168.0.10:56431', sockname: '0.0.0.0:1883', proto_name: 'MQTT', proto_ver: 5 };
  switch (event) {
    case 'message.publish':
      return { ...message(now), client_attrs: {} };
    case 'message.delivered':
      return delivery(now);
    case 'message.acked':
      return { ...delivery(now), puback_props: { 'Reason-String': 'OK' } };
    case 'message.dropped':
      return { ...message(now), reason: 'no_subscribers' };
    case 'delivery.dropped':
      return { ...delivery(now), reason: 'queue_full' };
    case 'client.connected':
      return { ...connection, mountpoint: undefined, keepalive: 60, clean_start: true, expiry_interval: 3600, is_bridge: false, conn_props: { 'Session-Expiry-Interval': 7200, 'Receive-Maximum': 32 }, connected_at: now, client_attrs: {} };
    case 'client.disconnected':
      return { ...connection, reason: 'normal', disconn_props: {}, connected_at: now, disconnected_at: now, client_attrs: {} };
    case 'client.connack':
      return { ...connection, reason_code: 'success', keepalive: 60, clean_start: true, expiry_interval: 3600, connected_at: now, conn_props: {} };
    case 'client.check_authz_complete':
      return { ...CLIENT, topic: 't/a', action: 'publish', authz_source: 'cache', result: 'allow', client_attrs: {} };
    case 'session.subscribed':
      return { ...CLIENT, topic: 't/a', qos: 1, sub_props: {}, client_attrs: {} };
    case 'session.unsubscribed':
      return { ...CLIENT, topic: 't/a', qos: 1, unsub_props: {}, client_attrs: {} };
  }
}

/** `message_publish` (EMQX's event_type), `message.publish`, or undefined for a published message. */
export function eventOfTestContext(context: Record<string, unknown>): RuleEventName | undefined {
  const named = context['event_type'] ?? context['event'];
  if (named === undefined) return 'message.publish';
  if (typeof named !== 'string') return undefined;
  const event = named.includes('.') ? named : named.replace('_', '.');
  if (event === 'message.publish' || event in eventTopics) return event as RuleEventName;
  return undefined;
}

/** The topic the input arrives on: a published message's topic, or the event's `$events/...` topics. */
export function topicsOfTestInput(event: RuleEventName, columns: ValueMap): string[] {
  if (event === 'message.publish') return [typeof columns['topic'] === 'string' ? columns['topic'] : ''];
  return [...eventTopics[event as EventSource]];
}

export function testColumns(event: RuleEventName, context: Record<string, unknown>, node: string, now = Date.now()): { columns: ValueMap; names: string[] } {
  const values: Record<string, Value> = { ...examples(event, now), ...(context as Record<string, Value>) };
  delete values['event_type'];
  values['event'] = event;
  values['timestamp'] ??= now;
  values['node'] ??= node;
  const columns = Object.assign(newMap(), toValues(values) as ValueMap);
  return { columns, names: Object.keys(columns) };
}

/** Plain JSON values (objects as null-prototype maps). */
function toValues(value: unknown): Value {
  if (Array.isArray(value)) return value.map(toValues);
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    const out = newMap();
    for (const [key, entry] of Object.entries(value)) out[key] = toValues(entry);
    return out;
  }
  return value as Value;
}
