// Checks for the rule engine's config sections: `rules` (rule id -> {sql, actions, enable,
// description}) and `connectors` (name -> {type, ...}). Each rule's SQL is parsed and compiled here,
// so a syntax error stops the broker at start with the key, line and column. Which connectors a
// rule's actions name is checked when the rules are loaded (rules/service.ts), against both sections.

import { ConfigError, showValue as show } from './config-error.js';
import { checkRuleDefinition, DefinitionError, type RuleDefinition } from '../rules/definitions.js';
import { checkConnectorDefinition, type ConnectorSettings } from '../rules/connectors/config.js';

function entries(value: unknown, label: string, origin: string, what: string): Array<[string, unknown]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(label, `${label}: expected a map of ${what} by name, got ${show(value)} (${origin})`);
  }
  return Object.entries(value);
}

function asConfigError(error: unknown, origin: string): never {
  if (error instanceof DefinitionError) throw new ConfigError(error.field, `${error.message} (${origin})`, { cause: error });
  throw error;
}

export function checkRules(value: unknown, label: string, origin: string): Record<string, RuleDefinition> {
  const rules: Record<string, RuleDefinition> = {};
  for (const [id, rule] of entries(value, label, origin, 'rules')) {
    try {
      rules[id] = checkRuleDefinition(id, rule, () => true, `${label}.${id}`);
    } catch (error) {
      asConfigError(error, origin);
    }
  }
  return rules;
}

export function checkConnectors(value: unknown, label: string, origin: string): Record<string, ConnectorSettings> {
  const connectors: Record<string, ConnectorSettings> = {};
  for (const [name, connector] of entries(value, label, origin, 'connectors')) {
    try {
      connectors[name] = checkConnectorDefinition(name, connector, `${label}.${name}`).settings;
    } catch (error) {
      asConfigError(error, origin);
    }
  }
  return connectors;
}
