// What a rule's compiled code and the reference interpreter read per input: the input's columns
// (null-prototype, some computed on first read) and the decoded JSON payload, shared by every rule
// that reads `payload.x` from the same message: the whole of it, or only the top-level keys the
// loaded rules read (payload-fields.ts).

import type { Buffer } from 'node:buffer';

import { RuleEvaluationError } from './errors.js';
import type { PayloadFields } from './payload-fields.js';
import { isBinary, jsonDecode, type Value, type ValueMap } from './values.js';

/** An event's or message's columns by EMQX's names; reading an unknown name gives undefined. */
export type Columns = Readonly<Record<string, Value>>;

export class EvaluationScope {
  private decodedFrom: Value = undefined;
  private decoded: Value = undefined;
  private fields: ValueMap | undefined = undefined;
  private fieldsFrom: PayloadFields | undefined = undefined;

  constructor(
    readonly columns: Columns,
    /** Every column name, in EMQX's order (for `SELECT *`). */
    readonly columnNames: readonly string[],
    /** The payload column's bytes, and the top-level keys every rule run on this input reads from it (a published message's scope). */
    private readonly payloadBytes?: Buffer,
    private readonly payloadKeys?: PayloadFields,
  ) {}

  /**
   * What `payload.<key>` reads from the payload column, for a compiled rule that reads the payload
   * only by top-level keys: an object holding each key's value, read once per input for every rule
   * (with the scope's key set; without one, `own`, the rule's keys). Fails as decodePayload when the
   * payload is not JSON.
   */
  payloadFields(own: PayloadFields): ValueMap {
    const keys = this.payloadKeys ?? own;
    if (this.fieldsFrom === keys) return this.fields!;
    const fields = keys.read(this.payloadBytes, this);
    this.fields = fields;
    this.fieldsFrom = keys;
    return fields;
  }

  /** The payload column, decoded whole. */
  decodeColumnPayload(): Value {
    return this.decodePayload(this.columns['payload']);
  }

  /**
   * `payload.x`: a payload that is a string is JSON-decoded first (once per input), and one that is
   * not JSON fails the rule (EMQX decode_json_failed); a map or list is read as it is.
   */
  decodePayload(payload: Value): Value {
    if (payload === this.decodedFrom && payload !== undefined) return this.decoded;
    if (!isBinary(payload)) return payload;
    let decoded: Value;
    try {
      decoded = jsonDecode(payload);
    } catch {
      throw new RuleEvaluationError('decode_json_failed', 'the payload is not JSON, so payload.<field> cannot be read');
    }
    this.decodedFrom = payload;
    this.decoded = decoded;
    return decoded;
  }

  /** A fresh map of every column (SELECT *). */
  allColumns(): ValueMap {
    const all: ValueMap = Object.create(null) as ValueMap;
    for (const name of this.columnNames) all[name] = this.columns[name];
    return all;
  }
}

/** A null-prototype map of plain columns, e.g. for `rule_test` contexts and tests. */
export function columnsOf(values: Record<string, Value>): { columns: Columns; names: string[] } {
  const columns = Object.assign(Object.create(null) as ValueMap, values);
  return { columns, names: Object.keys(values) };
}
