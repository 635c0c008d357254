// The management operations of the rule engine (EMQX's /api/v5/rules, /rule_test, /connectors and
// `emqx ctl rules`), transport-free like operations.ts: the admin socket and `starling ctl` run them,
// and the HTTP API maps them to routes. Rules and connectors created here live in the store (kinds
// `rule` and `connector`); those of the config file are shown but not changed here (409). With a
// running broker a change applies at once; on a stopped broker's data directory it applies at start.
// Results are EMQX's JSON shapes (snake_case, created_at as RFC 3339).

import { randomBytes } from 'node:crypto';
import type { RecordStore } from '../store/store.js';
import { actionToJson, checkRuleDefinition, checkRuleId, DefinitionError, type RuleDefinition, type RuleOrigin } from '../rules/definitions.js';
import { checkConnectorDefinition, publicSettings, type ConnectorSettings } from '../rules/connectors/config.js';
import { testSql } from '../rules/engine.js';
import { compileSql } from '../rules/sql/sql.js';
import { jsonEncode, type ValueMap } from '../rules/sql/values.js';
import type { RuleService } from '../rules/service.js';
import { AdminError, type AdminContext } from './operations.js';

/** The rule engine part of the admin context: the running broker's, or none (a data directory). */
export interface RuleEngineAdmin {
  service: RuleService | undefined;
  nodeName: string;
}

export interface RuleJson {
  id: string;
  name: string;
  sql: string;
  from: string[];
  actions: unknown[];
  enable: boolean;
  description: string;
  created_at: string | null;
  last_modified_at: string | null;
  /** Starling: config (read-only here) or store. */
  origin: RuleOrigin;
}

function records(context: AdminContext): RecordStore {
  return context.records;
}

function iso(time: number | undefined): string | null {
  return time === undefined ? null : new Date(time).toISOString();
}

function ruleJson(definition: RuleDefinition, origin: RuleOrigin): RuleJson {
  let from: string[] = [];
  try {
    from = compileSql(definition.sql, definition.id).from;
  } catch {
    // A stored rule whose SQL no longer compiles is still listed.
  }
  return {
    id: definition.id,
    name: definition.id,
    sql: definition.sql,
    from,
    actions: definition.actions.map(actionToJson),
    enable: definition.enable,
    description: definition.description,
    created_at: iso(definition.createdAt),
    last_modified_at: iso(definition.updatedAt),
    origin,
  };
}

function asAdminError(error: unknown): never {
  if (error instanceof DefinitionError) throw new AdminError(400, error.message);
  throw error;
}

/** Every rule (config file and store) by id; from the running engine when there is one. */
function allRules(context: AdminContext, admin: RuleEngineAdmin): Map<string, { definition: RuleDefinition; origin: RuleOrigin }> {
  const rules = new Map<string, { definition: RuleDefinition; origin: RuleOrigin }>();
  if (admin.service !== undefined) {
    for (const rule of admin.service.engine.list()) rules.set(rule.id, { definition: rule.definition, origin: rule.origin });
    return rules;
  }
  for (const [id, definition] of records(context).list<RuleDefinition>('rule')) rules.set(id, { definition: { ...definition, id }, origin: 'store' });
  return rules;
}

function connectorExists(context: AdminContext, admin: RuleEngineAdmin): (name: string) => boolean {
  if (admin.service !== undefined) return (name) => admin.service!.connectors.get(name) !== undefined;
  // On a stopped broker the config file's connectors are unknown here; the reference is checked when it starts.
  return () => true;
}

async function committed(context: AdminContext, visible: () => boolean): Promise<void> {
  await context.committed?.(visible);
}

// --- rules -------------------------------------------------------------------------------------

export function listEngineRules(context: AdminContext, admin: RuleEngineAdmin): RuleJson[] {
  return [...allRules(context, admin).values()].map(({ definition, origin }) => ruleJson(definition, origin)).sort((a, b) => a.id.localeCompare(b.id));
}

export function showEngineRule(context: AdminContext, admin: RuleEngineAdmin, id: string): RuleJson {
  const rule = allRules(context, admin).get(id);
  if (rule === undefined) throw new AdminError(404, `Rule Id Not Found: ${id}`);
  return ruleJson(rule.definition, rule.origin);
}

/** POST /rules: {id?, sql, actions?, enable?, description?}; without an id one is made (rule_<8 hex>). */
export async function createEngineRule(context: AdminContext, admin: RuleEngineAdmin, body: unknown): Promise<RuleJson> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminError(400, 'the request body must be a JSON object {sql, actions, ...}');
  const fields = body as Record<string, unknown>;
  let id = fields['id'] ?? fields['name'];
  if (id === undefined) id = `rule_${randomBytes(4).toString('hex')}`;
  try {
    checkRuleId(id);
  } catch (error) {
    asAdminError(error);
  }
  const ruleId = id as string;
  if (allRules(context, admin).has(ruleId)) throw new AdminError(409, `rule ${ruleId} already exists`);
  const now = Date.now();
  let definition: RuleDefinition;
  try {
    definition = checkRuleDefinition(ruleId, { ...fields, id: ruleId, name: undefined }, connectorExists(context, admin));
  } catch (error) {
    asAdminError(error);
  }
  definition.createdAt = now;
  definition.updatedAt = now;
  await save(context, admin, definition);
  return ruleJson(definition, 'store');
}

/** PUT /rules/{id}: the fields given replace the rule's (EMQX: enable alone enables or disables it). */
export async function updateEngineRule(context: AdminContext, admin: RuleEngineAdmin, id: string, body: unknown): Promise<RuleJson> {
  const existing = allRules(context, admin).get(id);
  if (existing === undefined) throw new AdminError(404, `Rule Id Not Found: ${id}`);
  if (existing.origin === 'config') throw new AdminError(409, `rule ${id} is defined in the config file; change it there`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminError(400, 'the request body must be a JSON object');
  const current = existing.definition;
  const merged = { sql: current.sql, actions: current.actions.map(actionToJson), enable: current.enable, description: current.description, ...(body as Record<string, unknown>), id };
  delete (merged as Record<string, unknown>)['name'];
  let definition: RuleDefinition;
  try {
    definition = checkRuleDefinition(id, merged, connectorExists(context, admin));
  } catch (error) {
    asAdminError(error);
  }
  if (current.createdAt !== undefined) definition.createdAt = current.createdAt;
  definition.updatedAt = Date.now();
  await save(context, admin, definition);
  return ruleJson(definition, 'store');
}

async function save(context: AdminContext, admin: RuleEngineAdmin, definition: RuleDefinition): Promise<void> {
  const stored = JSON.parse(jsonEncode(definition as unknown as ValueMap)) as Record<string, unknown>;
  records(context).save('rule', definition.id, stored);
  await committed(context, () => records(context).get('rule', definition.id) !== undefined);
  if (admin.service !== undefined) {
    try {
      admin.service.engine.upsert(definition, 'store');
    } catch (error) {
      asAdminError(error);
    }
  }
}

export async function deleteEngineRule(context: AdminContext, admin: RuleEngineAdmin, id: string): Promise<{ id: string }> {
  const existing = allRules(context, admin).get(id);
  if (existing === undefined) throw new AdminError(404, `Rule Id Not Found: ${id}`);
  if (existing.origin === 'config') throw new AdminError(409, `rule ${id} is defined in the config file; remove it there`);
  records(context).delete('rule', id);
  await committed(context, () => records(context).get('rule', id) === undefined);
  admin.service?.engine.remove(id);
  return { id };
}

/** GET /rules/{id}/metrics: EMQX's {id, metrics, node_metrics}; the counters of the running broker. */
export function engineRuleMetrics(context: AdminContext, admin: RuleEngineAdmin, id: string): { id: string; metrics: Record<string, number>; node_metrics: Array<{ node: string; metrics: Record<string, number> }> } {
  if (admin.service === undefined) {
    if (records(context).get('rule', id) === undefined) throw new AdminError(404, `Rule Id Not Found: ${id}`);
    throw new AdminError(409, 'no broker is running on this data directory: metrics exist only while it runs');
  }
  const rule = admin.service.engine.get(id);
  if (rule === undefined) throw new AdminError(404, `Rule Id Not Found: ${id}`);
  const metrics = rule.metrics.toJson();
  return { id, metrics, node_metrics: [{ node: admin.nodeName, metrics }] };
}

/** POST /rule_test: {sql, context}: the SQL's output on a sample input, with no action run. */
export function testEngineSql(_context: AdminContext, admin: RuleEngineAdmin, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminError(400, 'the request body must be a JSON object {sql, context}');
  const { sql, context: input } = body as { sql?: unknown; context?: unknown };
  if (typeof sql !== 'string' || sql.trim() === '') throw new AdminError(400, 'sql: expected the SQL to test');
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) throw new AdminError(400, 'context: expected an object (the sample input\'s fields)');
  const result = testSql(sql, (input ?? {}) as Record<string, unknown>, admin.nodeName);
  if (!result.ok) throw new AdminError(result.status, result.message, result.code);
  return JSON.parse(jsonEncode(result.output as ValueMap)) as unknown;
}

// --- connectors --------------------------------------------------------------------------------

export function listConnectors(context: AdminContext, admin: RuleEngineAdmin): Array<Record<string, unknown>> {
  if (admin.service !== undefined) {
    const manager = admin.service.connectors;
    return manager.list().map((managed) => manager.describe(managed));
  }
  return records(context)
    .list<ConnectorSettings>('connector')
    .map(([name, settings]) => storedConnectorJson(name, settings));
}

export function showConnector(context: AdminContext, admin: RuleEngineAdmin, name: string): Record<string, unknown> {
  const found = listConnectors(context, admin).find((connector) => connector['name'] === name);
  if (found === undefined) throw new AdminError(404, `no connector named ${name}`);
  return found;
}

/** POST /connectors: {name, type, ...settings}. */
export async function createConnector(context: AdminContext, admin: RuleEngineAdmin, body: unknown): Promise<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminError(400, 'the request body must be a JSON object {name, type, ...}');
  const name = (body as Record<string, unknown>)['name'];
  if (typeof name !== 'string') throw new AdminError(400, 'name: expected the connector\'s name');
  if (listConnectors(context, admin).some((connector) => connector['name'] === name)) throw new AdminError(409, `connector ${name} already exists`);
  let settings: ConnectorSettings;
  try {
    settings = checkConnectorDefinition(name, body).settings;
  } catch (error) {
    asAdminError(error);
  }
  records(context).save('connector', name, settings);
  await committed(context, () => records(context).get('connector', name) !== undefined);
  if (admin.service !== undefined) {
    try {
      await admin.service.connectors.add({ name, settings }, 'store');
    } catch (error) {
      records(context).delete('connector', name);
      asAdminError(error);
    }
  }
  if (admin.service !== undefined) return showConnector(context, admin, name);
  // On a data directory the write is read back only after its commit: describe it from what was saved.
  return storedConnectorJson(name, settings);
}

function storedConnectorJson(name: string, settings: ConnectorSettings): Record<string, unknown> {
  return { name, type: settings.type, enable: settings.enable, origin: 'store', status: 'disconnected', settings: publicSettings(settings) };
}

export async function deleteConnector(context: AdminContext, admin: RuleEngineAdmin, name: string): Promise<{ name: string }> {
  const found = showConnector(context, admin, name);
  if (found['origin'] === 'config') throw new AdminError(409, `connector ${name} is defined in the config file; remove it there`);
  const users = listEngineRules(context, admin).filter((rule) => rule.actions.some((action) => typeof action === 'string' && (action === name || action.endsWith(`:${name}`))));
  if (users.length > 0) throw new AdminError(409, `connector ${name} is used by rule ${users.map((rule) => rule.id).join(', ')}; remove it from their actions first`);
  records(context).delete('connector', name);
  await committed(context, () => records(context).get('connector', name) === undefined);
  await admin.service?.connectors.remove(name);
  return { name };
}
