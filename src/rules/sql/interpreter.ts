// The reference evaluator: walks the syntax tree for every input, looking names up the way EMQX's
// emqx_rule_runtime:eval/2 does (a list of maps tried in order; WHERE over a merged map). It is slow
// and plain on purpose: the property tests run random statements through it and through the
// compiler and expect the same answers, errors included.

import type { AliasNode, ExpressionNode, FieldNode, PathNode, Statement } from './ast.js';
import { collectionKey, functionName, implicitAlias, rootOf, whereFirst, type RuleOutput } from './compiler.js';
import { SqlSyntaxError } from './errors.js';
import { evaluationHelpers as h } from './helpers.js';
import type { EvaluationScope } from './scope.js';
import type { FunctionTable } from '../functions/registry.js';
import { newMap } from '../functions/registry.js';
import * as values from './values.js';
import type { Value, ValueMap } from './values.js';

export function interpret(statement: Statement, scope: EvaluationScope, ruleId: string, functions: FunctionTable): RuleOutput | undefined {
  const columns = scope.allColumns();
  if (columns['metadata'] === undefined) columns['metadata'] = Object.assign(newMap(), { rule_id: ruleId });
  const run = new Run(scope, functions);
  if (statement.kind === 'select') {
    const early = whereFirst(statement, functions);
    if (early && !values.booleanOf(run.evaluate(statement.where!, [merge(columns, newMap())]), 'WHERE')) return undefined;
    let selected = newMap();
    statement.fields.forEach((field, position) => {
      if (field.kind === 'all') selected = Object.assign(selected, columns);
      else selected = run.put(selected, field.alias ?? implicitAlias(field.expression, position), run.evaluate(field.expression, [selected, columns]));
    });
    if (statement.where !== undefined && !early && !values.booleanOf(run.evaluate(statement.where, [merge(columns, selected)]), 'WHERE')) return undefined;
    return selected;
  }
  let selected = newMap();
  let collection: Value[] = [];
  const last = statement.fields.length - 1;
  statement.fields.forEach((field: FieldNode, position) => {
    if (field.kind === 'all') {
      selected = Object.assign(selected, columns);
      if (position === last) collection = [];
      return;
    }
    const value = run.evaluate(field.expression, [selected, columns]);
    selected = run.put(selected, field.alias ?? implicitAlias(field.expression, position), value);
    if (position === last) {
      const isPayload = field.expression.kind === 'var' && field.expression.name === 'payload';
      collection = h.ensureList(isPayload ? scope.decodePayload(value) : value);
    }
  });
  const merged = merge(columns, selected);
  if (statement.where !== undefined && !values.booleanOf(run.evaluate(statement.where, [merged]), 'WHERE')) return undefined;
  const itemKey = collectionKey(statement.fields[last]);
  const out: ValueMap[] = [];
  for (const item of collection) {
    const withItem = merge(merged, Object.assign(newMap(), { [itemKey]: item }));
    if (statement.incase !== undefined && !values.booleanOf(run.evaluate(statement.incase, [withItem]), 'INCASE')) continue;
    if (statement.doFields.length === 0) {
      out.push(withItem);
      continue;
    }
    let each = newMap();
    statement.doFields.forEach((field, position) => {
      if (field.kind === 'all') each = Object.assign(each, withItem);
      else each = run.put(each, field.alias ?? implicitAlias(field.expression, position), run.evaluate(field.expression, [each, withItem]));
    });
    out.push(each);
  }
  return out;
}

function merge(under: ValueMap, over: ValueMap): ValueMap {
  return Object.assign(Object.assign(newMap(), under), over);
}

class Run {
  constructor(
    private readonly scope: EvaluationScope,
    private readonly functions: FunctionTable,
  ) {}

  put(target: ValueMap, alias: AliasNode | string, value: Value): ValueMap {
    if (typeof alias === 'string') {
      target[alias] = value;
      return target;
    }
    if (alias.kind === 'var') {
      target[alias.name] = value;
      return target;
    }
    const root = rootOf(alias);
    const rest = alias.steps.slice(1);
    const steps = rest.map((step): values.ResolvedStep => {
      if (step.kind === 'key') return step.key;
      if (step.kind === 'index') return step.index;
      const index = readIn(target, step.index);
      return index === undefined ? 0 : typeof index === 'number' ? index : Number.NaN;
    });
    const current = root === 'payload' && values.isBinary(target[root]) ? this.scope.decodePayload(target[root]) : target[root];
    target[root] = values.putPath(current, steps, rest.map((step) => (step.kind === 'key' ? 0 : 1)), value);
    return target;
  }

  /** EMQX eval/2 with a list of contexts: the first that gives something other than undefined. */
  evaluate(node: ExpressionNode, contexts: ValueMap[]): Value {
    switch (node.kind) {
      case 'var':
      case 'path':
        for (const context of contexts) {
          const value = this.read(node, context, contexts);
          if (value !== undefined) return value;
        }
        return undefined;
      case 'const':
        return node.value;
      case 'range':
        return values.rangeList(node.begin, node.end);
      case 'getRange':
        return values.getRange(this.evaluate(node.target, contexts), node.begin, node.end);
      case 'list':
        return node.items.map((item) => this.evaluate(item, contexts));
      case 'negate':
        return values.negate(this.evaluate(node.operand, contexts));
      case 'plus':
        return this.evaluate(node.operand, contexts);
      case 'arithmetic': {
        const left = this.evaluate(node.left, contexts);
        const right = this.evaluate(node.right, contexts);
        return node.operator === '+' ? values.add(left, right) : values.arithmetic(node.operator, left, right);
      }
      case 'compare':
        return values.compare(node.operator, this.evaluate(node.left, contexts), this.evaluate(node.right, contexts));
      case 'and':
        return values.booleanOf(this.evaluate(node.left, contexts), 'AND') ? values.booleanOf(this.evaluate(node.right, contexts), 'AND') : false;
      case 'or':
        return values.booleanOf(this.evaluate(node.left, contexts), 'OR') ? true : values.booleanOf(this.evaluate(node.right, contexts), 'OR');
      case 'not':
        return this.evaluate(node.operand, contexts) === false;
      case 'in': {
        const value = this.evaluate(node.value, contexts);
        for (const item of node.list) if (values.termEquals(value, this.evaluate(item, contexts))) return true;
        return false;
      }
      case 'case': {
        if (node.subject === undefined) {
          for (const branch of node.branches) if (this.evaluate(branch.when, contexts) === true) return this.evaluate(branch.then, contexts);
        } else {
          const subject = this.evaluate(node.subject, contexts);
          for (const branch of node.branches) if (values.termEquals(subject, this.evaluate(branch.when, contexts))) return this.evaluate(branch.then, contexts);
        }
        return node.otherwise === undefined ? undefined : this.evaluate(node.otherwise, contexts);
      }
      case 'call': {
        const name = functionName(node);
        const definition = this.functions[name];
        if (definition === undefined || node.args.length < definition.min || node.args.length > definition.max) {
          throw new SqlSyntaxError(node.at, ['a built-in function'], `'${node.name}'`, `unknown function ${node.name}/${node.args.length}`);
        }
        const args = node.args.map((arg) => this.evaluate(arg, contexts));
        const call = definition.call as (...args: unknown[]) => Value;
        return definition.contextual === true ? call(this.scope, ...args) : call(...args);
      }
    }
  }

  /** A name or path read in one context map; a path into `payload` decodes it. */
  private read(node: Extract<ExpressionNode, { kind: 'var' | 'path' }>, context: ValueMap, contexts: ValueMap[]): Value {
    if (node.kind === 'var') return Object.hasOwn(context, node.name) ? context[node.name] : undefined;
    const path = node as PathNode;
    const root = (path.steps[0] as { key: string }).key;
    let value: Value = Object.hasOwn(context, root) ? context[root] : undefined;
    if (root === 'payload') value = this.scope.decodePayload(value);
    for (const step of path.steps.slice(1)) {
      if (step.kind === 'key') value = values.getKey(value, step.key);
      else if (step.kind === 'index') value = values.getIndex(value, typeof step.index === 'number' ? step.index : 0);
      else value = values.getIndex(value, this.evaluate(step.index, contexts));
    }
    return value;
  }
}

/** A name or path read in one map only (an alias's [index] names something in the map assigned to). */
function readIn(target: ValueMap, node: ExpressionNode): Value {
  if (node.kind === 'var') return values.getKey(target, node.name);
  if (node.kind !== 'path') return undefined;
  let value: Value = target;
  for (const step of node.steps) {
    if (step.kind === 'key') value = values.getKey(value, step.key);
    else if (step.kind === 'index') value = values.getIndex(value, typeof step.index === 'number' ? step.index : 0);
    else value = values.getIndex(value, readIn(target, step.index));
  }
  return value;
}
