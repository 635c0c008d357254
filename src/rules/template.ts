// `${field}` templates, as EMQX renders them (emqx_template, emqx_jsonish): `${payload.temp}` reads
// a nested field of the rule's output (a JSON string on the way is decoded once), `${.}` is the whole
// output as JSON, `${$}` a literal `$`. A missing field renders as `undefined`; maps and lists as JSON.

import { Buffer } from 'node:buffer';

import { getKey, isBinary, jsonDecode, toText, type Value } from './sql/values.js';

const PLACEHOLDER = /\$\{([.]?[a-zA-Z0-9._]*)\}|\$\{\$\}/g;

export type TemplatePart = string | { path: readonly string[]; text: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** `${x}` and nothing else: the value can be used as it is, not only as text. */
  readonly single: { path: readonly string[] } | undefined;
}

export function parseTemplate(source: string): Template {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of source.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(source.slice(last, match.index));
    if (match[0] === '${$}') parts.push('$');
    else parts.push({ path: accessor(match[1]!), text: match[0] });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const merged = mergeLiterals(parts);
  const only = merged.length === 1 && typeof merged[0] !== 'string' ? merged[0] : undefined;
  return { source, parts: merged, single: only === undefined ? undefined : { path: only.path } };
}

function mergeLiterals(parts: TemplatePart[]): TemplatePart[] {
  const out: TemplatePart[] = [];
  for (const part of parts) {
    const previous = out[out.length - 1];
    if (typeof part === 'string' && typeof previous === 'string') out[out.length - 1] = previous + part;
    else out.push(part);
  }
  return out;
}

function accessor(name: string): string[] {
  const trimmed = name.startsWith('.') ? name.slice(1) : name;
  return trimmed === '' ? [] : trimmed.split('.');
}

/** The value at a template path; a JSON string met on the way is decoded (only once, as EMQX does). */
export function lookup(path: readonly string[], data: Value): Value {
  let value = data;
  let decoded = false;
  for (const key of path) {
    if (isBinary(value) && !decoded) {
      try {
        value = jsonDecode(value);
      } catch {
        return undefined;
      }
      decoded = true;
    }
    value = getKey(value, key);
    if (value === undefined) return undefined;
  }
  return value;
}

/** The template as text. */
export function render(template: Template, data: Value): string | Buffer {
  if (template.parts.length === 1 && template.single !== undefined) return toText(lookup(template.single.path, data));
  let text = '';
  let bytes: Buffer[] | undefined;
  for (const part of template.parts) {
    const piece = typeof part === 'string' ? part : toText(lookup(part.path, data));
    if (bytes !== undefined) bytes.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
    else if (typeof piece === 'string') text += piece;
    else bytes = [Buffer.from(text), piece];
  }
  return bytes === undefined ? text : Buffer.concat(bytes);
}

export function renderString(template: Template, data: Value): string {
  const rendered = render(template, data);
  return typeof rendered === 'string' ? rendered : rendered.toString('utf8');
}

/** A `${x}` template gives x's value; a constant template its text; anything else the rendered text. */
export function renderValue(template: Template, data: Value): Value {
  if (template.single !== undefined) return lookup(template.single.path, data);
  return render(template, data);
}

export function placeholders(template: Template): string[] {
  return template.parts.filter((part): part is Exclude<TemplatePart, string> => typeof part !== 'string').map((part) => part.path.join('.'));
}
