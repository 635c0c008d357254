// String functions (EMQX emqx_variform_bif via emqx_rule_funcs): lower ... unescape, sprintf,
// regular expressions (PCRE in EMQX, JavaScript RegExp here: the common syntax is the same; each
// pattern is compiled once and cached). Positions and lengths count characters, not bytes.

import { Buffer } from 'node:buffer';

import { bytesOf, concatenate, isMap, jsonEncode, toJsString, type Value } from '../sql/values.js';
import { erlangFormat } from './erlang-format.js';
import { floatToString, toMap } from './conversion.js';
import { badArgument, binary, failure, fn, integer, list, text, type FunctionTable } from './registry.js';

const patterns = new Map<string, RegExp>();
const MAX_CACHED_PATTERNS = 1000;

function regex(name: string, source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let pattern = patterns.get(key);
  if (pattern === undefined) {
    try {
      pattern = new RegExp(source, `u${flags}`);
    } catch {
      try {
        pattern = new RegExp(source, flags);
      } catch (error) {
        return failure(name, `bad regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
      }
    }
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
    patterns.set(key, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

let segmenter: Intl.Segmenter | undefined;

/** Grapheme clusters, as Erlang's string module counts characters. */
function characters(value: string): string[] {
  if (/^[\x00-\x7f]*$/.test(value)) return value.split('');
  // Made on first use: building ICU's segmenter at start-up would cost every process that loads the rules.
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(segmenter.segment(value), (segment) => segment.segment);
}

const WHITESPACE = /^[\s\u0085]+|[\s\u0085]+$/g;

function trimCharacters(value: string, set: string, leading: boolean, trailing: boolean): string {
  const members = new Set(characters(set));
  const chars = characters(value);
  let start = 0;
  let end = chars.length;
  if (leading) while (start < end && members.has(chars[start]!)) start++;
  if (trailing) while (end > start && members.has(chars[end - 1]!)) end--;
  return chars.slice(start, end).join('');
}

function split(source: string, separator: string, mode: string): string[] {
  if (separator === '') return [source];
  switch (mode) {
    case 'all':
    case 'notrim':
      return source.split(separator);
    case 'leading':
    case 'leading_notrim': {
      const at = source.indexOf(separator);
      return at === -1 ? [source] : [source.slice(0, at), source.slice(at + separator.length)];
    }
    case 'trailing':
    case 'trailing_notrim': {
      const at = source.lastIndexOf(separator);
      return at === -1 ? [source] : [source.slice(0, at), source.slice(at + separator.length)];
    }
    default:
      return failure('split', `option must be notrim, leading, leading_notrim, trailing or trailing_notrim, got ${JSON.stringify(mode)}`);
  }
}

function pad(source: string, length: number, direction: string, filler: string): string {
  const missing = length - characters(source).length;
  if (missing <= 0) return source;
  const fill = (count: number): string => filler.repeat(count);
  switch (direction) {
    case 'trailing':
      return source + fill(missing);
    case 'leading':
      return fill(missing) + source;
    case 'both': {
      const before = Math.floor(missing / 2);
      return fill(before) + source + fill(missing - before);
    }
    default:
      return failure('pad', `direction must be trailing, leading or both, got ${JSON.stringify(direction)}`);
  }
}

function replace(source: string, pattern: string, replacement: string, where: string): string {
  if (pattern === '') return source;
  if (where === 'all') return source.split(pattern).join(replacement);
  const at = where === 'leading' ? source.indexOf(pattern) : where === 'trailing' ? source.lastIndexOf(pattern) : failure('replace', `where must be all, leading or trailing, got ${JSON.stringify(where)}`);
  return at === -1 ? source : source.slice(0, at) + replacement + source.slice(at + pattern.length);
}

/** re:replace's replacement: `&` is the match, `\N` and `\g{N}` groups, `\&` and `\\` literal. */
function regexReplace(source: string, pattern: RegExp, replacement: string): string {
  return source.replace(new RegExp(pattern.source, `${pattern.flags}g`), (...match: unknown[]) => {
    const groups = match.slice(0, -2).filter((item) => typeof item !== 'number' && typeof item !== 'object') as Array<string | undefined>;
    return replacement.replace(/\\\\|\\&|&|\\g\{(\d+)\}|\\(\d)/g, (token, braced: string | undefined, digit: string | undefined) => {
      if (token === '\\\\') return '\\';
      if (token === '\\&') return '&';
      if (token === '&') return groups[0] ?? '';
      return groups[Number(braced ?? digit)] ?? '';
    });
  });
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', "'": "'", '"': '"', '\\': '\\', '?': '?', a: '\x07' };

function unescape(source: string): string {
  return source.replace(/\\(x[0-9a-fA-F]+|.)/gs, (_whole, escape: string) => {
    if (escape.startsWith('x') && escape.length > 1) {
      const code = Number.parseInt(escape.slice(1), 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) failure('unescape', `\\${escape} is not a Unicode character`);
      return String.fromCodePoint(code);
    }
    const replacement = ESCAPES[escape];
    if (replacement === undefined) failure('unescape', `unrecognized escape sequence \\${escape}`);
    return replacement;
  });
}

/** map_to_redis_hset_args: [field, value, ...] for HSET, keeping string keys and scalar values (EMQX drops the rest). */
function redisHsetArgs(value: Value): Value {
  let map: Value = value;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      map = toMap('map_to_redis_hset_args', value);
    } catch {
      return [];
    }
  }
  if (!isMap(map)) return [];
  const out: string[] = [];
  for (const [key, field] of Object.entries(map)) {
    if (typeof field === 'string') out.push(key, field);
    else if (typeof field === 'number') out.push(key, Number.isInteger(field) ? String(field) : floatToString(field, 6));
    else if (typeof field === 'boolean') out.push(key, String(field));
  }
  return out;
}

/** join_to_sql_values_string: 'text' quoted with '' doubled, numbers bare, lists as quoted JSON. */
function sqlValues(items: Value[]): string {
  return items
    .map((item) => {
      if (typeof item === 'number') return toJsString(item);
      if (item === undefined || item === null) return 'NULL';
      const source = Array.isArray(item) ? jsonEncode(item) : toJsString(item);
      return `'${source.replaceAll("'", "''")}'`;
    })
    .join(', ');
}

export const stringFunctions: FunctionTable = {
  lower: fn(1, 1, (value: Value) => text('lower', value).toLowerCase()),
  upper: fn(1, 1, (value: Value) => text('upper', value).toUpperCase()),
  trim: fn(1, 2, (value: Value, chars?: Value) => (chars === undefined ? text('trim', value).replace(WHITESPACE, '') : trimCharacters(text('trim', value), text('trim', chars), true, true))),
  ltrim: fn(1, 2, (value: Value, chars?: Value) => (chars === undefined ? text('ltrim', value).replace(/^[\s\u0085]+/, '') : trimCharacters(text('ltrim', value), text('ltrim', chars), true, false))),
  rtrim: fn(1, 2, (value: Value, chars?: Value) => (chars === undefined ? text('rtrim', value).replace(/[\s\u0085]+$/, '') : trimCharacters(text('rtrim', value), text('rtrim', chars), false, true))),
  reverse: fn(1, 1, (value: Value) => characters(text('reverse', value)).reverse().join('')),
  rm_prefix: fn(2, 2, (value: Value, prefix: Value) => {
    const source = text('rm_prefix', value);
    const start = text('rm_prefix', prefix);
    return source.startsWith(start) ? source.slice(start.length) : source;
  }),
  strlen: fn(1, 1, (value: Value) => characters(text('strlen', value)).length),
  /** Start counts from 0 (Erlang string:slice). */
  substr: fn(2, 3, (value: Value, start: Value, length?: Value) => {
    const chars = characters(text('substr', value));
    const from = integer('substr', start);
    if (from < 0) failure('substr', 'start must be 0 or more');
    return length === undefined ? chars.slice(from).join('') : chars.slice(from, from + Math.max(0, integer('substr', length))).join('');
  }),
  split: fn(2, 3, (value: Value, separator: Value, option?: Value) => {
    const mode = option === undefined ? 'all' : text('split', option);
    const parts = split(text('split', value), text('split', separator), mode);
    return mode.endsWith('notrim') ? parts : parts.filter((part) => part !== '');
  }),
  tokens: fn(2, 3, (value: Value, separators: Value, option?: Value) => {
    let set = characters(text('tokens', separators));
    if (option !== undefined) {
      if (text('tokens', option) !== 'nocrlf') failure('tokens', `the third argument must be 'nocrlf', got ${JSON.stringify(option)}`);
      set = [...set, '\r', '\n'];
    }
    const members = new Set(set);
    const out: string[] = [];
    let current = '';
    for (const char of characters(text('tokens', value))) {
      if (members.has(char) || (option !== undefined && char === '\r\n')) {
        if (current !== '') out.push(current);
        current = '';
      } else current += char;
    }
    if (current !== '') out.push(current);
    return out;
  }),
  concat: fn(1, Infinity, (...values: Value[]) => (values.length === 1 ? concatenate(list('concat', values[0])) : concatenate(values))),
  sprintf: fn(1, Infinity, (format: Value, ...args: Value[]) => erlangFormat(text('sprintf', format), args)),
  sprintf_s: fn(2, 2, (format: Value, args: Value) => erlangFormat(text('sprintf_s', format), list('sprintf_s', args))),
  pad: fn(2, 4, (value: Value, length: Value, direction?: Value, filler?: Value) =>
    pad(text('pad', value), integer('pad', length), direction === undefined ? 'trailing' : text('pad', direction), filler === undefined ? ' ' : text('pad', filler)),
  ),
  replace: fn(3, 4, (value: Value, pattern: Value, replacement: Value, where?: Value) =>
    replace(text('replace', value), text('replace', pattern), text('replace', replacement), where === undefined ? 'all' : text('replace', where)),
  ),
  regex_match: fn(2, 2, (value: Value, pattern: Value) => regex('regex_match', text('regex_match', pattern)).test(text('regex_match', value))),
  regex_replace: fn(3, 3, (value: Value, pattern: Value, replacement: Value) => regexReplace(text('regex_replace', value), regex('regex_replace', text('regex_replace', pattern)), text('regex_replace', replacement))),
  regex_extract: fn(2, 2, (value: Value, pattern: Value) => {
    const match = regex('regex_extract', text('regex_extract', pattern)).exec(text('regex_extract', value));
    return match === null ? [] : match.slice(1).map((group) => group ?? '');
  }),
  ascii: fn(1, 1, (value: Value) => {
    const bytes = bytesOf(binary('ascii', typeof value === 'boolean' || value === null ? String(value) : value));
    if (bytes.length === 0) badArgument('ascii', 'a non-empty string', value);
    return bytes[0]!;
  }),
  find: fn(2, 3, (value: Value, pattern: Value, direction?: Value) => {
    const source = text('find', value);
    const needle = text('find', pattern);
    const where = direction === undefined ? 'leading' : text('find', direction);
    if (where !== 'leading' && where !== 'trailing') failure('find', `direction must be leading or trailing, got ${JSON.stringify(where)}`);
    const at = where === 'leading' ? source.indexOf(needle) : source.lastIndexOf(needle);
    return at === -1 ? '' : source.slice(at);
  }),
  join_to_string: fn(1, 2, (...args: Value[]) => {
    const [separator, items] = args.length === 1 ? [', ', args[0]] : [text('join_to_string', args[0]), args[1]];
    return list('join_to_string', items)
      .map((item) => toJsString(item))
      .join(separator as string);
  }),
  join_to_sql_values_string: fn(1, 1, (items: Value) => sqlValues(list('join_to_sql_values_string', items))),
  map_to_redis_hset_args: fn(1, 1, redisHsetArgs),
  unescape: fn(1, 1, (value: Value) => unescape(text('unescape', value))),
};
