// One entry to the SQL layer: parse a rule's SQL and compile it once, checking function names and
// arities, so a rule that is accepted can run.

import { builtinFunctions } from '../functions/index.js';
import type { Statement } from './ast.js';
import { compileStatement, type CompiledStatement } from './compiler.js';
import { parseSql } from './parser.js';

export interface CompiledSql {
  statement: Statement;
  /** The FROM entries: topic filters and event topics. */
  from: string[];
  evaluate: CompiledStatement;
  /** The generated JavaScript, for debugging. */
  source: string;
}

/** Throws SqlSyntaxError (line, column, expected) for bad SQL, unknown functions and wrong arities. */
export function compileSql(sql: string, ruleId: string): CompiledSql {
  const statement = parseSql(sql);
  const { evaluate, source } = compileStatement(statement, { ruleId, functions: builtinFunctions });
  return { statement, from: statement.from, evaluate, source };
}
