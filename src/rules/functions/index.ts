// Every built-in SQL function by name, as rules call them (EMQX emqx_rule_funcs names).

import { bitFunctions } from './bits.js';
import { collectionFunctions } from './collections.js';
import { conversionFunctions } from './conversion.js';
import { encodingFunctions } from './encoding.js';
import { mathFunctions } from './math.js';
import { messageFunctions } from './message.js';
import type { FunctionTable } from './registry.js';
import { stringFunctions } from './string.js';
import { timeFunctions } from './time.js';

export const builtinFunctions: FunctionTable = Object.freeze(
  Object.assign(Object.create(null) as object, mathFunctions, bitFunctions, conversionFunctions, stringFunctions, collectionFunctions, encodingFunctions, timeFunctions, messageFunctions),
);

/** EMQX functions Starling does not provide, with the reason (the README lists them). */
export const unsupportedFunctions: Readonly<Record<string, string>> = {
  jq: 'needs the jq library',
  term_encode: 'Erlang external term format',
  term_decode: 'Erlang external term format',
  mongo_date: 'no MongoDB sink',
  proc_dict_get: 'per-process state of an Erlang connection process',
  proc_dict_put: 'per-process state of an Erlang connection process',
  proc_dict_del: 'per-process state of an Erlang connection process',
  schema_encode: 'no schema registry',
  schema_decode: 'no schema registry',
  sparkplug_encode: 'no schema registry',
  sparkplug_decode: 'no schema registry',
};
