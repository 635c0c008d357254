// The admin API as REST requests with JSON bodies: routes a request to an operation of
// operations.ts and answers with a status and a JSON body (`{error}` when refused). Transport-free:
// the broker's admin endpoint (server.ts) serves it over a Unix socket, and `starling ctl` runs it
// in-process on a stopped broker's data directory, so both paths share every check and message.
//
//   GET    /users                      -> 200 [{username, superuser, clientId?}]
//   POST   /users                      {username, password, superuser?, clientId?, force?} -> 201 user
//   PUT    /users/:username/password   {password, force?} -> 200 {username}
//   DELETE /users/:username            -> 200 {username}
//   POST   /stop                       -> 202 {stopping: true}   (409 when no broker runs, or it is embedded)
//   GET    /admins                     -> 200 [{username, description, role, createdAt}]
//   POST   /admins                     {username, password, description?, role?} -> 201 admin
//   PUT    /admins/:username/password  {password} -> 200 {username}
//   DELETE /admins/:username           -> 200 {username}
//   GET    /acl/rules                  -> 200 [{id, permission, action, topic, username?, clientId?}]
//   POST   /acl/rules                  {permission, action, topic, username?, clientId?, position?: first|last} -> 201 rule
//   DELETE /acl/rules/:id              -> 200 {id}
//   GET    /bans                       -> 200 [{kind, value, until?, reason?, createdAt, by}]
//   POST   /bans                       {kind, value, duration? (seconds), reason?} -> 201 ban
//   DELETE /bans/:kind/:value          -> 200 {kind, value}   (value URL-encoded: 10.0.0.0%2F8)
//   GET    /rules                      -> 200 [rule]   (rule engine rules, EMQX's JSON)
//   POST   /rules                      {id?, sql, actions?, enable?, description?} -> 201 rule
//   GET    /rules/:id                  -> 200 rule
//   PUT    /rules/:id                  {sql?, actions?, enable?, description?} -> 200 rule
//   DELETE /rules/:id                  -> 200 {id}
//   GET    /rules/:id/metrics          -> 200 {id, metrics, node_metrics}   (409 on a stopped broker)
//   POST   /rule_test                  {sql, context?} -> 200 output   (412 when the SQL does not match)
//   GET    /connectors                 -> 200 [connector]
//   POST   /connectors                 {name, type, ...} -> 201 connector
//   GET    /connectors/:name           -> 200 connector
//   DELETE /connectors/:name           -> 200 {name}

import type { BanKind } from '../auth/bans.js';
import type { AclAction, AclPermission } from '../config/types.js';
import { isPasswordHashAlgorithm, PASSWORD_HASH_ALGORITHMS, type PasswordHashAlgorithm } from '../auth/password-hash.js';
import type { AdminRole } from './admins.js';
import {
  createConnector,
  createEngineRule,
  deleteConnector,
  deleteEngineRule,
  engineRuleMetrics,
  listConnectors,
  listEngineRules,
  showConnector,
  showEngineRule,
  testEngineSql,
  updateEngineRule,
  type RuleEngineAdmin,
} from './rule-engine-operations.js';
import {
  addAdmin,
  addBan,
  addRule,
  addUser,
  AdminError,
  deleteAdmin,
  deleteBan,
  deleteRule,
  deleteUser,
  listAdmins,
  listBans,
  listRules,
  requestStop,
  listUsers,
  setAdminPassword,
  setUserPassword,
  type AdminContext,
  type NewRule,
} from './operations.js';

export interface AdminRequest {
  method: string;
  /** The request target; a query string is ignored. */
  path: string;
  body?: unknown;
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

type Params = Record<string, string>;

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path segments; `:name` captures one (URL-decoded). */
  pattern: readonly string[];
  status?: number;
  run(context: AdminContext, params: Params, body: Body): unknown;
}

/** The rule engine side of a request: the running broker's engine, or the data directory alone. */
function ruleEngine(context: AdminContext): RuleEngineAdmin {
  return context.ruleEngine ?? { service: undefined, nodeName: 'starling' };
}

const routes: readonly Route[] = [
  { method: 'GET', pattern: ['users'], run: (context) => listUsers(context) },
  {
    method: 'POST',
    pattern: ['users'],
    status: 201,
    run: (context, _params, body) =>
      addUser(context, {
        username: body.string('username'),
        password: body.string('password'),
        ...body.optional('superuser', 'boolean'),
        ...body.optional('clientId', 'string'),
        ...body.optional('force', 'boolean'),
        ...passwordHashOf(body),
      }),
  },
  {
    method: 'PUT',
    pattern: ['users', ':username', 'password'],
    run: (context, params, body) =>
      setUserPassword(context, params['username']!, body.string('password'), { ...body.optional('force', 'boolean'), ...passwordHashOf(body) }),
  },
  { method: 'DELETE', pattern: ['users', ':username'], run: (context, params) => deleteUser(context, params['username']!) },
  { method: 'POST', pattern: ['stop'], status: 202, run: (context) => requestStop(context) },
  { method: 'GET', pattern: ['admins'], run: (context) => listAdmins(context) },
  {
    method: 'POST',
    pattern: ['admins'],
    status: 201,
    run: (context, _params, body) =>
      addAdmin(context, {
        username: body.string('username'),
        password: body.string('password'),
        ...body.optional('description', 'string'),
        ...(body.optional('role', 'string') as { role?: AdminRole }),
      }),
  },
  { method: 'PUT', pattern: ['admins', ':username', 'password'], run: (context, params, body) => setAdminPassword(context, params['username']!, body.string('password')) },
  { method: 'DELETE', pattern: ['admins', ':username'], run: (context, params) => deleteAdmin(context, params['username']!) },
  { method: 'GET', pattern: ['acl', 'rules'], run: (context) => listRules(context) },
  {
    method: 'POST',
    pattern: ['acl', 'rules'],
    status: 201,
    run: (context, _params, body) => {
      const position = body.optional('position', 'string').position;
      if (position !== undefined && position !== 'first' && position !== 'last') throw new AdminError(400, `position must be first or last, got "${position}"`);
      const rule: NewRule = {
        permission: body.string('permission') as AclPermission,
        action: body.string('action') as AclAction,
        topic: body.string('topic'),
        ...body.optional('username', 'string'),
        ...body.optional('clientId', 'string'),
      };
      if (position !== undefined) rule.position = position;
      return addRule(context, rule);
    },
  },
  { method: 'DELETE', pattern: ['acl', 'rules', ':id'], run: (context, params) => deleteRule(context, params['id']!) },
  { method: 'GET', pattern: ['bans'], run: (context) => listBans(context) },
  {
    method: 'POST',
    pattern: ['bans'],
    status: 201,
    run: (context, _params, body) =>
      addBan(context, {
        kind: body.string('kind') as BanKind,
        value: body.string('value'),
        ...body.optional('duration', 'number'),
        ...body.optional('reason', 'string'),
      }),
  },
  { method: 'DELETE', pattern: ['bans', ':kind', ':value'], run: (context, params) => deleteBan(context, params['kind']!, params['value']!) },
  { method: 'GET', pattern: ['rules'], run: (context) => listEngineRules(context, ruleEngine(context)) },
  { method: 'POST', pattern: ['rules'], status: 201, run: (context, _params, body) => createEngineRule(context, ruleEngine(context), body.raw) },
  { method: 'GET', pattern: ['rules', ':id'], run: (context, params) => showEngineRule(context, ruleEngine(context), params['id']!) },
  { method: 'PUT', pattern: ['rules', ':id'], run: (context, params, body) => updateEngineRule(context, ruleEngine(context), params['id']!, body.raw) },
  { method: 'DELETE', pattern: ['rules', ':id'], run: (context, params) => deleteEngineRule(context, ruleEngine(context), params['id']!) },
  { method: 'GET', pattern: ['rules', ':id', 'metrics'], run: (context, params) => engineRuleMetrics(context, ruleEngine(context), params['id']!) },
  { method: 'POST', pattern: ['rule_test'], run: (context, _params, body) => testEngineSql(context, ruleEngine(context), body.raw) },
  { method: 'GET', pattern: ['connectors'], run: (context) => listConnectors(context, ruleEngine(context)) },
  { method: 'POST', pattern: ['connectors'], status: 201, run: (context, _params, body) => createConnector(context, ruleEngine(context), body.raw) },
  { method: 'GET', pattern: ['connectors', ':name'], run: (context, params) => showConnector(context, ruleEngine(context), params['name']!) },
  { method: 'DELETE', pattern: ['connectors', ':name'], run: (context, params) => deleteConnector(context, ruleEngine(context), params['name']!) },
];

/** Runs one admin request; refusals (bad input, unknown names) come back as 4xx, never thrown. */
export async function handleAdminRequest(context: AdminContext, request: AdminRequest): Promise<AdminResponse> {
  try {
    const segments = pathSegments(request.path);
    const matching = routes.filter((route) => matchPattern(route.pattern, segments) !== undefined);
    if (matching.length === 0) return refusal(404, `no such admin resource: ${request.path}`);
    const route = matching.find((candidate) => candidate.method === request.method);
    if (route === undefined) {
      return refusal(405, `${request.method} is not allowed on ${request.path} (allowed: ${matching.map((candidate) => candidate.method).join(', ')})`);
    }
    const body = new Body(route.method === 'POST' || route.method === 'PUT' ? request.body : {});
    const result = await route.run(context, matchPattern(route.pattern, segments)!, body);
    return { status: route.status ?? 200, body: result };
  } catch (error) {
    if (error instanceof AdminError) return { status: error.status, body: error.code === undefined ? { error: error.message } : { error: error.message, code: error.code } };
    throw error;
  }
}

function refusal(status: number, message: string): AdminResponse {
  return { status, body: { error: message } };
}

function pathSegments(path: string): string[] {
  const withoutQuery = path.split('?', 1)[0]!;
  return withoutQuery.split('/').filter((segment) => segment !== '').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new AdminError(400, `malformed URL encoding in ${path}`);
    }
  });
}

function matchPattern(pattern: readonly string[], segments: readonly string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index]!;
    const actual = segments[index]!;
    if (expected.startsWith(':')) params[expected.slice(1)] = actual;
    else if (expected !== actual) return undefined;
  }
  return params;
}

type FieldType = 'string' | 'boolean' | 'number';
type FieldValue<T extends FieldType> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;

/** A JSON request body with typed field access; a missing or mistyped field is a 400 naming it. */
class Body {
  private readonly fields: Record<string, unknown>;

  constructor(body: unknown) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new AdminError(400, 'the request body must be a JSON object');
    this.fields = body as Record<string, unknown>;
  }

  /** The whole body, for operations that check nested JSON themselves (rules, connectors). */
  get raw(): Record<string, unknown> {
    return this.fields;
  }

  string(name: string): string {
    const value = this.fields[name];
    if (typeof value !== 'string') throw new AdminError(400, `${name}: expected a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    return value;
  }

  /** `{[name]: value}` when the field is present, else `{}` (spreads into an options object). */
  optional<T extends FieldType>(name: string, type: T): { [key: string]: FieldValue<T> | undefined } {
    const value = this.fields[name];
    if (value === undefined || value === null) return {};
    if (typeof value !== type) throw new AdminError(400, `${name}: expected a ${type}, got ${JSON.stringify(value)}`);
    return { [name]: value as FieldValue<T> };
  }
}

/** The optional `hash` field: one of the password hash algorithms. */
function passwordHashOf(body: Body): { hash?: PasswordHashAlgorithm } {
  const { hash } = body.optional('hash', 'string');
  if (hash === undefined) return {};
  if (!isPasswordHashAlgorithm(hash)) throw new AdminError(400, `hash: expected one of ${PASSWORD_HASH_ALGORITHMS.join(', ')}, got ${JSON.stringify(hash)}`);
  return { hash };
}
