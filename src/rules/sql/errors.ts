// The two ways a rule's SQL fails: at parse time (SqlSyntaxError, with line, column and the tokens
// that would have fitted) and while evaluating one message or event (RuleEvaluationError: a function
// given the wrong type, a payload that is not JSON, a division by zero). The first is the author's to
// fix before the rule exists; the second counts as the rule's `failed.exception` metric.

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based, in characters. */
  column: number;
}

export class SqlSyntaxError extends Error {
  constructor(
    readonly position: SourcePosition,
    /** What would have been accepted here, as the author would type it: `FROM`, `an expression`, `')'`. */
    readonly expected: readonly string[],
    /** What was there instead: `'WHERE'`, `end of input`. */
    readonly found: string,
    detail?: string,
  ) {
    super(`line ${position.line}, column ${position.column}: ${detail ?? `expected ${describeExpected(expected)}, found ${found}`}`);
    this.name = 'SqlSyntaxError';
  }
}

function describeExpected(expected: readonly string[]): string {
  if (expected.length <= 1) return expected[0] ?? 'something else';
  return `${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}`;
}

/** Evaluating a rule on one input failed; `reason` is EMQX's word for it where it has one. */
export class RuleEvaluationError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'RuleEvaluationError';
  }
}

export function evaluationError(reason: string, message: string): never {
  throw new RuleEvaluationError(reason, message);
}
