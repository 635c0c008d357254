// Functions that read the input itself (EMQX msgid(), qos(), topic(), topic(N), clientid(),
// username(), peerhost(), payload(), payload('a.b'), flags(), flag(name)), topic helpers
// (contains_topic, contains_topic_match, and Starling's topic_match, topic_split, topic_join),
// system functions (getenv, uuid_v4) and a broker-wide key-value store (kv_store_*).

import { Buffer } from 'node:buffer';

import { randomUUID } from 'node:crypto';
import { topicMatches } from '../../core/topic.js';
import { getKey, isMap, jsonDecode, termEquals, textOf, toJsString, type Value } from '../sql/values.js';
import type { EvaluationScope } from '../sql/scope.js';
import { contextual, failure, fn, integer, list, text, type FunctionTable } from './registry.js';

function column(name: string) {
  return contextual(0, 0, (scope: EvaluationScope) => scope.columns[name]);
}

function findFilter(filters: Value, topic: string, match: (filter: string, topic: string) => boolean): Value {
  for (const entry of list('contains_topic', filters)) {
    const filter = isMap(entry) ? entry['topic'] : entry;
    if (typeof filter === 'string' && match(filter, topic)) return entry;
  }
  return undefined;
}

function containsTopic(match: (filter: string, topic: string) => boolean) {
  return fn(2, 3, (filters: Value, topic: Value, qos?: Value) => {
    const found = findFilter(filters, text('contains_topic', topic), match);
    if (found === undefined) return false;
    return qos === undefined || (isMap(found) && termEquals(found['qos'], qos));
  });
}

/** getenv('NAME') reads EMQXVAR_NAME, once (later reads see the first value), '' when unset. */
const environment = new Map<string, string>();
/** kv_store_put/get/del: one map for every rule, as EMQX's ETS table is one per node. */
const keyValueStore = new Map<string, Value>();
const MAX_KV_ENTRIES = 100_000;

function kvKey(value: Value): string {
  return toJsString(value);
}

export const messageFunctions: FunctionTable = {
  msgid: column('id'),
  qos: column('qos'),
  flags: column('flags'),
  topic: contextual(0, 1, (scope: EvaluationScope, level?: Value) => {
    const topic = scope.columns['topic'];
    if (level === undefined || typeof topic !== 'string') return topic;
    const levels = topic.split('/');
    const index = integer('topic', level);
    if (index < 1 || index > levels.length) failure('topic', `level ${index} is outside the topic's ${levels.length} levels`);
    return levels[index - 1];
  }),
  flag: contextual(1, 1, (scope: EvaluationScope, name: Value) => getKey(scope.columns['flags'], text('flag', name))),
  clientid: column('clientid'),
  username: column('username'),
  peerhost: column('peerhost'),
  clientip: column('peerhost'),
  payload: contextual(0, 1, (scope: EvaluationScope, path?: Value) => {
    const payload = scope.columns['payload'];
    if (path === undefined) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined;
    let value: Value;
    try {
      value = jsonDecode(payload);
    } catch {
      return undefined;
    }
    for (const key of text('payload', path).split('.')) value = getKey(value, key);
    return value;
  }),
  contains_topic: containsTopic((filter, topic) => filter === topic),
  contains_topic_match: containsTopic((filter, topic) => topicMatches(filter, topic)),
  topic_match: fn(2, 2, (topic: Value, filter: Value) => topicMatches(text('topic_match', filter), text('topic_match', topic))),
  topic_split: fn(1, 1, (topic: Value) => text('topic_split', topic).split('/')),
  topic_join: fn(1, 2, (...args: Value[]) => {
    if (args.length === 1) return list('topic_join', args[0]).map((word) => textOf(toJsString(word))).join('/');
    const parent = toJsString(args[0]);
    if (parent === '') failure('topic_join', 'the parent topic is empty');
    return parent.endsWith('/') ? parent + toJsString(args[1]) : `${parent}/${toJsString(args[1])}`;
  }),
  getenv: fn(1, 1, (name: Value) => {
    const key = text('getenv', name);
    let value = environment.get(key);
    if (value === undefined) {
      value = process.env[`EMQXVAR_${key}`] ?? '';
      environment.set(key, value);
    }
    return value;
  }),
  uuid_v4: fn(0, 0, () => randomUUID()),
  uuid_v4_no_hyphen: fn(0, 0, () => randomUUID().replaceAll('-', '')),
  kv_store_get: fn(1, 2, (key: Value, fallback?: Value) => {
    const value = keyValueStore.get(kvKey(key));
    return value === undefined ? fallback : value;
  }),
  kv_store_put: { ...fn(2, 2, (key: Value, value: Value) => {
    if (keyValueStore.size >= MAX_KV_ENTRIES && !keyValueStore.has(kvKey(key))) failure('kv_store_put', `the store holds ${MAX_KV_ENTRIES} keys already`);
    keyValueStore.set(kvKey(key), value);
    return true;
  }), sideEffects: true },
  kv_store_del: { ...fn(1, 1, (key: Value) => keyValueStore.delete(kvKey(key))), sideEffects: true },
};
