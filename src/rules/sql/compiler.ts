// Compiles a parsed rule statement into one JavaScript function, built once when the rule is created:
// per message the rule then runs straight-line code, with no walk over the tree. The generated source
// only ever contains names this compiler makes (sel, c, t0...), JSON-quoted strings and numbers
// written by the compiler; everything else (functions, constant lists, the rule's metadata) is passed
// in as arguments of the factory, so nothing in the SQL can become code.
//
// Names resolve as EMQX resolves them (emqx_rule_runtime): while SELECT runs, a name is looked up in
// what has been selected so far, then in the input's columns; WHERE sees the selected fields over the
// columns; a FOREACH item is found by its alias (default `item`). Which lookups can find a selected
// field is known here (aliases are fixed names), so most names compile to one property read.

import { SqlSyntaxError } from './errors.js';
import type { AliasNode, CallNode, ExpressionNode, FieldNode, PathNode, PathStep, Statement, VarNode } from './ast.js';
import type { EvaluationScope } from './scope.js';
import * as values from './values.js';
import type { FunctionTable } from '../functions/registry.js';
import { newMap } from '../functions/registry.js';
import { unsupportedFunctions } from '../functions/index.js';
import { evaluationHelpers } from './helpers.js';
import { isPlainKey } from './json-fields.js';
import { PayloadFields } from './payload-fields.js';

export type RuleOutput = values.ValueMap | values.ValueMap[];

/** Runs the rule on one input: the selected map (SELECT), the list of outputs (FOREACH), or undefined when WHERE rejects it. */
export type CompiledStatement = (scope: EvaluationScope) => RuleOutput | undefined;

export interface CompileOptions {
  /** For the `metadata` column ({rule_id}). */
  ruleId: string;
  functions: FunctionTable;
}

/** Where names are looked up while an expression runs. */
interface Lookup {
  /** Roots (first keys) that the map being selected may hold; 'all' after `*`. */
  selected: ReadonlySet<string> | 'all';
  /** How selected fields are consulted: while SELECT runs (undefined falls through to the columns) or afterwards (merged over the columns). */
  mode: 'building' | 'merged';
  /** FOREACH: the item's name, read from variable `item`. */
  itemKey?: string;
  /** FOREACH ... DO: roots assigned so far by DO (consulted first). */
  doSelected?: ReadonlySet<string> | 'all';
}

export interface CompiledStatementCode {
  evaluate: CompiledStatement;
  source: string;
  /**
   * The top-level payload keys the rule reads, when it reads the payload only by such keys
   * (`payload.temp`, `payload.a.b[1]`): it then asks the scope for them (s.payloadFields()) rather
   * than for the whole decoded payload. Empty when it reads no payload field or needs all of it.
   */
  payloadKeys: string[];
  /** The condition this rule's WHERE starts with, when rules may share its answer (sharedConditionOf). */
  sharedCondition?: SharedCondition;
}

export interface SharedCondition {
  /** The same for two rules exactly when their conditions are the same expression. */
  key: string;
  /** True or false for an input, or throws as the rule would. */
  test: (scope: EvaluationScope) => boolean;
}

export function compileStatement(statement: Statement, options: CompileOptions): CompiledStatementCode {
  let generator = new Generator(options, true);
  let body = generate(generator, statement);
  // A rule that also needs the whole decoded payload takes every field from that one decode.
  if (generator.readsWholePayload && generator.payloadKeys.size > 0) body = generate((generator = new Generator(options, false)), statement);
  const { evaluate, source } = buildFunction(generator, body, options);
  const payloadKeys = [...generator.payloadKeys];
  const shared = sharedConditionOf(statement, options, generator.byKeys);
  return { evaluate: evaluate as CompiledStatement, source, payloadKeys, ...(shared === undefined ? {} : { sharedCondition: shared }) };
}

/** The function a generator's code runs in: the input's columns in `c`, its temporaries, the rule's metadata and own payload keys. */
function buildFunction(generator: Generator, body: string, options: CompileOptions): { evaluate: (scope: EvaluationScope) => unknown; source: string } {
  const temps = generator.temps > 0 ? `let ${Array.from({ length: generator.temps }, (_, index) => `t${index}`).join(', ')};\n` : '';
  const payload = generator.usesDecodedPayload ? 'let pv, pd = false;\n' : '';
  const fields = generator.payloadKeys.size > 0 ? 'let fv, fd = false;\n' : '';
  const source = `"use strict";\nreturn function rule(s) {\nconst c = s.columns;\n${temps}${payload}${fields}${body}};`;
  const factory = new Function('h', 'f', 'k', 'M', 'P', source) as (
    helpers: typeof evaluationHelpers,
    functions: Record<string, (...args: never[]) => values.Value>,
    constants: readonly values.Value[],
    metadata: values.ValueMap,
    payloadFields: PayloadFields | undefined,
  ) => (scope: EvaluationScope) => unknown;
  const metadata = Object.freeze(Object.assign(newMap(), { rule_id: options.ruleId }));
  // The rule's own keys, for a scope that has no key set (events, rule tests).
  const ownFields = generator.payloadKeys.size > 0 ? new PayloadFields([...generator.payloadKeys]) : undefined;
  return { evaluate: factory(evaluationHelpers, generator.functionTable, generator.constants, metadata, ownFields), source };
}

/**
 * The condition a rule's WHERE starts with, when rules that start with the same one can share its
 * answer on an input: WHERE runs before SELECT (whereFirst) and its first conjunct (the leftmost
 * `x` of `x AND ...`) compares input fields and constants only (no function call, no `metadata`,
 * which names the rule). Then its answer, or its error, is the same for every such rule, and a rule
 * whose condition is false (or fails) ends exactly as it would have, without running.
 */
function sharedConditionOf(statement: Statement, options: CompileOptions, byKeys: boolean): SharedCondition | undefined {
  if (statement.kind !== 'select' || statement.where === undefined || !whereFirst(statement, options.functions)) return undefined;
  let first = statement.where;
  while (first.kind === 'and') first = first.left;
  if (first.kind !== 'compare' || !readsInputOnly(first.left) || !readsInputOnly(first.right)) return undefined;
  const generator = new Generator(options, byKeys);
  const body = `return ${generator.expression(first, { selected: new Set(), mode: 'merged' })};\n`;
  const { evaluate } = buildFunction(generator, body, options);
  return { key: JSON.stringify(first, (name: string, value: unknown) => (name === 'at' ? undefined : value)), test: evaluate as (scope: EvaluationScope) => boolean };
}

/** A constant, or a name or path of the input read with fixed steps. */
function readsInputOnly(node: ExpressionNode): boolean {
  if (node.kind === 'const') return true;
  if (node.kind === 'var') return node.name !== 'metadata';
  if (node.kind !== 'path') return false;
  return (node.steps[0] as { key: string }).key !== 'metadata' && node.steps.every((step) => step.kind !== 'indexBy');
}

function generate(generator: Generator, statement: Statement): string {
  return statement.kind === 'select' ? generator.select(statement) : generator.foreach(statement);
}

/** The key an unaliased field is selected under (EMQX's alias/2): a name or path as written, a string constant as itself. */
export function implicitAlias(expression: ExpressionNode, position: number): AliasNode | string {
  switch (expression.kind) {
    case 'var':
    case 'path':
      return expression;
    case 'const':
      return typeof expression.value === 'string' ? { kind: 'var', name: expression.value, at: expression.at } : `_v_const_${position}`;
    case 'getRange':
      return expression.target;
    case 'call':
      return `_v_fun_${expression.name}_${position}`;
    default:
      return `_v_${expression.kind}_${position}`;
  }
}

/**
 * Whether WHERE can run before SELECT: it reads no name the SELECT defines, and the SELECT calls no
 * function with a side effect (kv_store_put). The outputs are the same as EMQX's order gives; an input
 * that WHERE rejects then skips the SELECT, so a SELECT that would have failed on it is not counted as
 * failed.exception but as failed.no_result. Most rules (a WHERE on payload fields) pay only the WHERE
 * for the inputs they reject.
 */
export function whereFirst(statement: Statement, functions: FunctionTable): boolean {
  if (statement.kind !== 'select' || statement.where === undefined) return false;
  const read = new Set<string>();
  collectNames(statement.where, read);
  for (const [position, field] of statement.fields.entries()) {
    if (field.kind === 'all') continue;
    const root = field.alias === undefined ? rootOfImplicit(field.expression, position) : rootOf(field.alias);
    if (read.has(root)) return false;
    if (callsWithSideEffects(field.expression, functions)) return false;
  }
  return true;
}

/** The roots of every name and path an expression reads. */
export function collectNames(node: ExpressionNode, into: Set<string>): void {
  visit(node, (each) => {
    if (each.kind === 'var') into.add(each.name);
    else if (each.kind === 'path') into.add((each.steps[0] as { key: string }).key);
  });
}

function callsWithSideEffects(node: ExpressionNode, functions: FunctionTable): boolean {
  let found = false;
  visit(node, (each) => {
    if (each.kind === 'call' && functions[functionName(each)]?.sideEffects === true) found = true;
  });
  return found;
}

/** Calls `see` on the node and every node below it. */
function visit(node: ExpressionNode, see: (node: ExpressionNode) => void): void {
  see(node);
  switch (node.kind) {
    case 'path':
      for (const step of node.steps) if (step.kind === 'indexBy') visit(step.index, see);
      return;
    case 'getRange':
      visit(node.target, see);
      return;
    case 'list':
      for (const item of node.items) visit(item, see);
      return;
    case 'negate':
    case 'plus':
    case 'not':
      visit(node.operand, see);
      return;
    case 'arithmetic':
    case 'compare':
    case 'and':
    case 'or':
      visit(node.left, see);
      visit(node.right, see);
      return;
    case 'in':
      visit(node.value, see);
      for (const item of node.list) visit(item, see);
      return;
    case 'case':
      if (node.subject !== undefined) visit(node.subject, see);
      for (const branch of node.branches) {
        visit(branch.when, see);
        visit(branch.then, see);
      }
      if (node.otherwise !== undefined) visit(node.otherwise, see);
      return;
    case 'call':
      for (const arg of node.args) visit(arg, see);
      return;
    default:
      return;
  }
}

/** The alias a FOREACH collection's items are named by (`item` unless the last field has `AS name`). */
export function collectionKey(field: FieldNode | undefined): string {
  if (field === undefined || field.kind !== 'field' || field.alias === undefined) return 'item';
  return field.alias.kind === 'var' ? field.alias.name : rootOf(field.alias);
}

export function rootOf(alias: AliasNode): string {
  return alias.kind === 'var' ? alias.name : (alias.steps[0] as { key: string }).key;
}

class Generator {
  temps = 0;
  /** Whether the function needs the `pv`/`pd` locals of the decoded payload. */
  usesDecodedPayload = false;
  /** Whether something reads the payload column decoded whole (not only by top-level keys). */
  readsWholePayload = false;
  /** Top-level keys read from the payload column through s.payloadFields() (locals `fv`/`fd`). */
  readonly payloadKeys = new Set<string>();
  readonly constants: values.Value[] = [];
  readonly functionTable: Record<string, (...args: never[]) => values.Value> = Object.create(null) as Record<string, never>;
  private readonly contextualNames = new Set<string>();

  constructor(
    private readonly options: CompileOptions,
    /** Whether `payload.<plain key>...` reads may use s.payloadFields(). */
    readonly byKeys: boolean,
  ) {}

  select(statement: Extract<Statement, { kind: 'select' }>): string {
    let code = '';
    const early = whereFirst(statement, this.options.functions);
    if (early && statement.where !== undefined) code += `if (!${this.condition(statement.where, { selected: new Set(), mode: 'merged' }, 'WHERE')}) return undefined;\n`;
    code += 'let sel = h.map();\n';
    const selected = new Set<string>();
    let all = false;
    statement.fields.forEach((field, position) => {
      if (field.kind === 'all') {
        code += 'sel = h.mergeColumns(sel, s, M);\n';
        all = true;
        return;
      }
      const lookup: Lookup = { selected: all ? 'all' : selected, mode: 'building' };
      const value = this.expression(field.expression, lookup);
      code += this.assign('sel', field.alias ?? implicitAlias(field.expression, position), value, lookup);
      selected.add(field.alias === undefined ? rootOfImplicit(field.expression, position) : rootOf(field.alias));
    });
    if (statement.where !== undefined && !early) {
      const lookup: Lookup = { selected: all ? 'all' : selected, mode: 'merged' };
      code += `if (!${this.condition(statement.where, lookup, 'WHERE')}) return undefined;\n`;
    }
    return `${code}return sel;\n`;
  }

  foreach(statement: Extract<Statement, { kind: 'foreach' }>): string {
    let code = 'let sel = h.map();\nlet collection;\n';
    const selected = new Set<string>();
    let all = false;
    const lastIndex = statement.fields.length - 1;
    statement.fields.forEach((field, position) => {
      if (field.kind === 'all') {
        code += 'sel = h.mergeColumns(sel, s, M);\n';
        all = true;
        if (position === lastIndex) code += 'collection = [];\n';
        return;
      }
      const lookup: Lookup = { selected: all ? 'all' : selected, mode: 'building' };
      const value = this.expression(field.expression, lookup);
      const temp = this.temp();
      code += `${temp} = ${value};\n`;
      code += this.assign('sel', field.alias ?? implicitAlias(field.expression, position), temp, lookup);
      selected.add(field.alias === undefined ? rootOfImplicit(field.expression, position) : rootOf(field.alias));
      if (position === lastIndex) {
        const decodes = field.expression.kind === 'var' && field.expression.name === 'payload';
        if (decodes) this.readsWholePayload = true;
        code += `collection = h.ensureList(${decodes ? `s.decodePayload(${temp})` : temp});\n`;
      }
    });
    const merged: Lookup = { selected: all ? 'all' : selected, mode: 'merged' };
    if (statement.where !== undefined) {
      code += `if (!${this.condition(statement.where, merged, 'WHERE')}) return undefined;\n`;
    }
    const itemKey = collectionKey(statement.fields[lastIndex]);
    const itemLookup: Lookup = { ...merged, itemKey };
    code += 'const out = [];\nfor (let i = 0; i < collection.length; i++) {\nconst item = collection[i];\n';
    if (statement.incase !== undefined) {
      code += `if (!${this.condition(statement.incase, itemLookup, 'INCASE')}) continue;\n`;
    }
    if (statement.doFields.length === 0) {
      code += `out.push(h.mergeItem(s, M, sel, ${JSON.stringify(itemKey)}, item));\n`;
    } else {
      code += 'let each = h.map();\n';
      const doSelected = new Set<string>();
      let doAll = false;
      statement.doFields.forEach((field, position) => {
        if (field.kind === 'all') {
          code += `each = h.assignAll(each, h.mergeItem(s, M, sel, ${JSON.stringify(itemKey)}, item));\n`;
          doAll = true;
          return;
        }
        const lookup: Lookup = { ...itemLookup, doSelected: doAll ? 'all' : doSelected };
        code += this.assign('each', field.alias ?? implicitAlias(field.expression, position), this.expression(field.expression, lookup), lookup);
        doSelected.add(field.alias === undefined ? rootOfImplicit(field.expression, position) : rootOf(field.alias));
      });
      code += 'out.push(each);\n';
    }
    return `${code}}\nreturn out;\n`;
  }

  /** Puts a value into the map variable `target` under an alias (EMQX nested_put). */
  private assign(target: string, alias: AliasNode | string, value: string, lookup: Lookup): string {
    if (typeof alias === 'string') return `${target}[${JSON.stringify(alias)}] = ${value};\n`;
    if (alias.kind === 'var') return `${target}[${JSON.stringify(alias.name)}] = ${value};\n`;
    const root = JSON.stringify(rootOf(alias));
    const rest = alias.steps.slice(1);
    const steps = this.constant(rest.map((step) => this.staticStep(step)));
    const kinds = this.constant(rest.map((step) => (step.kind === 'key' ? 0 : 1)));
    const dynamic = rest.some((step) => step.kind === 'indexBy');
    // An index given by name is looked up in the map being assigned to, as EMQX's nested_put does.
    const stepsCode = dynamic ? `h.resolveSteps(k[${steps}], [${rest.map((step) => (step.kind === 'indexBy' ? this.readIn(target, step.index) : 'undefined')).join(', ')}])` : `k[${steps}]`;
    // A payload being assigned into is decoded first, as EMQX does (ensure_decoded_payload).
    const current = rootOf(alias) === 'payload' ? `h.decodedInPlace(s, ${target}[${root}])` : `${target}[${root}]`;
    // The value first, then the path and the container (EMQX evaluates before it puts).
    const temp = this.temp();
    return `${temp} = ${value};\n${target}[${root}] = h.putPath(${current}, ${stepsCode}, k[${kinds}], ${temp});\n`;
  }

  /** A name or path read in the map variable `target` only. */
  private readIn(target: string, node: VarNode | PathNode): string {
    if (node.kind === 'var') return `h.getKey(${target}, ${JSON.stringify(node.name)})`;
    let code = target;
    for (const step of node.steps) {
      if (step.kind === 'key') code = `h.getKey(${code}, ${JSON.stringify(step.key)})`;
      else if (step.kind === 'index') code = `h.getIndex(${code}, ${typeof step.index === 'number' ? step.index : 0})`;
      else code = `h.getIndex(${code}, ${this.readIn(target, step.index)})`;
    }
    return code;
  }

  private staticStep(step: PathStep): values.ResolvedStep {
    if (step.kind === 'key') return step.key;
    if (step.kind === 'index') return step.index;
    return 0;
  }

  private constant(value: values.Value): number {
    this.constants.push(value);
    return this.constants.length - 1;
  }

  private temp(): string {
    return `t${this.temps++}`;
  }

  expression(node: ExpressionNode, lookup: Lookup): string {
    switch (node.kind) {
      case 'const':
        return typeof node.value === 'string' ? JSON.stringify(node.value) : String(node.value);
      case 'var':
        return this.name(node.name, lookup);
      case 'path':
        return this.path(node, lookup);
      case 'range':
        return `h.rangeList(${node.begin}, ${node.end})`;
      case 'getRange':
        return `h.getRange(${this.expression(node.target, lookup)}, ${node.begin}, ${node.end})`;
      case 'list':
        return `[${node.items.map((item) => this.expression(item, lookup)).join(', ')}]`;
      case 'negate':
        return `h.negate(${this.expression(node.operand, lookup)})`;
      case 'plus':
        return this.expression(node.operand, lookup);
      case 'arithmetic':
        return node.operator === '+'
          ? `h.add(${this.expression(node.left, lookup)}, ${this.expression(node.right, lookup)})`
          : `h.arithmetic(${JSON.stringify(node.operator)}, ${this.expression(node.left, lookup)}, ${this.expression(node.right, lookup)})`;
      case 'compare':
        return this.comparison(node, lookup);
      case 'and':
        return `(${this.condition(node.left, lookup, 'AND')} ? ${this.condition(node.right, lookup, 'AND')} : false)`;
      case 'or':
        return `(${this.condition(node.left, lookup, 'OR')} ? true : ${this.condition(node.right, lookup, 'OR')})`;
      case 'not':
        return `h.not(${this.expression(node.operand, lookup)})`;
      case 'in': {
        const temp = this.temp();
        const tests = node.list.map((item) => `h.equals(${temp}, ${this.expression(item, lookup)})`);
        return `(${temp} = ${this.expression(node.value, lookup)}, ${tests.join(' || ')})`;
      }
      case 'case':
        return this.caseExpression(node, lookup);
      case 'call':
        return this.call(node, lookup);
    }
  }

  /** A value that must be true or false (WHERE, INCASE, AND, OR); nodes that always give a boolean need no check. */
  private condition(node: ExpressionNode, lookup: Lookup, clause: string): string {
    const code = this.expression(node, lookup);
    if (alwaysBoolean(node)) return code;
    return `h.condition(${code}, ${JSON.stringify(clause)})`;
  }

  /**
   * A comparison. Against a constant, the case where the other side has the constant's type is
   * compared inline, which is EMQX's answer for it: two numbers by value; two strings by their
   * characters, which for `=` and `<>` is equality and, when the constant is ASCII, for `<`... is
   * JavaScript's order too (code points and UTF-16 units order alike against ASCII). Anything else
   * (a numeric string against a number, undefined, binaries) goes through h.compare.
   */
  private comparison(node: Extract<ExpressionNode, { kind: 'compare' }>, lookup: Lookup): string {
    const operator = JSON.stringify(node.operator);
    const left = this.expression(node.left, lookup);
    const right = this.expression(node.right, lookup);
    const js = INLINE_OPERATORS[node.operator];
    if (js !== undefined && inlineType(node.right, node.operator) !== undefined) {
      const temp = this.temp();
      return `((${temp} = ${left}), typeof ${temp} === '${inlineType(node.right, node.operator)}' ? ${temp} ${js} ${right} : h.compare(${operator}, ${temp}, ${right}))`;
    }
    if (js !== undefined && inlineType(node.left, node.operator) !== undefined) {
      const temp = this.temp();
      return `((${temp} = ${right}), typeof ${temp} === '${inlineType(node.left, node.operator)}' ? ${left} ${js} ${temp} : h.compare(${operator}, ${left}, ${temp}))`;
    }
    return `h.compare(${operator}, ${left}, ${right})`;
  }

  private caseExpression(node: Extract<ExpressionNode, { kind: 'case' }>, lookup: Lookup): string {
    const otherwise = node.otherwise === undefined ? 'undefined' : this.expression(node.otherwise, lookup);
    if (node.subject === undefined) {
      const branches = node.branches.map((branch) => `h.isTrue(${this.expression(branch.when, lookup)}) ? ${this.expression(branch.then, lookup)} : `);
      return `(${branches.join('')}${otherwise})`;
    }
    const temp = this.temp();
    const branches = node.branches.map((branch) => `h.equals(${temp}, ${this.expression(branch.when, lookup)}) ? ${this.expression(branch.then, lookup)} : `);
    return `(${temp} = ${this.expression(node.subject, lookup)}, ${branches.join('')}${otherwise})`;
  }

  private call(node: CallNode, lookup: Lookup): string {
    const name = functionName(node);
    const definition = this.options.functions[name];
    if (definition === undefined) {
      const unsupported = unsupportedFunctions[name];
      const detail = unsupported === undefined ? `unknown function ${node.name}() (see the README's list of functions)` : `${name}() is not supported by Starling (${unsupported})`;
      throw new SqlSyntaxError(node.at, ['a built-in function'], `'${node.name}'`, detail);
    }
    const count = node.args.length;
    if (count < definition.min || count > definition.max) {
      const arity = definition.min === definition.max ? `${definition.min}` : definition.max === Infinity ? `${definition.min} or more` : `${definition.min} to ${definition.max}`;
      throw new SqlSyntaxError(node.at, [`${arity} arguments`], `${count}`, `${name}() takes ${arity} argument${arity === '1' ? '' : 's'}, got ${count}`);
    }
    this.functionTable[name] = definition.call;
    if (definition.contextual === true) this.contextualNames.add(name);
    const args = node.args.map((arg) => this.expression(arg, lookup));
    if (definition.contextual === true) args.unshift('s');
    return `f[${JSON.stringify(name)}](${args.join(', ')})`;
  }

  /**
   * A name or path, looked up in each place EMQX would look, in order: what DO selected so far, or
   * what SELECT selected so far, then the columns (with the selected fields and the FOREACH item
   * over them after SELECT). Like EMQX, the whole path is read in one place before trying the next,
   * so `payload.b` still finds the column when a selected `payload` has no `b`.
   */
  private reference(root: string, walk: (rootCode: string, fromFields: boolean) => string, lookup: Lookup, isPath: boolean, firstKey?: string): string {
    const key = JSON.stringify(root);
    const column = root === 'metadata' ? '(c.metadata ?? M)' : `c[${key}]`;
    const places: string[] = [];
    if (lookup.doSelected !== undefined && mayHold(lookup.doSelected, root)) places.push(`each[${key}]`);
    if (lookup.mode === 'building') {
      if (mayHold(lookup.selected, root)) places.push(`sel[${key}]`);
      places.push(column);
    } else if (lookup.itemKey === root) {
      places.push('item');
    } else {
      places.push(mayHold(lookup.selected, root) ? `(${key} in sel ? sel[${key}] : ${column})` : column);
    }
    // Only a path into the payload decodes it: `payload` alone is the raw payload. The columns' payload is
    // decoded once per evaluation (the scope caches it per message too); a path that starts with a plain
    // key reads the scope's payload fields, which hold that key as the whole decode would.
    const read = (place: string): string => {
      if (!isPath || root !== 'payload') return walk(place, false);
      if (place === column) {
        if (this.byKeys && firstKey !== undefined && isPlainKey(firstKey)) {
          this.payloadKeys.add(firstKey);
          return walk('(fd ? fv : (fv = s.payloadFields(P), fd = true, fv))', true);
        }
        this.readsWholePayload = true;
        this.usesDecodedPayload = true;
        return walk('(pd ? pv : (pv = s.decodePayload(c["payload"]), pd = true, pv))', false);
      }
      return walk(`s.decodePayload(${place})`, false);
    };
    let code = read(places[places.length - 1]!);
    for (let index = places.length - 2; index >= 0; index--) {
      const temp = this.temp();
      code = `((${temp} = ${read(places[index]!)}) !== undefined ? ${temp} : ${code})`;
    }
    return code;
  }

  private name(name: string, lookup: Lookup): string {
    return this.reference(name, (root) => root, lookup, false);
  }

  private path(node: PathNode, lookup: Lookup): string {
    const root = (node.steps[0] as { key: string }).key;
    const first = node.steps[1];
    return this.reference(
      root,
      (rootCode, fromFields) => {
        let code = rootCode;
        for (const [index, step] of node.steps.slice(1).entries()) {
          // The payload fields object holds its keys as own data properties: a plain read.
          if (step.kind === 'key' && index === 0 && fromFields) code = `${code}[${JSON.stringify(step.key)}]`;
          else if (step.kind === 'key') code = this.getKey(code, step.key);
          else if (step.kind === 'index') code = `h.getIndex(${code}, ${typeof step.index === 'number' ? step.index : 0})`;
          else code = `h.getIndex(${code}, ${this.expression(step.index, lookup)})`;
        }
        return code;
      },
      lookup,
      true,
      first?.kind === 'key' ? first.key : undefined,
    );
  }

  /**
   * A key read: for a key no object inherits (not `toString`, `constructor`...) a decoded JSON object is
   * read inline, without the own-property check; anything else goes through h.getKey.
   */
  private getKey(container: string, key: string): string {
    const quoted = JSON.stringify(key);
    if (key in Object.prototype || key === '__proto__') return `h.getKey(${container}, ${quoted})`;
    const temp = this.temp();
    return `((${temp} = ${container}), typeof ${temp} === 'object' && ${temp} !== null && !Array.isArray(${temp}) && !(${temp} instanceof Uint8Array) ? ${temp}[${quoted}] : h.getKey(${temp}, ${quoted}))`;
  }
}

const INLINE_OPERATORS: Readonly<Record<string, string>> = { '=': '===', '!=': '!==', '<>': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** The type a comparison with this operand is inlined for (see comparison()), if any. */
function inlineType(operand: ExpressionNode, operator: string): 'number' | 'string' | undefined {
  if (operand.kind !== 'const') return undefined;
  if (typeof operand.value === 'number') return 'number';
  if (typeof operand.value !== 'string') return undefined;
  if (operator === '=' || operator === '!=' || operator === '<>') return 'string';
  return /^[\x00-\x7f]*$/.test(operand.value) ? 'string' : undefined;
}

/** Nodes whose value is always true or false. */
function alwaysBoolean(node: ExpressionNode): boolean {
  return node.kind === 'compare' || node.kind === 'and' || node.kind === 'or' || node.kind === 'not' || node.kind === 'in' || (node.kind === 'const' && typeof node.value === 'boolean');
}

function mayHold(selected: ReadonlySet<string> | 'all', name: string): boolean {
  return selected === 'all' || selected.has(name);
}

function rootOfImplicit(expression: ExpressionNode, position: number): string {
  const alias = implicitAlias(expression, position);
  return typeof alias === 'string' ? alias : rootOf(alias);
}

/** `emqx_rule_funcs.upper` is `upper`: EMQX lets the function module be named. */
export function functionName(node: CallNode): string {
  const dot = node.name.indexOf('.');
  if (dot === -1) return node.name;
  const module = node.name.slice(0, dot);
  if (module !== 'emqx_rule_funcs' && module !== 'EmqxRuleFuncs') {
    throw new SqlSyntaxError(node.at, ['emqx_rule_funcs'], `'${module}'`, `functions of module ${module} are not available (only emqx_rule_funcs.<name>)`);
  }
  return node.name.slice(dot + 1);
}
