// `starling ctl rules list|show|create|update|enable|disable|delete|test|metrics` and
// `starling ctl connectors list|show|create|delete`: the rule engine's management commands (EMQX has
// `emqx ctl rules list|show`; the rest are the API's operations). Arguments are checked here
// (usage errors exit 2 before anything is contacted) and turned into management API requests
// (src/api/routes/rules.ts), which ctl.ts sends to the running broker or runs on the data directory.

import { readFileSync } from 'node:fs';
import type { RuleJson } from '../admin/rule-engine-operations.js';
import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';

const COMMAND = 'starling ctl';

type Flags = Record<string, string | boolean>;

export const rulesUsage = `Usage: starling ctl rules <action> [options]

Manages the rule engine's rules (EMQX's SQL). Rules from the config file are listed but changed only
there. A running broker applies changes at once.

Actions:
  list                      list rules   [--json]
  show ID                   one rule, as JSON
  create ID --sql SQL       add a rule   [--actions JSON] [--description TEXT] [--disabled]
  create --file RULE.json   add a rule given as EMQX's JSON ({id, sql, actions, ...})
  update ID                 change a rule   [--sql SQL] [--actions JSON] [--description TEXT]
  enable ID | disable ID    switch a rule on or off
  delete ID                 remove a rule
  test --sql SQL            run SQL on a sample input, nothing else   [--context JSON]
  metrics ID                the rule's counters (running broker only)

--actions takes a JSON list, e.g. '[{"function":"republish","args":{"topic":"out/\${clientid}"}},"my_webhook"]'.
--context takes the sample input's fields, e.g. '{"topic":"t/1","payload":"{\\"temp\\":30}"}'
(event_type picks an event: client_connected, session_subscribed, ...).

Usage: starling ctl connectors <action> [options]

Actions:
  list                          list connectors with their status   [--json]
  show NAME                     one connector, with status and counters
  create --file CONNECTOR.json  add a connector ({name, type, ...}; see the README)
  delete NAME                   remove a connector no rule uses
`;

function parseJson(flag: string, value: string | boolean | undefined): unknown {
  if (typeof value !== 'string') throw new UsageError(`--${flag} takes JSON`, COMMAND);
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    throw new UsageError(`--${flag}: not JSON (${(error as Error).message})`, COMMAND);
  }
}

function readJsonFile(path: string | boolean | undefined): unknown {
  if (typeof path !== 'string') throw new UsageError('--file takes a path', COMMAND);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, COMMAND);
  }
  return parseJson('file', text);
}

function expectArgs(args: string[], count: number, usage: string): void {
  if (args.length !== count) throw new UsageError(usage, COMMAND);
}

function describeRule(rule: RuleJson): string {
  const state = rule.enable ? 'enabled' : 'disabled';
  return `${rule.id}  ${state}  ${rule.origin}  ${rule.sql.replace(/\s+/g, ' ')}\n`;
}

const json = (body: unknown): string => `${JSON.stringify(body, null, 2)}\n`;

export function rulesCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  const path = (id: string): string => `/api/v5/rules/${encodeURIComponent(id)}`;
  switch (action) {
    case 'list':
      expectArgs(args, 0, 'rules list takes no arguments');
      return {
        request: { method: 'GET', path: '/api/v5/rules?limit=10000' },
        print: (page) => {
          const rules = (page as { data: RuleJson[] }).data;
          return flags['json'] === true ? `${JSON.stringify(rules)}\n` : rules.map(describeRule).join('');
        },
      };
    case 'show':
      expectArgs(args, 1, 'rules show takes exactly one rule ID');
      return { request: { method: 'GET', path: path(args[0]!) }, print: json };
    case 'create': {
      let body: Record<string, unknown>;
      if (flags['file'] !== undefined) {
        if (args.length > 0 || flags['sql'] !== undefined) throw new UsageError('rules create --file takes no ID or --sql (they are in the file)', COMMAND);
        const file = readJsonFile(flags['file']);
        if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UsageError('--file: expected a JSON object {id, sql, actions, ...}', COMMAND);
        body = file as Record<string, unknown>;
      } else {
        expectArgs(args, 1, 'rules create takes a rule ID and --sql SQL (or --file RULE.json)');
        if (typeof flags['sql'] !== 'string') throw new UsageError('rules create needs --sql SQL', COMMAND);
        body = { id: args[0], sql: flags['sql'], enable: flags['disabled'] !== true };
        if (flags['actions'] !== undefined) body['actions'] = parseJson('actions', flags['actions']);
        if (typeof flags['description'] === 'string') body['description'] = flags['description'];
      }
      return { request: { method: 'POST', path: '/api/v5/rules', body }, print: (rule) => `rule ${(rule as RuleJson).id} created\n` };
    }
    case 'update': {
      expectArgs(args, 1, 'rules update takes exactly one rule ID');
      const body: Record<string, unknown> = {};
      if (typeof flags['sql'] === 'string') body['sql'] = flags['sql'];
      if (flags['actions'] !== undefined) body['actions'] = parseJson('actions', flags['actions']);
      if (typeof flags['description'] === 'string') body['description'] = flags['description'];
      if (Object.keys(body).length === 0) throw new UsageError('rules update needs --sql, --actions or --description', COMMAND);
      return { request: { method: 'PUT', path: path(args[0]!), body }, print: (rule) => `rule ${(rule as RuleJson).id} updated\n` };
    }
    case 'enable':
    case 'disable':
      expectArgs(args, 1, `rules ${action} takes exactly one rule ID`);
      return { request: { method: 'PUT', path: path(args[0]!), body: { enable: action === 'enable' } }, print: (rule) => `rule ${(rule as RuleJson).id} ${action}d\n` };
    case 'delete':
      expectArgs(args, 1, 'rules delete takes exactly one rule ID');
      return { request: { method: 'DELETE', path: path(args[0]!) }, print: () => `rule ${args[0]!} deleted\n` };
    case 'test': {
      expectArgs(args, 0, 'rules test takes --sql SQL [--context JSON], no ID');
      if (typeof flags['sql'] !== 'string') throw new UsageError('rules test needs --sql SQL', COMMAND);
      const body: Record<string, unknown> = { sql: flags['sql'] };
      if (flags['context'] !== undefined) body['context'] = parseJson('context', flags['context']);
      return { request: { method: 'POST', path: '/api/v5/rule_test', body }, print: json };
    }
    case 'metrics':
      expectArgs(args, 1, 'rules metrics takes exactly one rule ID');
      return { request: { method: 'GET', path: `${path(args[0]!)}/metrics` }, print: json };
    case undefined:
      throw new UsageError('missing action: list, show, create, update, enable, disable, delete, test or metrics', COMMAND);
    default:
      throw new UsageError(`unknown action "${action}" (expected: list, show, create, update, enable, disable, delete, test, metrics)`, COMMAND);
  }
}

export function connectorsCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  const path = (name: string): string => `/api/v5/connectors/${encodeURIComponent(name)}`;
  switch (action) {
    case 'list':
      expectArgs(args, 0, 'connectors list takes no arguments');
      return {
        request: { method: 'GET', path: '/api/v5/connectors' },
        print: (connectors) =>
          flags['json'] === true
            ? `${JSON.stringify(connectors)}\n`
            : (connectors as Array<Record<string, unknown>>).map((connector) => `${String(connector['name'])}  ${String(connector['type'])}  ${String(connector['status'])}\n`).join(''),
      };
    case 'show':
      expectArgs(args, 1, 'connectors show takes exactly one NAME');
      return { request: { method: 'GET', path: path(args[0]!) }, print: json };
    case 'create': {
      expectArgs(args, 0, 'connectors create takes --file CONNECTOR.json');
      const body = readJsonFile(flags['file']);
      return { request: { method: 'POST', path: '/api/v5/connectors', body }, print: (connector) => `connector ${String((connector as Record<string, unknown>)['name'])} created\n` };
    }
    case 'delete':
      expectArgs(args, 1, 'connectors delete takes exactly one NAME');
      return { request: { method: 'DELETE', path: path(args[0]!) }, print: () => `connector ${args[0]!} deleted\n` };
    case undefined:
      throw new UsageError('missing action: list, show, create or delete', COMMAND);
    default:
      throw new UsageError(`unknown action "${action}" (expected: list, show, create, delete)`, COMMAND);
  }
}
