// Per-rule counters (EMQX's names: matched, passed, failed, failed.exception, failed.no_result,
// actions.total/success/failed/failed.out_of_service/failed.unknown/discarded) as plain fields the
// engine increments, and their registration as labelled families (`rule` label) in the registry.

import type { MetricsRegistry } from '../metrics/registry.js';

export class RuleMetrics {
  matched = 0;
  passed = 0;
  failed = 0;
  failedException = 0;
  failedNoResult = 0;
  actionsTotal = 0;
  actionsSuccess = 0;
  actionsFailed = 0;
  actionsFailedOutOfService = 0;
  actionsFailedUnknown = 0;
  actionsDiscarded = 0;

  actionSucceeded(): void {
    this.actionsSuccess++;
  }

  /** `outOfService`: the target was down or its buffer full (EMQX actions.failed.out_of_service). */
  actionFailed(outOfService: boolean): void {
    this.actionsFailed++;
    if (outOfService) this.actionsFailedOutOfService++;
    else this.actionsFailedUnknown++;
  }

  reset(): void {
    Object.assign(this, new RuleMetrics());
  }

  /** EMQX's JSON for GET /rules/{id}/metrics. */
  toJson(): Record<string, number> {
    return {
      matched: this.matched,
      'matched.rate': 0,
      'matched.rate.max': 0,
      'matched.rate.last5m': 0,
      passed: this.passed,
      failed: this.failed,
      'failed.exception': this.failedException,
      'failed.no_result': this.failedNoResult,
      'actions.total': this.actionsTotal,
      'actions.success': this.actionsSuccess,
      'actions.failed': this.actionsFailed,
      'actions.failed.out_of_service': this.actionsFailedOutOfService,
      'actions.failed.unknown': this.actionsFailedUnknown,
      'actions.discarded': this.actionsDiscarded,
    };
  }
}

const families: ReadonlyArray<[name: string, help: string, read: (metrics: RuleMetrics) => number]> = [
  ['rules.matched', 'Inputs (messages, events) that matched the rule\'s FROM.', (m) => m.matched],
  ['rules.passed', 'Inputs for which the rule\'s SQL gave a result.', (m) => m.passed],
  ['rules.failed', 'Inputs for which the rule\'s SQL gave no result or failed.', (m) => m.failed],
  ['rules.failed.exception', 'Inputs on which the rule\'s SQL failed (a function\'s bad argument, a payload that is not JSON).', (m) => m.failedException],
  ['rules.failed.no_result', 'Inputs the rule\'s WHERE rejected (or a FOREACH with nothing left).', (m) => m.failedNoResult],
  ['rules.actions.total', 'Actions the rule started.', (m) => m.actionsTotal],
  ['rules.actions.success', 'Actions that completed.', (m) => m.actionsSuccess],
  ['rules.actions.failed', 'Actions that failed.', (m) => m.actionsFailed],
  ['rules.actions.failed.out_of_service', 'Actions that failed because their target was down or its buffer full.', (m) => m.actionsFailedOutOfService],
  ['rules.actions.failed.unknown', 'Actions that failed for another reason.', (m) => m.actionsFailedUnknown],
  ['rules.actions.discarded', 'Actions not run: a republish loop, or a connector that was removed.', (m) => m.actionsDiscarded],
];

export function registerRuleMetrics(registry: MetricsRegistry, rules: () => Iterable<{ id: string; metrics: RuleMetrics }>): void {
  for (const [name, help, read] of families) {
    registry.register({ name, help, type: 'counter', labelNames: ['rule'] }, (sample) => {
      for (const rule of rules()) sample(read(rule.metrics), { rule: rule.id });
    });
  }
}
