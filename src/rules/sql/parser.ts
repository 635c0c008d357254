// A hand-written recursive-descent parser for EMQX's rule SQL: SELECT or FOREACH (with DO and
// INCASE), FROM one or more topic filters or event topics, an optional WHERE. Precedence, loosest
// first, as in emqx/rulesql: OR, AND, NOT, comparisons and IN, + -, * / div, unary + -. A syntax
// error names the line, the column, what was found and what would have fitted there.

import { SqlSyntaxError, type SourcePosition } from './errors.js';
import { describeToken, tokenize, type Keyword, type Punctuation, type Token } from './lexer.js';
import type { AliasNode, ExpressionNode, FieldNode, PathNode, PathStep, Statement, VarNode } from './ast.js';

export function parseSql(sql: string): Statement {
  if (sql.trim() === '') throw new SqlSyntaxError({ line: 1, column: 1 }, ['SELECT', 'FOREACH'], 'end of input', 'the SQL is empty: expected SELECT or FOREACH');
  return new Parser(tokenize(sql)).statement();
}

/** Parses one expression on its own (tests, templates). */
export function parseExpression(text: string): ExpressionNode {
  const parser = new Parser(tokenize(text));
  const expression = parser.expression();
  parser.expectEnd();
  return expression;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  statement(): Statement {
    const first = this.peek();
    if (this.acceptKeyword('SELECT')) {
      const fields = this.fields('SELECT');
      const from = this.from();
      const where = this.acceptKeyword('WHERE') ? this.expression() : undefined;
      this.expectEnd(where === undefined ? ['WHERE', "','"] : []);
      return { kind: 'select', fields, from, where };
    }
    if (this.acceptKeyword('FOREACH')) {
      const fields = this.fields('FOREACH');
      const doFields = this.acceptKeyword('DO') ? this.fields('DO') : [];
      const incase = this.acceptKeyword('INCASE') ? this.expression() : undefined;
      const from = this.from();
      const where = this.acceptKeyword('WHERE') ? this.expression() : undefined;
      this.expectEnd(where === undefined ? ['WHERE', "','"] : []);
      return { kind: 'foreach', fields, doFields, incase, from, where };
    }
    throw this.error(['SELECT', 'FOREACH'], first);
  }

  private fields(clause: string): FieldNode[] {
    const fields: FieldNode[] = [this.field(clause)];
    while (this.acceptPunctuation(',')) fields.push(this.field(clause));
    return fields;
  }

  private field(clause: string): FieldNode {
    const token = this.peek();
    if (this.acceptPunctuation('*')) return { kind: 'all', at: token.at };
    if (token.kind === 'keyword' && token.value === 'FROM') {
      throw new SqlSyntaxError(token.at, ['a field'], 'FROM', `expected a field after ${clause}, found FROM`);
    }
    const expression = this.expression();
    let alias: AliasNode | undefined;
    if (this.acceptKeyword('AS')) alias = this.alias();
    else if (this.peek().kind === 'name') alias = this.alias();
    return { kind: 'field', expression, alias, at: token.at };
  }

  private alias(): AliasNode {
    const token = this.peek();
    if (token.kind !== 'name') throw this.error(['a name (the alias)'], token);
    this.index++;
    return this.pathAfterName(token.value, token.at, false);
  }

  private from(): string[] {
    const token = this.peek();
    if (!this.acceptKeyword('FROM')) throw this.error(["','", 'FROM'], token);
    const sources = [this.source()];
    while (this.acceptPunctuation(',')) sources.push(this.source());
    return sources;
  }

  private source(): string {
    const token = this.peek();
    if (token.kind === 'name' || token.kind === 'string') {
      this.index++;
      if (token.value === '') throw new SqlSyntaxError(token.at, ['a topic filter'], describeToken(token), 'an empty topic filter in FROM');
      return token.value;
    }
    throw this.error(['a topic filter or event in quotes, e.g. "t/#" or "$events/client_connected"'], token);
  }

  // --- expressions, loosest binding first -------------------------------------------------------

  expression(): ExpressionNode {
    let left = this.conjunction();
    for (let token = this.peek(); this.acceptKeyword('OR'); token = this.peek()) {
      left = { kind: 'or', left, right: this.conjunction(), at: token.at };
    }
    return left;
  }

  private conjunction(): ExpressionNode {
    let left = this.negation();
    for (let token = this.peek(); this.acceptKeyword('AND'); token = this.peek()) {
      left = { kind: 'and', left, right: this.negation(), at: token.at };
    }
    return left;
  }

  private negation(): ExpressionNode {
    const token = this.peek();
    if (this.acceptKeyword('NOT')) return { kind: 'not', operand: this.negation(), at: token.at };
    return this.predicate();
  }

  private predicate(): ExpressionNode {
    const left = this.additive();
    const token = this.peek();
    if (token.kind === 'comparison') {
      this.index++;
      return { kind: 'compare', operator: token.value, left, right: this.additive(), at: token.at };
    }
    if (this.acceptKeyword('IN')) return { kind: 'in', value: left, list: this.parenthesisedList(), at: token.at };
    if (this.isKeyword(token, 'NOT') && this.isKeyword(this.peek(1), 'IN')) {
      this.index += 2;
      return { kind: 'not', operand: { kind: 'in', value: left, list: this.parenthesisedList(), at: token.at }, at: token.at };
    }
    return left;
  }

  private parenthesisedList(): ExpressionNode[] {
    this.expectPunctuation('(');
    const items = [this.expression()];
    while (this.acceptPunctuation(',')) items.push(this.expression());
    this.expectPunctuation(')', ["','", "')'"]);
    return items;
  }

  private additive(): ExpressionNode {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punctuation' || (token.value !== '+' && token.value !== '-')) return left;
      this.index++;
      left = { kind: 'arithmetic', operator: token.value, left, right: this.multiplicative(), at: token.at };
    }
  }

  private multiplicative(): ExpressionNode {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punctuation' || (token.value !== '*' && token.value !== '/' && token.value !== 'div')) return left;
      this.index++;
      left = { kind: 'arithmetic', operator: token.value, left, right: this.unary(), at: token.at };
    }
  }

  private unary(): ExpressionNode {
    const token = this.peek();
    if (this.acceptPunctuation('-')) return { kind: 'negate', operand: this.unary(), at: token.at };
    if (this.acceptPunctuation('+')) return { kind: 'plus', operand: this.unary(), at: token.at };
    return this.primary();
  }

  private primary(): ExpressionNode {
    const token = this.peek();
    switch (token.kind) {
      case 'integer':
      case 'float':
      case 'string':
        this.index++;
        return { kind: 'const', value: token.value, at: token.at };
      case 'range':
        this.index++;
        return { kind: 'range', begin: token.begin, end: token.end, at: token.at };
      case 'keyword':
        if (token.value === 'CASE') {
          this.index++;
          return this.caseExpression(token.at);
        }
        break;
      case 'punctuation':
        if (token.value === '(') {
          this.index++;
          const inner = this.expression();
          this.expectPunctuation(')');
          return inner;
        }
        if (token.value === '[') {
          this.index++;
          return this.listLiteral(token.at);
        }
        break;
      case 'name': {
        this.index++;
        if (!token.quoted && (token.value === 'true' || token.value === 'false')) return { kind: 'const', value: token.value === 'true', at: token.at };
        const reference = this.pathAfterName(token.value, token.at, true);
        const next = this.peek();
        if (this.acceptPunctuation('(')) return this.call(reference, token.at);
        if (next.kind === 'range') {
          this.index++;
          return { kind: 'getRange', begin: next.begin, end: next.end, target: reference, at: next.at };
        }
        return reference;
      }
      default:
        break;
    }
    throw this.error(['an expression'], token);
  }

  private caseExpression(at: SourcePosition): ExpressionNode {
    const subject = this.isKeyword(this.peek(), 'WHEN') ? undefined : this.expression();
    const branches: Array<{ when: ExpressionNode; then: ExpressionNode }> = [];
    while (this.acceptKeyword('WHEN')) {
      const when = this.expression();
      this.expectKeyword('THEN');
      branches.push({ when, then: this.expression() });
    }
    if (branches.length === 0) throw this.error(['WHEN'], this.peek());
    const otherwise = this.acceptKeyword('ELSE') ? this.expression() : undefined;
    this.expectKeyword('END', otherwise === undefined ? ['WHEN', 'ELSE', 'END'] : ['END']);
    return { kind: 'case', subject, branches, otherwise, at };
  }

  private listLiteral(at: SourcePosition): ExpressionNode {
    const items: ExpressionNode[] = [];
    if (!this.acceptPunctuation(']')) {
      items.push(this.expression());
      while (this.acceptPunctuation(',')) items.push(this.expression());
      this.expectPunctuation(']', ["','", "']'"]);
    }
    return { kind: 'list', items, at };
  }

  private call(reference: VarNode | PathNode, at: SourcePosition): ExpressionNode {
    let name: string;
    if (reference.kind === 'var') name = reference.name;
    else if (reference.steps.length === 2 && reference.steps.every((step) => step.kind === 'key')) {
      name = reference.steps.map((step) => (step as { key: string }).key).join('.');
    } else {
      throw new SqlSyntaxError(at, ['a function name'], 'a path', 'a function name is a name, or module.name');
    }
    const args: ExpressionNode[] = [];
    if (!this.acceptPunctuation(')')) {
      args.push(this.expression());
      while (this.acceptPunctuation(',')) args.push(this.expression());
      this.expectPunctuation(')', ["','", "')'"]);
    }
    return { kind: 'call', name, args, at };
  }

  /** `name`, then `.key`, `.'key'`, `.1`, `[1]`, `[-1]`, `[var]` steps. `reading`: `[0]` and `[-0]` mean head and tail only when assigning. */
  private pathAfterName(name: string, at: SourcePosition, reading: boolean): VarNode | PathNode {
    const steps: PathStep[] = [{ kind: 'key', key: name }];
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punctuation') break;
      if (token.value === '.') {
        this.index++;
        const key = this.peek();
        if (key.kind === 'name' || key.kind === 'string' || key.kind === 'integer') {
          this.index++;
          steps.push({ kind: 'key', key: String(key.value) });
        } else if (key.kind === 'float') {
          this.index++;
          for (const part of key.text.split('.')) steps.push({ kind: 'key', key: part });
        } else if (key.kind === 'keyword') {
          this.index++;
          steps.push({ kind: 'key', key: key.text });
        } else {
          throw this.error(['a key after .'], key);
        }
        continue;
      }
      if (token.value === '[') {
        this.index++;
        steps.push(this.indexStep(reading));
        this.expectPunctuation(']');
        continue;
      }
      break;
    }
    if (steps.length === 1) return { kind: 'var', name, at };
    return { kind: 'path', steps, at };
  }

  private indexStep(reading: boolean): PathStep {
    let sign = 1;
    let signed = false;
    if (this.acceptPunctuation('-')) {
      sign = -1;
      signed = true;
    } else if (this.acceptPunctuation('+')) signed = true;
    const token = this.peek();
    if (token.kind === 'integer') {
      this.index++;
      if (token.value === 0) return { kind: 'index', index: reading ? 0 : sign < 0 ? 'tail' : 'head' };
      return { kind: 'index', index: sign * token.value };
    }
    if (!signed && token.kind === 'name') {
      this.index++;
      const reference = this.pathAfterName(token.value, token.at, true);
      return { kind: 'indexBy', index: reference };
    }
    throw this.error(['an index (an integer or a name)'], token);
  }

  // --- tokens -----------------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!;
  }

  private isKeyword(token: Token, keyword: Keyword): boolean {
    return token.kind === 'keyword' && token.value === keyword;
  }

  private acceptKeyword(keyword: Keyword): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: Keyword, expected: string[] = [keyword]): void {
    if (!this.acceptKeyword(keyword)) throw this.error(expected, this.peek());
  }

  private acceptPunctuation(value: Punctuation): boolean {
    const token = this.peek();
    if (token.kind !== 'punctuation' || token.value !== value) return false;
    this.index++;
    return true;
  }

  private expectPunctuation(value: Punctuation, expected: string[] = [`'${value}'`]): void {
    if (!this.acceptPunctuation(value)) throw this.error(expected, this.peek());
  }

  expectEnd(alternatives: string[] = []): void {
    const token = this.peek();
    if (token.kind !== 'end') throw this.error([...alternatives, 'end of input'], token);
  }

  private error(expected: string[], token: Token): SqlSyntaxError {
    return new SqlSyntaxError(token.at, expected, describeToken(token));
  }
}
