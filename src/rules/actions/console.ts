// The `console` action: logs each output of the rule at info level (EMQX writes it to its console log).

import type { Logger } from '../../log.js';
import type { RuleMetrics } from '../metrics.js';
import type { ValueMap } from '../sql/values.js';
import type { ActionContext, RuleAction } from './action.js';
import { jsonEncode } from '../sql/values.js';

export class ConsoleAction implements RuleAction {
  readonly name = 'console';

  constructor(private readonly logger: Logger) {}

  run(output: ValueMap, context: ActionContext, metrics: RuleMetrics): void {
    this.logger.info({ rule: context.ruleId, output: JSON.parse(jsonEncode(output)) as unknown }, '[rule action] console');
    metrics.actionSucceeded();
  }
}
