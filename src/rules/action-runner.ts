// Runs rules' actions off the publish path: a rule that passes queues its outputs here (one array
// push), and a drain scheduled with setImmediate runs the actions a bounded number at a time. The
// queue is bounded: past MAX_PENDING results are dropped and counted as failed (out of service) on
// their rule, so a slow action never grows memory without limit nor delays a publisher.

import type { Message } from '../core/message.js';
import type { Logger } from '../log.js';
import type { RuleAction } from './actions/action.js';
import type { RuleMetrics } from './metrics.js';
import type { Columns } from './sql/scope.js';
import type { ValueMap } from './sql/values.js';

export interface ActionTarget {
  readonly id: string;
  readonly metrics: RuleMetrics;
  readonly actions: readonly RuleAction[];
}

interface Pending {
  rule: ActionTarget;
  output: ValueMap | ValueMap[];
  columns: Columns;
  trigger: Message | undefined;
}

export const MAX_PENDING = 100_000;
/** Results handled per turn of the event loop before yielding to I/O. */
const BATCH = 512;

export class ActionRunner {
  private queue: Pending[] = [];
  private head = 0;
  private scheduled = false;
  private lastOverflowLog = 0;
  /** Results dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly maxPending = MAX_PENDING,
  ) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  enqueue(rule: ActionTarget, output: ValueMap | ValueMap[], columns: Columns, trigger: Message | undefined): void {
    if (rule.actions.length === 0) return;
    if (this.pending >= this.maxPending) {
      this.overflow(rule, output);
      return;
    }
    this.queue.push({ rule, output, columns, trigger });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private overflow(rule: ActionTarget, output: ValueMap | ValueMap[]): void {
    const count = (Array.isArray(output) ? output.length : 1) * rule.actions.length;
    this.dropped += count;
    rule.metrics.actionsTotal += count;
    for (let index = 0; index < count; index++) rule.metrics.actionFailed(true);
    const now = Date.now();
    if (now - this.lastOverflowLog > 10_000) {
      this.lastOverflowLog = now;
      this.logger.warn({ rule: rule.id, pending: this.pending, dropped: this.dropped }, 'rule actions are not keeping up: results dropped');
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const end = Math.min(this.queue.length, this.head + BATCH);
    for (; this.head < end; this.head++) {
      const pending = this.queue[this.head]!;
      this.queue[this.head] = undefined as unknown as Pending;
      const outputs = Array.isArray(pending.output) ? pending.output : [pending.output];
      for (const output of outputs) this.runActions(pending, output);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else {
      if (this.head > 4096) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };

  private runActions(pending: Pending, output: ValueMap): void {
    const { rule } = pending;
    const context = { ruleId: rule.id, columns: pending.columns, trigger: pending.trigger };
    for (const action of rule.actions) {
      rule.metrics.actionsTotal++;
      try {
        action.run(output, context, rule.metrics);
      } catch (error) {
        rule.metrics.actionFailed(false);
        this.logger.warn({ err: error, rule: rule.id, action: action.name }, 'rule action failed');
      }
    }
  }

  /** Resolves when everything queued so far has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending > 0 || this.scheduled) await new Promise((resolve) => setImmediate(resolve));
  }
}
