// Map and array functions (EMQX map_new ... map_size, mget, mput, nth ... contains). Keys given
// to map_get/map_put are dotted paths ('a.b'); maps may also be given as JSON strings.

import { getKey, isMap, putPath, termEquals, type ResolvedStep, type StepKind, type Value, type ValueMap } from '../sql/values.js';
import { toMap } from './conversion.js';
import { failure, fn, integer, list, newMap, text, type FunctionTable } from './registry.js';

function dottedPath(name: string, key: Value): string[] {
  if (Array.isArray(key)) return key.map((part) => text(name, part));
  return text(name, key).split('.');
}

function getPath(container: Value, path: readonly string[]): Value {
  let value = container;
  for (const key of path) {
    value = getKey(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}

function putDotted(container: Value, path: readonly string[], value: Value): Value {
  return putPath(container, path as ResolvedStep[], path.map((): StepKind => 0), value);
}

function entries(map: ValueMap): ValueMap[] {
  return Object.keys(map).map((key) => Object.assign(newMap(), { key, value: map[key] }));
}

export const collectionFunctions: FunctionTable = {
  map_new: fn(0, 0, () => newMap()),
  map_get: fn(2, 3, (key: Value, map: Value, fallback?: Value) => {
    const found = getPath(map, dottedPath('map_get', key));
    return found === undefined ? fallback : found;
  }),
  map_put: fn(3, 3, (key: Value, value: Value, map: Value) => putDotted(isMap(map) ? map : toMap('map_put', map), dottedPath('map_put', key), value)),
  mget: fn(2, 3, (key: Value, map: Value, fallback?: Value) => {
    const found = getPath(toMap('mget', map), Array.isArray(key) ? dottedPath('mget', key) : [text('mget', key)]);
    return found === undefined ? fallback : found;
  }),
  mput: fn(3, 3, (key: Value, value: Value, map: Value) => putDotted(toMap('mput', map), Array.isArray(key) ? dottedPath('mput', key) : [text('mput', key)], value)),
  map_keys: fn(1, 1, (map: Value) => Object.keys(toMap('map_keys', map))),
  map_values: fn(1, 1, (map: Value) => Object.values(toMap('map_values', map))),
  map_to_entries: fn(1, 1, (map: Value) => entries(toMap('map_to_entries', map))),
  map_size: fn(1, 1, (map: Value) => Object.keys(toMap('map_size', map)).length),
  nth: fn(2, 2, (index: Value, items: Value) => {
    const position = integer('nth', index);
    const array = list('nth', items);
    if (position < 1 || position > array.length) failure('nth', `index ${position} is outside the list of ${array.length}`);
    return array[position - 1];
  }),
  length: fn(1, 1, (items: Value) => list('length', items).length),
  sublist: fn(2, 3, (...args: Value[]) => {
    if (args.length === 2) return list('sublist', args[1]).slice(0, Math.max(0, integer('sublist', args[0])));
    const start = integer('sublist', args[0]);
    if (start < 1) failure('sublist', 'start counts from 1');
    return list('sublist', args[2]).slice(start - 1, start - 1 + Math.max(0, integer('sublist', args[1])));
  }),
  first: fn(1, 1, (items: Value) => {
    const array = list('first', items);
    if (array.length === 0) failure('first', 'the list is empty');
    return array[0];
  }),
  last: fn(1, 1, (items: Value) => {
    const array = list('last', items);
    if (array.length === 0) failure('last', 'the list is empty');
    return array[array.length - 1];
  }),
  contains: fn(2, 2, (item: Value, items: Value) => list('contains', items).some((member) => termEquals(member, item))),
};
