// The top-level payload keys the loaded rules read (`payload.temp`, `payload.sensor.id` read `temp` and
// `sensor`), read once per message into one small object that every rule then reads from: the bytes
// are scanned for just those keys (json-fields.ts), and JSON.parse decodes the payload only when the
// scan cannot answer. Each key holds what `payload.<key>` reads from the whole decoded payload.

import type { Buffer } from 'node:buffer';

import { JsonFieldReader } from './json-fields.js';
import { getKey, type Value, type ValueMap } from './values.js';

export class PayloadFields {
  private readonly reader: JsonFieldReader;
  /** Filled by the reader, then copied into the message's object (one message at a time). */
  private readonly values: Value[];
  /** Builds the object with every key in the same order, so rules read it with one shape. */
  private readonly build: (values: readonly Value[]) => ValueMap;

  /** `keys` must pass isPlainKey (the compiler only asks for such keys). */
  constructor(readonly keys: readonly string[]) {
    this.reader = new JsonFieldReader(keys);
    this.values = keys.map(() => undefined);
    // The keys are JSON-quoted and are printable ASCII without quotes or backslashes (isPlainKey): data, never code.
    const properties = keys.map((key, index) => `${JSON.stringify(key)}: v[${index}]`).join(', ');
    this.build = new Function('v', `"use strict";\nreturn {${properties}};`) as (values: readonly Value[]) => ValueMap;
  }

  /** The keys' values from the payload's bytes; `whole` gives the general path (it throws when the payload is not JSON), used when there are no bytes or the reader cannot answer. */
  read(bytes: Buffer | undefined, whole: { decodeColumnPayload(): Value }): ValueMap {
    const values = this.values;
    if (bytes === undefined || !this.reader.read(bytes, values)) {
      const decoded = whole.decodeColumnPayload();
      for (let index = 0; index < this.keys.length; index++) values[index] = getKey(decoded, this.keys[index]!);
    }
    return this.build(values);
  }

  /** Whether this set holds exactly these keys (so an engine keeps it when its rules change but their keys do not). */
  holdsExactly(keys: ReadonlySet<string>): boolean {
    return keys.size === this.keys.length && this.keys.every((key) => keys.has(key));
  }
}
