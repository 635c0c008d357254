// One entry to the SQL layer: parse a rule's SQL and compile it once, checking function names and
// arities, so a rule that is accepted can run.

import { builtinFunctions } from '../functions/index.js';
import type { Statement } from './ast.js';
import { compileStatement, type CompiledStatement, type SharedCondition } from './compiler.js';
import { parseSql } from './parser.js';

export interface CompiledSql {
  statement: Statement;
  /** The FROM entries: topic filters and event topics. */
  from: string[];
  evaluate: CompiledStatement;
  /** The generated JavaScript, for debugging. */
  source: string;
  /** The top-level payload keys the rule reads through EvaluationScope.payloadFields() (see compiler.ts). */
  payloadKeys: readonly string[];
  /** The condition the rule's WHERE starts with, when rules starting with the same one may share its answer on an input. */
  sharedCondition: SharedCondition | undefined;
}

/** Throws SqlSyntaxError (line, column, expected) for bad SQL, unknown functions and wrong arities. */
export function compileSql(sql: string, ruleId: string): CompiledSql {
  const statement = parseSql(sql);
  const { evaluate, source, payloadKeys, sharedCondition } = compileStatement(statement, { ruleId, functions: builtinFunctions });
  return { statement, from: statement.from, evaluate, source, payloadKeys, sharedCondition };
}
