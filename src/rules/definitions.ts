// Rules and their actions as written in the config file, the store and the API, and the checks they
// pass before the engine takes them. EMQX's JSON shapes: a rule is {sql, actions, enable,
// description}; an action is {function: "republish", args: {topic, qos, retain, payload,
// user_properties, mqtt_properties}}, {function: "console"}, or the name of a connector (optionally
// "<type>:<name>", as EMQX names bridges). Field names are snake_case in files and the API,
// camelCase in the library; both are accepted here.

import { isValidTopicFilter } from '../codec/validate.js';
import { SqlSyntaxError } from './sql/errors.js';
import { compileSql } from './sql/sql.js';
import { eventsMatching } from './events.js';
import { MQTT_PROPERTIES } from './republish-properties.js';

export interface RepublishArgs {
  topic: string;
  /** 0, 1, 2, or a template such as `${qos}`. */
  qos: number | string;
  /** true, false, or a template such as `${flags.retain}`. */
  retain: boolean | string;
  /** A template; empty: the rule's output as JSON. */
  payload: string;
  /** `${pub_props.'User-Property'}` keeps the input's user properties; `${field}` takes a map or [[key, value]] list from the output. */
  userProperties: string;
  /** Property name (EMQX's, e.g. Content-Type) to template. */
  mqttProperties: Record<string, string>;
}

export type ActionDefinition = { function: 'republish'; args: RepublishArgs } | { function: 'console' } | { connector: string };

export interface RuleDefinition {
  id: string;
  sql: string;
  actions: ActionDefinition[];
  enable: boolean;
  description: string;
  /** Milliseconds since the epoch (store and API rules). */
  createdAt?: number;
  updatedAt?: number;
}

/** A rule as given in options or JSON before it is checked: actions may be connector names, args partial, snake_case or camelCase. */
export interface RuleConfig {
  id?: string;
  sql: string;
  actions?: Array<ActionDefinition | string | { function: string; args?: Record<string, unknown> } | { connector: string }>;
  enable?: boolean;
  description?: string;
}

/** Where a rule comes from: the config file (read-only through the API) or the store. */
export type RuleOrigin = 'config' | 'store';

export class DefinitionError extends Error {
  constructor(
    /** The offending field, as the author spelled it: `sql`, `actions[1].args.topic`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'DefinitionError';
  }
}

const RULE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
export { MQTT_PROPERTIES };

export function checkRuleId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !RULE_ID.test(id)) throw new DefinitionError(field, `expected 1 to 128 characters of letters, digits, _ . : -, got ${JSON.stringify(id)}`);
  return id;
}

type Fields = Record<string, unknown>;

function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DefinitionError(field, `expected an object, got ${JSON.stringify(value)}`);
  return value as Fields;
}

/** A field under its snake_case or camelCase name. */
function pick(fields: Fields, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return fields[snake] ?? fields[camel];
}

function knownKeys(fields: Fields, allowed: readonly string[], field: string): void {
  const names = new Set(allowed.flatMap((name) => [name, name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase())]));
  for (const key of Object.keys(fields)) {
    if (!names.has(key)) throw new DefinitionError(field === '' ? key : `${field}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

/**
 * Checks a rule (its SQL is parsed and compiled, so a syntax error comes back with its line and
 * column) and completes it with defaults. `connectorExists` checks action references.
 */
export function checkRuleDefinition(id: string, input: unknown, connectorExists: (name: string) => boolean, field = ''): RuleDefinition {
  const prefix = field === '' ? '' : `${field}.`;
  checkRuleId(id, field === '' ? 'id' : field);
  const fields = object(input, field === '' ? 'rule' : field);
  knownKeys(fields, ['id', 'sql', 'actions', 'enable', 'description', 'name', 'metadata', 'created_at', 'updated_at', 'last_modified_at', 'from'], field);
  const sql = fields['sql'];
  if (typeof sql !== 'string' || sql.trim() === '') throw new DefinitionError(`${prefix}sql`, 'expected the rule\'s SQL, e.g. SELECT * FROM "t/#"');
  checkSql(sql, id, `${prefix}sql`);
  const enable = fields['enable'] ?? true;
  if (typeof enable !== 'boolean') throw new DefinitionError(`${prefix}enable`, `expected true or false, got ${JSON.stringify(enable)}`);
  const description = fields['description'] ?? '';
  if (typeof description !== 'string') throw new DefinitionError(`${prefix}description`, 'expected a string');
  const actions = fields['actions'] ?? [];
  if (!Array.isArray(actions)) throw new DefinitionError(`${prefix}actions`, 'expected a list of actions');
  const rule: RuleDefinition = {
    id,
    sql,
    enable,
    description,
    actions: actions.map((action, index) => checkAction(action, `${prefix}actions[${index}]`, connectorExists)),
  };
  const createdAt = pick(fields, 'created_at');
  if (typeof createdAt === 'number') rule.createdAt = createdAt;
  const updatedAt = pick(fields, 'updated_at');
  if (typeof updatedAt === 'number') rule.updatedAt = updatedAt;
  return rule;
}

/** Parses and compiles the SQL and checks its FROM entries; throws DefinitionError naming line and column. */
export function checkSql(sql: string, id: string, field: string): void {
  let from: string[];
  try {
    from = compileSql(sql, id).from;
  } catch (error) {
    if (error instanceof SqlSyntaxError) throw new DefinitionError(field, error.message);
    throw error;
  }
  for (const source of from) checkFrom(source, field);
}

export function checkFrom(source: string, field: string): void {
  if (source.startsWith('$events/')) {
    if (eventsMatching(source).length === 0) throw new DefinitionError(field, `FROM "${source}": no such event (see the README's list of events)`);
    return;
  }
  if (source.startsWith('$bridges/')) throw new DefinitionError(field, `FROM "${source}": bridge sources are not supported`);
  if (!isValidTopicFilter(source)) throw new DefinitionError(field, `FROM "${source}": not a valid topic filter`);
}

function checkAction(input: unknown, field: string, connectorExists: (name: string) => boolean): ActionDefinition {
  if (typeof input === 'string') return { connector: connectorReference(input, field, connectorExists) };
  const fields = object(input, field);
  if (fields['connector'] !== undefined) {
    knownKeys(fields, ['connector'], field);
    if (typeof fields['connector'] !== 'string') throw new DefinitionError(`${field}.connector`, 'expected a connector name');
    return { connector: connectorReference(fields['connector'], `${field}.connector`, connectorExists) };
  }
  knownKeys(fields, ['function', 'args'], field);
  const name = fields['function'];
  if (name === 'console') return { function: 'console' };
  if (name !== 'republish') throw new DefinitionError(`${field}.function`, `expected republish or console (or give a connector's name), got ${JSON.stringify(name)}`);
  return { function: 'republish', args: checkRepublish(fields['args'], `${field}.args`) };
}

/** `name` or EMQX's `<type>:<name>`; the name must be a configured connector. */
function connectorReference(reference: string, field: string, connectorExists: (name: string) => boolean): string {
  const name = reference.includes(':') ? reference.slice(reference.indexOf(':') + 1) : reference;
  if (!connectorExists(name)) throw new DefinitionError(field, `no connector named ${JSON.stringify(name)} (see connectors)`);
  return name;
}

function checkRepublish(input: unknown, field: string): RepublishArgs {
  const fields = object(input, field);
  knownKeys(fields, ['topic', 'qos', 'retain', 'payload', 'user_properties', 'mqtt_properties', 'direct_dispatch'], field);
  const topic = fields['topic'];
  if (typeof topic !== 'string' || topic === '') throw new DefinitionError(`${field}.topic`, 'expected a topic (it may hold ${field} templates)');
  if (!topic.includes('${') && (topic.includes('+') || topic.includes('#'))) throw new DefinitionError(`${field}.topic`, 'a topic to publish to has no wildcards');
  const qos = fields['qos'] ?? 0;
  if (!(qos === 0 || qos === 1 || qos === 2 || (typeof qos === 'string' && qos.startsWith('${')))) throw new DefinitionError(`${field}.qos`, `expected 0, 1, 2 or a template such as "\${qos}", got ${JSON.stringify(qos)}`);
  const retain = fields['retain'] ?? false;
  if (!(typeof retain === 'boolean' || (typeof retain === 'string' && retain.startsWith('${')))) throw new DefinitionError(`${field}.retain`, `expected true, false or a template such as "\${flags.retain}", got ${JSON.stringify(retain)}`);
  const payload = fields['payload'] ?? '';
  if (typeof payload !== 'string') throw new DefinitionError(`${field}.payload`, 'expected a template string');
  const userProperties = pick(fields, 'user_properties') ?? '';
  if (typeof userProperties !== 'string') throw new DefinitionError(`${field}.user_properties`, 'expected a template such as "${pub_props.\'User-Property\'}"');
  const mqttProperties = pick(fields, 'mqtt_properties') ?? {};
  const properties = object(mqttProperties, `${field}.mqtt_properties`);
  for (const [name, template] of Object.entries(properties)) {
    if (!(MQTT_PROPERTIES as readonly string[]).includes(name)) throw new DefinitionError(`${field}.mqtt_properties.${name}`, `expected one of ${MQTT_PROPERTIES.join(', ')}`);
    if (typeof template !== 'string') throw new DefinitionError(`${field}.mqtt_properties.${name}`, 'expected a template string');
  }
  return { topic, qos: qos as number | string, retain: retain as boolean | string, payload, userProperties, mqttProperties: properties as Record<string, string> };
}

/** The EMQX JSON form of an action (the API shows this). */
export function actionToJson(action: ActionDefinition): unknown {
  if ('connector' in action) return action.connector;
  if (action.function === 'console') return { function: 'console' };
  const { topic, qos, retain, payload, userProperties, mqttProperties } = action.args;
  return { function: 'republish', args: { topic, qos, retain, payload, user_properties: userProperties, mqtt_properties: mqttProperties } };
}
