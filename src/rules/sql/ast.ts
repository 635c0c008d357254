// The syntax tree of one rule statement, as the parser builds it and both the compiler and the
// reference interpreter read it. Node kinds follow EMQX's parse tree (rulesql): var, path, const,
// list, range, get_range, fun, case, in, and the operators.

import type { ComparisonOperator } from './lexer.js';
import type { SourcePosition } from './errors.js';

/** A constant: a number, a string, true or false. */
export interface ConstNode {
  kind: 'const';
  value: number | string | boolean;
  at: SourcePosition;
}

/** A step into a map (`.name`, `.'quoted key'`) or a list (`[1]`, `[-1]`, `[0]` head and `[-0]` tail when assigning, `[i]` by variable). */
export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number | 'head' | 'tail' } | { kind: 'indexBy'; index: VarNode | PathNode };

export interface VarNode {
  kind: 'var';
  name: string;
  at: SourcePosition;
}

/** `payload.a.b`, `payload.list[1]`: the first step is always a key. */
export interface PathNode {
  kind: 'path';
  steps: PathStep[];
  at: SourcePosition;
}

/** `[1..4]`: the list 1, 2, 3, 4. */
export interface RangeNode {
  kind: 'range';
  begin: number;
  end: number;
  at: SourcePosition;
}

/** `payload.list[2..3]`: a slice, 1-based, negative counting from the end. */
export interface GetRangeNode {
  kind: 'getRange';
  begin: number;
  end: number;
  target: VarNode | PathNode;
  at: SourcePosition;
}

export interface ListNode {
  kind: 'list';
  items: ExpressionNode[];
  at: SourcePosition;
}

export interface UnaryNode {
  kind: 'negate' | 'plus';
  operand: ExpressionNode;
  at: SourcePosition;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | 'div';

export interface ArithmeticNode {
  kind: 'arithmetic';
  operator: ArithmeticOperator;
  left: ExpressionNode;
  right: ExpressionNode;
  at: SourcePosition;
}

export interface ComparisonNode {
  kind: 'compare';
  operator: ComparisonOperator;
  left: ExpressionNode;
  right: ExpressionNode;
  at: SourcePosition;
}

export interface LogicalNode {
  kind: 'and' | 'or';
  left: ExpressionNode;
  right: ExpressionNode;
  at: SourcePosition;
}

export interface NotNode {
  kind: 'not';
  operand: ExpressionNode;
  at: SourcePosition;
}

export interface InNode {
  kind: 'in';
  value: ExpressionNode;
  list: ExpressionNode[];
  at: SourcePosition;
}

/** `CASE WHEN c THEN v ... ELSE e END`, or with a subject: `CASE x WHEN 1 THEN ... END`. */
export interface CaseNode {
  kind: 'case';
  subject: ExpressionNode | undefined;
  branches: Array<{ when: ExpressionNode; then: ExpressionNode }>;
  otherwise: ExpressionNode | undefined;
  at: SourcePosition;
}

export interface CallNode {
  kind: 'call';
  name: string;
  args: ExpressionNode[];
  at: SourcePosition;
}

export type ExpressionNode =
  | ConstNode
  | VarNode
  | PathNode
  | RangeNode
  | GetRangeNode
  | ListNode
  | UnaryNode
  | ArithmeticNode
  | ComparisonNode
  | LogicalNode
  | NotNode
  | InNode
  | CaseNode
  | CallNode;

/** Where a selected value goes: a top-level key or a path (`AS a.b`, `AS c[-0]`). */
export type AliasNode = VarNode | PathNode;

export type FieldNode = { kind: 'all'; at: SourcePosition } | { kind: 'field'; expression: ExpressionNode; alias: AliasNode | undefined; at: SourcePosition };

export interface SelectStatement {
  kind: 'select';
  fields: FieldNode[];
  from: string[];
  where: ExpressionNode | undefined;
}

/** `FOREACH <fields> [DO <fields>] [INCASE <condition>] FROM ... [WHERE ...]`: one output per item of the last field. */
export interface ForeachStatement {
  kind: 'foreach';
  fields: FieldNode[];
  doFields: FieldNode[];
  incase: ExpressionNode | undefined;
  from: string[];
  where: ExpressionNode | undefined;
}

export type Statement = SelectStatement | ForeachStatement;
