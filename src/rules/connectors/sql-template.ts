// SQL statements with `${field}` placeholders, for the PostgreSQL and MySQL connectors: every
// placeholder becomes a bound parameter ($1 for PostgreSQL, ? for MySQL), never text spliced into the
// SQL, so an output cannot change the statement. Quotes written around a placeholder ('${x}') are
// dropped, since a parameter needs none. An `INSERT ... VALUES (...)` can take a batch as one
// multi-row statement.

import { isMap, jsonEncode, type Value, type ValueMap } from '../sql/values.js';
import { lookup } from '../template.js';
import { DefinitionError } from '../definitions.js';

export type ParameterStyle = 'numbered' | 'question';

export interface SqlTemplate {
  /** The statement for one row. */
  text: string;
  /** The output fields bound, in order. */
  parameters: ReadonlyArray<readonly string[]>;
  /** For INSERT ... VALUES (...): the parts around the row tuple, to write several rows at once. */
  rows: { before: string; tuple: string; after: string } | undefined;
  style: ParameterStyle;
}

const PLACEHOLDER = /(['"]?)\$\{([.]?[a-zA-Z0-9._]*)\}\1/g;
const VALUES = /^([\s\S]*?\bvalues\s*)(\([\s\S]*\))(\s*(?:on\s+(?:conflict|duplicate)[\s\S]*|returning[\s\S]*)?;?\s*)$/i;

export function parseSqlTemplate(sql: string, style: ParameterStyle, field = 'sql'): SqlTemplate {
  const parameters: string[][] = [];
  let tuple: string | undefined;
  const marker = '\u0000P\u0000';
  const marked = sql.replace(PLACEHOLDER, (_whole, _quote: string, name: string) => {
    const trimmed = name.startsWith('.') ? name.slice(1) : name;
    parameters.push(trimmed === '' ? [] : trimmed.split('.'));
    return marker;
  });
  if (parameters.length === 0 && !/\$\{/.test(sql)) {
    // A statement without placeholders is allowed (it writes the same row each time).
  } else if (/\$\{/.test(marked)) {
    throw new DefinitionError(field, 'a ${...} placeholder holds characters other than letters, digits, _ and .');
  }
  let index = 0;
  const number = (): string => (style === 'numbered' ? `$${++index}` : '?');
  const text = marked.replaceAll(marker, () => number());
  const match = VALUES.exec(marked);
  let rows: SqlTemplate['rows'];
  if (match !== null && /^INSERT\b/i.test(sql.trim())) {
    tuple = match[2]!;
    if (!marked.slice(0, match[1]!.length).includes(marker) && !match[3]!.includes(marker)) rows = { before: match[1]!, tuple, after: match[3]! };
  }
  return { text, parameters, rows, style };
}

/** The bound values of one output: JSON for maps and lists, null for missing fields. */
export function sqlParameters(template: SqlTemplate, output: ValueMap): unknown[] {
  return template.parameters.map((path) => sqlValue(lookup(path, output)));
}

function sqlValue(value: Value): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value) || isMap(value)) return jsonEncode(value);
  return value;
}

/** One statement writing every row of `batch` (each a parameter list), for an INSERT ... VALUES template. */
export function batchStatement(template: SqlTemplate, batch: readonly unknown[][]): { text: string; values: unknown[] } {
  const rows = template.rows;
  if (rows === undefined || batch.length === 1) return { text: template.text, values: batch[0] ?? [] };
  const marker = '\u0000P\u0000';
  let index = 0;
  const number = (): string => (template.style === 'numbered' ? `$${++index}` : '?');
  const tuples = batch.map(() => rows.tuple.replaceAll(marker, () => number()));
  return { text: `${rows.before}${tuples.join(', ')}${rows.after.replace(/;\s*$/, '')}`, values: batch.flat() };
}
