// What a rule does with each result: republish it, log it, or hand it to a connector. Actions run
// after the input has gone on its way (action-runner.ts), never on the publisher's path.

import type { Message } from '../../core/message.js';
import type { RuleMetrics } from '../metrics.js';
import type { Columns } from '../sql/scope.js';
import type { ValueMap } from '../sql/values.js';

export interface ActionContext {
  ruleId: string;
  /** The input's columns (republish reads the input's user properties from them). */
  columns: Columns;
  /** The message that triggered the rule; undefined for events. */
  trigger: Message | undefined;
}

export interface RuleAction {
  /** `republish`, `console`, or the connector's name. */
  readonly name: string;
  /** Runs once per output; reports success or failure on `metrics`, now or when a connector is done. */
  run(output: ValueMap, context: ActionContext, metrics: RuleMetrics): void;
}
