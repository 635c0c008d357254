// Date and time functions (EMQX now_rfc3339, unix_ts_to_rfc3339, rfc3339_to_unix_ts,
// now_timestamp, format_date, date_to_unix_ts, timezone_to_offset_seconds). Units are second,
// millisecond, microsecond, nanosecond; offsets 'Z', '+08:00', '-0330', 'local' or seconds.
// format_date and date_to_unix_ts read %Y %m %d %H %M %S %N %3N %6N %z %:z %::z (emqx_utils_calendar).

import type { Value } from '../sql/values.js';
import { badArgument, failure, fn, integer, text, type FunctionTable } from './registry.js';

const UNITS: Record<string, number> = { second: 1, millisecond: 1e3, microsecond: 1e6, nanosecond: 1e9 };

function unitFactor(name: string, unit: Value): number {
  const factor = UNITS[text(name, unit)];
  if (factor === undefined) return badArgument(name, 'second, millisecond, microsecond or nanosecond', unit);
  return factor;
}

/** Now in a unit, as an integer (microseconds and nanoseconds from performance.timeOrigin). */
function now(factor: number): number {
  if (factor <= 1e3) return Math.floor((Date.now() * factor) / 1e3);
  return Math.floor((performance.timeOrigin + performance.now()) * (factor / 1e3));
}

function localOffsetSeconds(epochMs = Date.now()): number {
  return -new Date(epochMs).getTimezoneOffset() * 60;
}

export function offsetSeconds(name: string, offset: Value): number {
  if (offset === undefined) return 0;
  if (typeof offset === 'number' && Number.isInteger(offset)) return offset;
  const source = text(name, offset);
  if (source === 'local') return localOffsetSeconds();
  if (source === 'Z' || source === 'z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})(?::(\d{2}))?$/.exec(source);
  if (match === null) return failure(name, `bad time offset ${JSON.stringify(source)} (expected Z, local, +HH:MM, +HHMM or seconds)`);
  const [, sign, hours, minutes, seconds] = match;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59) failure(name, `bad time offset ${JSON.stringify(source)}`);
  return (sign === '-' ? -1 : 1) * (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds ?? 0));
}

function two(value: number): string {
  return String(value).padStart(2, '0');
}

function offsetText(seconds: number, style: 'z' | ':z' | '::z'): string {
  const sign = seconds >= 0 ? '+' : '-';
  const absolute = Math.abs(seconds);
  const hours = two(Math.floor(absolute / 3600));
  const minutes = two(Math.floor((absolute % 3600) / 60));
  if (style === 'z') return `${sign}${hours}${minutes}`;
  if (style === ':z') return `${sign}${hours}:${minutes}`;
  return `${sign}${hours}:${minutes}:${two(absolute % 60)}`;
}

/** Splits an epoch in `factor` units into whole seconds and the fraction in nanoseconds. */
function split(epoch: number, factor: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(epoch / factor);
  const remainder = epoch - seconds * factor;
  return { seconds, nanos: Math.round(remainder * (1e9 / factor)) };
}

function fields(seconds: number) {
  const date = new Date(seconds * 1000);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours(), minute: date.getUTCMinutes(), second: date.getUTCSeconds() };
}

const TOKENS = /%(?:Y|m|d|H|M|S|N|3N|6N|z|:z|::z)/g;

export function formatDate(factor: number, offset: number, format: string, epoch: number): string {
  const { seconds, nanos } = split(epoch, factor);
  const at = fields(seconds + offset);
  return format.replace(TOKENS, (token) => {
    switch (token) {
      case '%Y':
        return String(at.year).padStart(4, '0');
      case '%m':
        return two(at.month);
      case '%d':
        return two(at.day);
      case '%H':
        return two(at.hour);
      case '%M':
        return two(at.minute);
      case '%S':
        return two(at.second);
      case '%N':
        return String(nanos).padStart(9, '0');
      case '%3N':
        return String(Math.floor(nanos / 1e6)).padStart(3, '0');
      case '%6N':
        return String(Math.floor(nanos / 1e3)).padStart(6, '0');
      case '%z':
        return offsetText(offset, 'z');
      case '%:z':
        return offsetText(offset, ':z');
      default:
        return offsetText(offset, '::z');
    }
  });
}

/** Parses `input` with the same directives; an offset in the input wins over `offset`. */
function parseDate(name: string, factor: number, format: string, input: string, offset: number): number {
  const parts: Record<string, number> = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0 };
  let parsedOffset: number | undefined;
  let position = 0;
  let cursor = 0;
  const take = (pattern: RegExp): string => {
    pattern.lastIndex = position;
    const match = pattern.exec(input);
    if (match === null) return failure(name, `${JSON.stringify(input)} does not match ${JSON.stringify(format)} at character ${position + 1}`);
    position = pattern.lastIndex;
    return match[0];
  };
  for (const match of format.matchAll(TOKENS)) {
    const literal = format.slice(cursor, match.index);
    if (input.slice(position, position + literal.length) !== literal) failure(name, `${JSON.stringify(input)} does not match ${JSON.stringify(format)} at character ${position + 1}`);
    position += literal.length;
    cursor = match.index + match[0].length;
    switch (match[0]) {
      case '%Y':
        parts['year'] = Number(take(/\d{4}/y));
        break;
      case '%m':
        parts['month'] = Number(take(/\d{1,2}/y));
        break;
      case '%d':
        parts['day'] = Number(take(/\d{1,2}/y));
        break;
      case '%H':
        parts['hour'] = Number(take(/\d{1,2}/y));
        break;
      case '%M':
        parts['minute'] = Number(take(/\d{1,2}/y));
        break;
      case '%S':
        parts['second'] = Number(take(/\d{1,2}/y));
        break;
      case '%N':
      case '%3N':
      case '%6N': {
        const digits = take(/\d+/y);
        parts['nanos'] = Number(digits.padEnd(9, '0').slice(0, 9));
        break;
      }
      default: {
        if (position >= input.length) break;
        const zone = take(/Z|z|[+-]\d{2}(:?\d{2})?(:\d{2})?/y);
        parsedOffset = offsetSeconds(name, zone);
      }
    }
  }
  if (input.slice(position) !== format.slice(cursor)) failure(name, `${JSON.stringify(input)} does not match ${JSON.stringify(format)}`);
  const seconds = Date.UTC(parts['year']!, parts['month']! - 1, parts['day']!, parts['hour']!, parts['minute']!, parts['second']!) / 1000 - (parsedOffset ?? offset);
  return seconds * factor + Math.floor((parts['nanos']! * factor) / 1e9);
}

/** RFC 3339 in the local time zone (as Erlang's calendar:system_time_to_rfc3339 writes it by default). */
function toRfc3339(epoch: number, factor: number): string {
  const { seconds, nanos } = split(epoch, factor);
  const offset = localOffsetSeconds(seconds * 1000);
  const digits = factor === 1 ? 0 : Math.round(Math.log10(factor));
  const fraction = digits === 0 ? '' : `.${String(Math.floor(nanos / 10 ** (9 - digits))).padStart(digits, '0')}`;
  const zone = offset === 0 ? 'Z' : offsetText(offset, ':z');
  return `${formatDate(1, offset, '%Y-%m-%dT%H:%M:%S', seconds)}${fraction}${zone}`;
}

function fromRfc3339(name: string, value: Value, factor: number): number {
  const source = text(name, value);
  const match = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/.exec(source);
  if (match === null) return failure(name, `not an RFC 3339 date and time: ${JSON.stringify(source)}`);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const seconds = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) / 1000 - offsetSeconds(name, zone);
  const nanos = fraction === undefined ? 0 : Number(fraction.padEnd(9, '0').slice(0, 9));
  if (factor === 1e9) return Number(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
  return seconds * factor + Math.floor((nanos * factor) / 1e9);
}

export const timeFunctions: FunctionTable = {
  now_timestamp: fn(0, 1, (unit?: Value) => now(unit === undefined ? 1 : unitFactor('now_timestamp', unit))),
  now_rfc3339: fn(0, 1, (unit?: Value) => {
    const factor = unit === undefined ? 1 : unitFactor('now_rfc3339', unit);
    return toRfc3339(now(factor), factor);
  }),
  unix_ts_to_rfc3339: fn(1, 2, (epoch: Value, unit?: Value) => toRfc3339(integer('unix_ts_to_rfc3339', epoch), unit === undefined ? 1 : unitFactor('unix_ts_to_rfc3339', unit))),
  rfc3339_to_unix_ts: fn(1, 2, (value: Value, unit?: Value) => fromRfc3339('rfc3339_to_unix_ts', value, unit === undefined ? 1 : unitFactor('rfc3339_to_unix_ts', unit))),
  format_date: fn(3, 4, (unit: Value, offset: Value, format: Value, epoch?: Value) => {
    const factor = unitFactor('format_date', unit);
    return formatDate(factor, offsetSeconds('format_date', offset), text('format_date', format), epoch === undefined ? now(factor) : integer('format_date', epoch));
  }),
  date_to_unix_ts: fn(3, 4, (...args: Value[]) => {
    const factor = unitFactor('date_to_unix_ts', args[0]);
    const [offset, format, input] = args.length === 3 ? [0, args[1], args[2]] : [offsetSeconds('date_to_unix_ts', args[1]), args[2], args[3]];
    return parseDate('date_to_unix_ts', factor, text('date_to_unix_ts', format), text('date_to_unix_ts', input), offset as number);
  }),
  timezone_to_offset_seconds: fn(1, 1, (offset: Value) => offsetSeconds('timezone_to_offset_seconds', offset)),
  timezone_to_second: fn(1, 1, (offset: Value) => offsetSeconds('timezone_to_second', offset)),
};

