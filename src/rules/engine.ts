// The rule engine: holds the rules, indexes them by their FROM entries (topic filters in a topic trie,
// events by name) and runs the matching ones on each published message and event. While no rule
// exists it has no hook and no listener on the broker, so publishing costs nothing extra. With rules,
// a message pays one lookup of its topic (the trie's answer is kept per topic), one read of the payload
// fields the rules use (sql/payload-fields.ts), and the compiled SQL of the rules whose filters match,
// where rules that start with the same condition share its answer; actions are queued to run after the
// publisher's turn (action-runner.ts).

import { TopicTrie } from '../broker/trie.js';
import type { BrokerCore } from '../broker/broker.js';
import type { ClientInfo } from '../core/client.js';
import type { Message } from '../core/message.js';
import type { BrokerEvents, MessagePublishedEvent } from '../hooks/events.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { topicMatches } from '../core/topic.js';
import { ActionRunner, type ActionTarget } from './action-runner.js';
import type { RuleAction } from './actions/action.js';
import { ConsoleAction } from './actions/console.js';
import { RepublishAction } from './actions/republish.js';
import type { Connector } from './connectors/connector.js';
import { checkRuleDefinition, type ActionDefinition, type RuleConfig, type RuleDefinition, type RuleOrigin } from './definitions.js';
import { columnNames, eventColumns, eventsMatching, messageColumns, type EventSource } from './events.js';
import { RuleMetrics, registerRuleMetrics } from './metrics.js';
import { RuleEvaluationError, SqlSyntaxError } from './sql/errors.js';
import { PayloadFields } from './sql/payload-fields.js';
import { EvaluationScope, type Columns } from './sql/scope.js';
import { compileSql, type CompiledSql } from './sql/sql.js';
import type { RuleOutput } from './sql/compiler.js';
import { eventOfTestContext, testColumns, topicsOfTestInput } from './test-inputs.js';

const MESSAGE_COLUMNS = columnNames['message.publish'];
/** Topics whose matching rules are remembered (rulesFor). */
const MATCH_CACHE_SIZE = 10_000;
/** Messages the index answers alone once the topics in use proved too many to remember. */
const UNCACHED_MESSAGES = 1_000_000;
const NO_RULES: readonly LoadedRule[] = [];
const ERROR_LOG_INTERVAL_MS = 10_000;

export class LoadedRule implements ActionTarget {
  readonly metrics = new RuleMetrics();
  lastErrorLog = 0;
  /** The answer of its WHERE's first condition, shared with the other loaded rules that start with it (message rules only). */
  condition: SharedAnswer | undefined = undefined;

  constructor(
    readonly definition: RuleDefinition,
    readonly origin: RuleOrigin,
    readonly compiled: CompiledSql,
    readonly actions: readonly RuleAction[],
    /** Topic filters of FROM. */
    readonly filters: readonly string[],
    readonly events: readonly EventSource[],
  ) {}

  get id(): string {
    return this.definition.id;
  }

  get enabled(): boolean {
    return this.definition.enable;
  }
}

/**
 * One condition that several message rules' WHEREs start with (compiler.ts sharedConditionOf),
 * evaluated at most once per published message for all of them.
 */
class SharedAnswer {
  /** The rules starting with the condition; they use this answer while there are two or more. */
  readonly rules = new Set<LoadedRule>();
  /** The message (engine sequence) the answer below is for. */
  sequence = -1;
  passed = false;
  threw = false;
  /** What the condition threw, when it did. */
  error: unknown = undefined;

  constructor(readonly test: (scope: EvaluationScope) => boolean) {}

  /** Whether the condition holds for this message (else `threw` and `error` say whether it failed). */
  answer(sequence: number, scope: EvaluationScope): boolean {
    if (this.sequence !== sequence) {
      this.sequence = sequence;
      try {
        this.passed = this.test(scope);
        this.threw = false;
        this.error = undefined;
      } catch (error) {
        this.passed = false;
        this.threw = true;
        this.error = error;
      }
    }
    return this.passed;
  }
}

/** A condition only one rule starts with is left to that rule (asking it first would only add a call). */
function shareAnswer(answer: SharedAnswer): void {
  const shared = answer.rules.size > 1 ? answer : undefined;
  for (const rule of answer.rules) rule.condition = shared;
}

export interface RuleEngineContext {
  core: BrokerCore;
  logger: Logger;
  nodeName: string;
  /** A connector by name, when it exists. */
  connector(name: string): Connector | undefined;
  /** The clients connected now (to know who receives message.delivered/acked when the first such rule is added). */
  connectedClients(): Iterable<ClientInfo>;
}

/** The result of testing SQL against a sample input. */
export type TestResult = { ok: true; output: RuleOutput } | { ok: false; status: 400 | 412; code: string; message: string };

export class RuleEngine {
  private readonly rules = new Map<string, LoadedRule>();
  private readonly topicIndex = new TopicTrie<LoadedRule>();
  private readonly eventIndex = new Map<EventSource, Set<LoadedRule>>();
  private removePublishHook: (() => void) | undefined;
  private readonly listeners = new Map<keyof BrokerEvents, (...args: never[]) => void>();
  /** Who receives deliveries, for message.delivered/acked and delivery.dropped (kept only while such a rule exists). */
  private readonly receivers = new Map<string, ClientInfo>();
  /** The rules matching each topic seen lately (rulesFor). */
  private readonly matchCache = new Map<string, readonly LoadedRule[]>();
  /** Messages its kept topics answered, and others, since it was last full (rulesFor). */
  private cacheHits = 0;
  private cacheMisses = 0;
  /** Messages left that the index answers alone (when there were too many topics to keep). */
  private uncachedLeft = 0;
  /** Where match() collects, and the array it reuses for topics not kept. */
  private collecting: LoadedRule[] | undefined = undefined;
  private matching = false;
  private readonly matched: LoadedRule[] = [];
  /** The first conditions message rules share, by expression. */
  private readonly sharedAnswers = new Map<string, SharedAnswer>();
  /** Counts published messages, for the shared answers. */
  private sequence = 0;
  private payloadFields: PayloadFields | undefined = undefined;
  readonly runner: ActionRunner;

  constructor(
    private readonly context: RuleEngineContext,
    metrics?: MetricsRegistry,
  ) {
    this.runner = new ActionRunner(context.logger);
    if (metrics !== undefined) registerRuleMetrics(metrics, () => this.rules.values());
  }

  get size(): number {
    return this.rules.size;
  }

  get(id: string): LoadedRule | undefined {
    return this.rules.get(id);
  }

  list(): LoadedRule[] {
    return [...this.rules.values()];
  }

  /** Adds or replaces a rule (checked again here; throws DefinitionError). A replaced rule keeps its metrics. */
  upsert(input: RuleConfig & { id: string; createdAt?: number; updatedAt?: number }, origin: RuleOrigin): LoadedRule {
    const definition = checkRuleDefinition(input.id, input, (name) => this.context.connector(name) !== undefined);
    if (input.createdAt !== undefined) definition.createdAt = input.createdAt;
    if (input.updatedAt !== undefined) definition.updatedAt = input.updatedAt;
    const compiled = compileSql(definition.sql, definition.id);
    const filters = compiled.from.filter((source) => !source.startsWith('$events/'));
    const events = [...new Set(compiled.from.filter((source) => source.startsWith('$events/')).flatMap(eventsMatching))];
    const rule = new LoadedRule(definition, origin, compiled, definition.actions.map((action) => this.buildAction(action)), filters, events);
    const previous = this.rules.get(definition.id);
    if (previous !== undefined) {
      Object.assign(rule.metrics, previous.metrics);
      this.unindex(previous);
    }
    this.rules.set(definition.id, rule);
    this.index(rule);
    this.sync();
    return rule;
  }

  remove(id: string): boolean {
    const rule = this.rules.get(id);
    if (rule === undefined) return false;
    this.rules.delete(id);
    this.unindex(rule);
    this.sync();
    return true;
  }

  setEnabled(id: string, enable: boolean): LoadedRule | undefined {
    const rule = this.rules.get(id);
    if (rule !== undefined) rule.definition.enable = enable;
    return rule;
  }

  /** Runs SQL on a sample input, with no action and no metric (POST /rule_test). */
  test(sql: string, context: Record<string, unknown>): TestResult {
    return testSql(sql, context, this.context.nodeName);
  }

  private buildAction(action: ActionDefinition): RuleAction {
    if ('connector' in action) {
      const name = action.connector;
      return {
        name,
        run: (output, _context, metrics) => {
          const connector = this.context.connector(name);
          if (connector === undefined) metrics.actionsDiscarded++;
          else connector.send(output, metrics);
        },
      };
    }
    if (action.function === 'console') return new ConsoleAction(this.context.logger);
    return new RepublishAction(action.args, { publish: (message) => this.context.core.publish(message), logger: this.context.logger });
  }

  private index(rule: LoadedRule): void {
    for (const filter of rule.filters) this.topicIndex.add(filter, rule);
    const shared = rule.compiled.sharedCondition;
    if (rule.filters.length > 0 && shared !== undefined) {
      let answer = this.sharedAnswers.get(shared.key);
      if (answer === undefined) this.sharedAnswers.set(shared.key, (answer = new SharedAnswer(shared.test)));
      answer.rules.add(rule);
      shareAnswer(answer);
    }
    this.uncachedLeft = 0;
    this.forgetMatches();
    this.refreshPayloadFields();
    for (const event of rule.events) {
      let rules = this.eventIndex.get(event);
      if (rules === undefined) this.eventIndex.set(event, (rules = new Set()));
      rules.add(rule);
    }
  }

  private unindex(rule: LoadedRule): void {
    for (const filter of rule.filters) this.topicIndex.remove(filter, rule);
    const shared = rule.compiled.sharedCondition;
    const answer = shared === undefined ? undefined : this.sharedAnswers.get(shared.key);
    if (answer !== undefined && answer.rules.delete(rule)) {
      rule.condition = undefined;
      if (answer.rules.size === 0) this.sharedAnswers.delete(shared!.key);
      else shareAnswer(answer);
    }
    this.uncachedLeft = 0;
    this.forgetMatches();
    this.refreshPayloadFields();
    for (const event of rule.events) {
      const rules = this.eventIndex.get(event);
      rules?.delete(rule);
      if (rules?.size === 0) this.eventIndex.delete(event);
    }
  }

  private forgetMatches(): void {
    this.matchCache.clear();
    this.cacheHits = 0;
    this.cacheMisses = 0;
  }

  /** The top-level payload keys the message rules read, so each message's payload is read once for all of them. */
  private refreshPayloadFields(): void {
    const keys = new Set<string>();
    for (const rule of this.rules.values()) if (rule.filters.length > 0) for (const key of rule.compiled.payloadKeys) keys.add(key);
    if (keys.size === 0) this.payloadFields = undefined;
    else if (this.payloadFields === undefined || !this.payloadFields.holdsExactly(keys)) this.payloadFields = new PayloadFields([...keys]);
  }

  /** Hooks and listeners on the broker for exactly what the rules need. */
  private sync(): void {
    const core = this.context.core;
    if (this.topicIndex.size > 0 && this.removePublishHook === undefined) {
      // Low priority: rules see the message as the other 'message.publish' hooks left it.
      this.removePublishHook = core.hooks.add('message.publish', this.onPublish, { priority: -1000, name: 'rules' });
    } else if (this.topicIndex.size === 0 && this.removePublishHook !== undefined) {
      this.removePublishHook();
      this.removePublishHook = undefined;
    }
    const has = (event: EventSource): boolean => this.eventIndex.has(event);
    const needsReceivers = has('message.delivered') || has('message.acked') || has('delivery.dropped');
    this.listen('client.connected', has('client.connected') || needsReceivers, (event) => {
      if (needsReceivers) this.receivers.set(event.client.clientId, event.client);
      this.runEvent('client.connected', () => eventColumns.connected(event, this.context.nodeName, Date.now()));
    });
    this.listen('client.disconnected', has('client.disconnected') || needsReceivers, (event) => {
      if (this.receivers.get(event.client.clientId) === event.client) this.receivers.delete(event.client.clientId);
      this.runEvent('client.disconnected', () => eventColumns.disconnected(event, this.context.nodeName, Date.now()));
    });
    this.listen('client.connack', has('client.connack'), (event) => this.runEvent('client.connack', () => eventColumns.connack(event, this.context.nodeName, Date.now())));
    this.listen('client.authorized', has('client.check_authz_complete'), (event) =>
      this.runEvent('client.check_authz_complete', () => eventColumns.authorized(event, this.context.nodeName, Date.now())),
    );
    this.listen('session.subscribed', has('session.subscribed'), (event) => this.runEvent('session.subscribed', () => eventColumns.subscribed(event, this.context.nodeName, Date.now())));
    this.listen('session.unsubscribed', has('session.unsubscribed'), (event) => this.runEvent('session.unsubscribed', () => eventColumns.unsubscribed(event, this.context.nodeName, Date.now())));
    this.listen('message.delivered', has('message.delivered'), (event) => {
      if (isSys(event.message)) return;
      this.runEvent('message.delivered', () => eventColumns.delivered(event, false, this.receivers.get(event.clientId), this.context.nodeName, Date.now()), event.message);
    });
    this.listen('message.acked', has('message.acked'), (event) => {
      if (isSys(event.message)) return;
      this.runEvent('message.acked', () => eventColumns.delivered(event, true, this.receivers.get(event.clientId), this.context.nodeName, Date.now()), event.message);
    });
    this.listen('message.dropped', has('message.dropped') || has('delivery.dropped'), (event) => {
      if (isSys(event.message)) return;
      const source: EventSource = event.clientId === undefined ? 'message.dropped' : 'delivery.dropped';
      const receiver = event.clientId === undefined ? undefined : this.receivers.get(event.clientId);
      this.runEvent(source, () => eventColumns.dropped(event, receiver, this.context.nodeName, Date.now()), event.message);
    });
    if (needsReceivers && this.receivers.size === 0) for (const client of this.context.connectedClients()) this.receivers.set(client.clientId, client);
    if (!needsReceivers) this.receivers.clear();
  }

  private listen<K extends keyof BrokerEvents>(event: K, wanted: boolean, listener: (...args: BrokerEvents[K]) => void): void {
    const events = this.context.core.events;
    const current = this.listeners.get(event);
    if (current !== undefined) {
      events.off(event, current as never);
      this.listeners.delete(event);
    }
    if (!wanted) return;
    events.on(event, listener as never);
    this.listeners.set(event, listener as never);
  }

  // --- the message path --------------------------------------------------------------------------

  /** The 'message.publish' hook: runs the rules whose filters match; never changes or drops the message. */
  private readonly onPublish = (event: MessagePublishedEvent): undefined => {
    const rules = this.rulesFor(event.message.topic);
    if (rules.length === 0) return undefined;
    const sequence = ++this.sequence;
    let scope: EvaluationScope | undefined;
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index]!;
      if (!rule.definition.enable) continue;
      const message = event.message;
      scope ??= new EvaluationScope(messageColumns(message, event.publisher, this.context.nodeName), MESSAGE_COLUMNS, message.payload, this.payloadFields);
      const condition = rule.condition;
      if (condition === undefined || condition.answer(sequence, scope)) this.run(rule, scope, message);
      else this.rejected(rule, condition);
    }
    return undefined;
  };

  /** A rule whose shared first condition was false or failed on this message: counted as running it would have. */
  private rejected(rule: LoadedRule, condition: SharedAnswer): void {
    const metrics = rule.metrics;
    metrics.matched++;
    metrics.failed++;
    if (condition.threw) {
      metrics.failedException++;
      this.logFailure(rule, condition.error);
    } else {
      metrics.failedNoResult++;
    }
  }

  /**
   * The rules whose filters match a topic, each once, in the index's order. The index's answer is kept
   * per topic, up to MATCH_CACHE_SIZE topics (forgotten when a rule changes), so a message on a topic
   * seen before pays one map lookup and the rules run from a plain array. Once that many are kept, the
   * others ask the index each time (into a reused array); over the next MATCH_CACHE_SIZE such messages
   * the memory is judged: when it answered most of them it starts again (to follow the topics in use),
   * else the topics in use are too many to keep and the index alone answers for a while.
   */
  private rulesFor(topic: string): readonly LoadedRule[] {
    if (this.uncachedLeft > 0) {
      this.uncachedLeft--;
      return this.matchOnce(topic);
    }
    const cached = this.matchCache.get(topic);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    if (topic.startsWith('$SYS/')) return NO_RULES;
    if (this.matchCache.size < MATCH_CACHE_SIZE) {
      const rules = this.match(topic, []);
      this.matchCache.set(topic, rules.length === 0 ? NO_RULES : rules);
      return rules;
    }
    if (++this.cacheMisses >= MATCH_CACHE_SIZE) {
      if (this.cacheHits < this.cacheMisses) this.uncachedLeft = UNCACHED_MESSAGES;
      this.forgetMatches();
    }
    return this.matchOnce(topic);
  }

  /**
   * The index's rules for a topic, in an array reused from one message to the next: a rule's run never
   * publishes synchronously (actions wait for the next turn), so nothing else fills it while the caller
   * goes through it; should that change, a nested call gets its own array.
   */
  private matchOnce(topic: string): readonly LoadedRule[] {
    if (topic.startsWith('$SYS/')) return NO_RULES;
    return this.match(topic, this.matching ? [] : this.matched);
  }

  /** The index's rules for a topic, each once, into `into` (emptied first). */
  private match(topic: string, into: LoadedRule[]): LoadedRule[] {
    into.length = 0;
    const outer = this.collecting;
    this.collecting = into;
    this.matching = true;
    try {
      this.topicIndex.match(topic, this.collect);
    } finally {
      this.collecting = outer;
      this.matching = outer !== undefined;
    }
    return into;
  }

  private readonly collect = (rule: LoadedRule): void => {
    const into = this.collecting!;
    if (!into.includes(rule)) into.push(rule);
  };

  private runEvent(event: EventSource, columnsOf: () => Columns, trigger?: Message): void {
    const rules = this.eventIndex.get(event);
    if (rules === undefined) return;
    let scope: EvaluationScope | undefined;
    for (const rule of rules) {
      if (!rule.definition.enable) continue;
      scope ??= new EvaluationScope(columnsOf(), columnNames[event]);
      this.run(rule, scope, trigger);
    }
  }

  private run(rule: LoadedRule, scope: EvaluationScope, trigger: Message | undefined): void {
    const metrics = rule.metrics;
    metrics.matched++;
    let output: RuleOutput | undefined;
    try {
      output = rule.compiled.evaluate(scope);
    } catch (error) {
      metrics.failed++;
      metrics.failedException++;
      this.logFailure(rule, error);
      return;
    }
    if (output === undefined || (Array.isArray(output) && output.length === 0)) {
      metrics.failed++;
      metrics.failedNoResult++;
      return;
    }
    metrics.passed++;
    this.runner.enqueue(rule, output, scope.columns, trigger);
  }

  private logFailure(rule: LoadedRule, error: unknown): void {
    const now = Date.now();
    if (now - rule.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    rule.lastErrorLog = now;
    const reason = error instanceof RuleEvaluationError ? error.reason : 'exception';
    this.context.logger.warn({ rule: rule.id, reason, err: error instanceof RuleEvaluationError ? undefined : error, error: (error as Error)?.message }, 'rule SQL failed on an input');
  }

  /** Stops listening to the broker (the rules stay, with their metrics). */
  close(): void {
    this.removePublishHook?.();
    this.removePublishHook = undefined;
    for (const [event, listener] of this.listeners) this.context.core.events.off(event, listener as never);
    this.listeners.clear();
  }
}

function isSys(message: Message): boolean {
  return message.topic.startsWith('$SYS/');
}


/** Runs SQL on a sample input (EMQX's rule_test): the output, or why there is none (400 bad SQL or input, 412 no match). */
export function testSql(sql: string, context: Record<string, unknown>, nodeName: string): TestResult {
  const event = eventOfTestContext(context);
  if (event === undefined) return { ok: false, status: 400, code: 'BAD_REQUEST', message: `context.event_type: unknown event type ${JSON.stringify(context['event_type'] ?? context['event'])}` };
  let compiled: CompiledSql;
  try {
    compiled = compileSql(sql, `sql_tester:${Date.now().toString(36)}`);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return { ok: false, status: 400, code: 'BAD_REQUEST', message: error.message };
    throw error;
  }
  const { columns, names } = testColumns(event, context, nodeName);
  const topics = topicsOfTestInput(event, columns);
  if (!compiled.from.some((from) => topics.some((topic) => topicMatches(from, topic)))) return { ok: false, status: 412, code: 'NOT_MATCH', message: 'SQL Not Match' };
  try {
    const output = compiled.evaluate(new EvaluationScope(columns, names));
    if (output === undefined) return { ok: false, status: 412, code: 'NOT_MATCH', message: 'SQL Not Match' };
    return { ok: true, output };
  } catch (error) {
    return { ok: false, status: 400, code: 'BAD_REQUEST', message: error instanceof Error ? error.message : String(error) };
  }
}
