// The rule engine as its routes answer (src/api/routes/rules.ts: /rules, /rules/{id}/metrics,
// /rule_test, /rule_events, /connectors), and reading the parser's line and column out of its errors.

export interface RepublishArgs {
  topic: string;
  qos?: number | string;
  retain?: boolean | string;
  payload?: string;
  user_properties?: string;
  mqtt_properties?: Record<string, string>;
  [other: string]: unknown;
}

/** A connector's name (or `<type>:<name>`), republish, console, or `{connector}`. */
export type RuleAction = string | { function: 'republish'; args: RepublishArgs } | { function: 'console'; args?: Record<string, never> } | { connector: string };

export interface Rule {
  id: string;
  sql: string;
  from: string[];
  actions: RuleAction[];
  enable: boolean;
  description: string;
  created_at: string | null;
  last_modified_at: string | null;
  /** config: from the config file, read-only through the API; store: made through the API or ctl. */
  origin: 'config' | 'store';
}

export interface RuleMetrics {
  id: string;
  metrics: Record<string, number>;
}

export interface Connector {
  name: string;
  type: string;
  enable: boolean;
  origin: 'config' | 'store';
  status: 'connected' | 'connecting' | 'disconnected';
  status_reason?: string | null;
  metrics?: Record<string, number>;
  settings: Record<string, unknown>;
}

export interface RuleEvent {
  /** `message.publish`, `client.connected`, ... */
  event: string;
  event_topics: string[];
  columns: string[];
}

/** EMQX's counters worth reading; the `.rate` ones are not computed (always 0) and left out. */
export const RULE_COUNTERS = ['matched', 'passed', 'failed', 'failed.exception', 'failed.no_result', 'actions.total', 'actions.success', 'actions.failed', 'actions.failed.out_of_service', 'actions.failed.unknown', 'actions.discarded'] as const;

export interface SqlPosition {
  line: number;
  column: number;
  /** What the parser says after the position. */
  detail: string;
}

/** `sql: line 2, column 1: expected ',' or FROM, found WHERE` → {line: 2, column: 1, detail}. */
export function sqlPosition(message: string): SqlPosition | undefined {
  const found = /line (\d+), column (\d+): (.*)$/s.exec(message);
  if (found === null) return undefined;
  return { line: Number(found[1]), column: Number(found[2]), detail: found[3]! };
}

/** The offset into `sql` of a 1-based line and column (clamped to the text). */
export function offsetOf(sql: string, position: { line: number; column: number }): number {
  const lines = sql.split('\n');
  let offset = 0;
  for (let index = 0; index < position.line - 1 && index < lines.length; index++) offset += lines[index]!.length + 1;
  const line = lines[Math.min(position.line, lines.length) - 1] ?? '';
  return Math.min(offset + Math.max(0, position.column - 1), offset + line.length);
}

/** The event a FROM entry names (`$events/client_connected` or `$events/client/connected`), if any. */
export function eventOfFrom(from: string, events: readonly RuleEvent[]): RuleEvent | undefined {
  return events.find((event) => event.event_topics.includes(from));
}

/** The FROM entries of a SELECT or FOREACH, read loosely from the text (the server parses for real). */
export function fromEntries(sql: string): string[] {
  const clause = /\bFROM\s+((?:"[^"]*"\s*,?\s*)+)/i.exec(sql.replace(/--[^\n]*/g, ''));
  if (clause === null) return [];
  return [...clause[1]!.matchAll(/"([^"]*)"/g)].map((entry) => entry[1]!);
}

/** A topic a filter matches (`sensors/+/temp` → `sensors/1/temp`), to fill in a sample message. */
export function topicFor(filter: string): string {
  return filter
    .split('/')
    .map((level) => (level === '+' ? '1' : level === '#' ? 'x' : level))
    .join('/');
}
