// Turns rule SQL into tokens, EMQX's way (emqx/rulesql sql_lex.xrl): 'single quotes' are strings,
// "double quotes" are names (FROM "t/#", payload."a b"), keywords are case-insensitive, `-- ...`
// comments run to the end of the line, `[1..4]` is one range token, and `div` is an operator.
// Every token keeps its line and column for error messages.

import { SqlSyntaxError, type SourcePosition } from './errors.js';

export const Keyword = {
  SELECT: 'SELECT',
  FOREACH: 'FOREACH',
  DO: 'DO',
  INCASE: 'INCASE',
  FROM: 'FROM',
  WHERE: 'WHERE',
  AS: 'AS',
  AND: 'AND',
  OR: 'OR',
  NOT: 'NOT',
  IN: 'IN',
  CASE: 'CASE',
  WHEN: 'WHEN',
  THEN: 'THEN',
  ELSE: 'ELSE',
  END: 'END',
} as const;
export type Keyword = (typeof Keyword)[keyof typeof Keyword];

const keywords = new Set<string>(Object.values(Keyword));

export type ComparisonOperator = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '=~';
export type Punctuation = '(' | ')' | '[' | ']' | ',' | '.' | '*' | '+' | '-' | '/' | 'div';

export type Token =
  | { kind: 'keyword'; value: Keyword; text: string; at: SourcePosition }
  /** A bare name (`payload`, `true`) or a double-quoted one (`"t/#"`); `quoted` tells which. */
  | { kind: 'name'; value: string; quoted: boolean; text: string; at: SourcePosition }
  | { kind: 'string'; value: string; text: string; at: SourcePosition }
  | { kind: 'integer'; value: number; text: string; at: SourcePosition }
  | { kind: 'float'; value: number; text: string; at: SourcePosition }
  | { kind: 'range'; begin: number; end: number; text: string; at: SourcePosition }
  | { kind: 'comparison'; value: ComparisonOperator; text: string; at: SourcePosition }
  | { kind: 'punctuation'; value: Punctuation; text: string; at: SourcePosition }
  | { kind: 'end'; text: ''; at: SourcePosition };

const RANGE = /\[\s*([-+]?\d+)\s*\.\.\s*([-+]?\d+)\s*\]/y;
const NUMBER = /\d+(\.\d+)?([eE][-+]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_$@~]*/y;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;
  const position = (at: number): SourcePosition => ({ line, column: at - lineStart + 1 });

  while (offset < sql.length) {
    const char = sql[offset]!;
    if (char === '\n') {
      offset++;
      line++;
      lineStart = offset;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      offset++;
      continue;
    }
    if (char === '-' && sql[offset + 1] === '-') {
      while (offset < sql.length && sql[offset] !== '\n') offset++;
      continue;
    }
    const at = position(offset);
    if (char === "'" || char === '"') {
      const { value, next, newlines, lastNewline } = readQuoted(sql, offset, char, at);
      const text = sql.slice(offset, next);
      tokens.push(char === "'" ? { kind: 'string', value, text, at } : { kind: 'name', value, quoted: true, text, at });
      if (newlines > 0) {
        line += newlines;
        lineStart = lastNewline + 1;
      }
      offset = next;
      continue;
    }
    if (char === '[') {
      RANGE.lastIndex = offset;
      const range = RANGE.exec(sql);
      if (range !== null) {
        tokens.push({ kind: 'range', begin: Number(range[1]), end: Number(range[2]), text: range[0], at });
        offset = RANGE.lastIndex;
        continue;
      }
    }
    if (char >= '0' && char <= '9') {
      NUMBER.lastIndex = offset;
      const match = NUMBER.exec(sql)!;
      const text = match[0];
      const isFloat = match[1] !== undefined || match[2] !== undefined;
      tokens.push(isFloat ? { kind: 'float', value: Number(text), text, at } : { kind: 'integer', value: Number(text), text, at });
      offset = NUMBER.lastIndex;
      continue;
    }
    if (/[A-Za-z_]/.test(char)) {
      NAME.lastIndex = offset;
      const text = NAME.exec(sql)![0];
      offset = NAME.lastIndex;
      const upper = text.toUpperCase();
      if (text === 'div') tokens.push({ kind: 'punctuation', value: 'div', text, at });
      else if (keywords.has(upper)) tokens.push({ kind: 'keyword', value: upper as Keyword, text, at });
      else tokens.push({ kind: 'name', value: text, quoted: false, text, at });
      continue;
    }
    const two = sql.slice(offset, offset + 2);
    if (two === '=~' || two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'comparison', value: two, text: two, at });
      offset += 2;
      continue;
    }
    if (char === '=' || char === '<' || char === '>') {
      tokens.push({ kind: 'comparison', value: char, text: char, at });
      offset++;
      continue;
    }
    if ('()[],.*+-/'.includes(char)) {
      tokens.push({ kind: 'punctuation', value: char as Punctuation, text: char, at });
      offset++;
      continue;
    }
    throw new SqlSyntaxError(at, [], `'${char}'`, `unexpected character '${char}'`);
  }
  tokens.push({ kind: 'end', text: '', at: position(offset) });
  return tokens;
}

/** A quoted string or name; the quote character doubled inside stands for itself ('it''s'). */
function readQuoted(sql: string, start: number, quote: string, at: SourcePosition): { value: string; next: number; newlines: number; lastNewline: number } {
  let value = '';
  let offset = start + 1;
  let newlines = 0;
  let lastNewline = -1;
  for (;;) {
    const end = sql.indexOf(quote, offset);
    if (end === -1) throw new SqlSyntaxError(at, [`a closing ${quote}`], 'end of input', `unterminated ${quote === "'" ? 'string' : 'quoted name'}: no closing ${quote}`);
    const piece = sql.slice(offset, end);
    for (let index = piece.indexOf('\n'); index !== -1; index = piece.indexOf('\n', index + 1)) {
      newlines++;
      lastNewline = offset + index;
    }
    value += piece;
    if (sql[end + 1] === quote) {
      value += quote;
      offset = end + 2;
      continue;
    }
    return { value, next: end + 1, newlines, lastNewline };
  }
}

export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'end of input';
    case 'keyword':
      return token.value;
    case 'string':
      return `string ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}
