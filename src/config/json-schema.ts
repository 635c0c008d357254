// The configuration as a JSON Schema (draft 2020-12), derived from the same definitions that
// validation walks (schema.ts, auth-schema.ts, security-schema.ts), for editors and the OpenAPI document.
// Everything is inline (no $ref), so the object can be embedded anywhere as it is.

import { defaultConfig } from './defaults.js';
import { authenticatorTypeNames, fieldsByType, jwtKeySources, requiredAuthenticatorFields, type AuthenticatorField } from './auth-schema.js';
import {
  configKeys,
  configSchema,
  listenerFields,
  listenerFieldTypes,
  listenerTypes,
  requiredListenerFields,
  requiredListenerFieldsByType,
  requiredSniFields,
  sniFields,
  snakeName,
  unbounded,
  type KeyStyle,
  type ListenerField,
  type ListenerSetting,
  type Setting,
} from './schema.js';
import { managementFields, managementListenerFields, managementDefaults, defaultManagementListener } from './management-schema.js';
import { banFields, banSubjects, requiredRuleFields, ruleFields, sections, type SectionField, type SectionName } from './security-schema.js';
import { clusterFields } from './cluster-schema.js';
import type { AuthenticatorType, ListenerType } from './types.js';
import { connectorFieldDescriptions } from '../rules/connectors/config.js';

export type JsonSchema = { [keyword: string]: unknown };

export interface JsonSchemaOptions {
  /** `snake` (the default): keys as a config file spells them; `camel`: as createBroker() takes them. */
  keys?: KeyStyle;
}

/** The whole configuration file (or, with `keys: 'camel'`, the library options) as a JSON Schema. */
export function configJsonSchema(options: JsonSchemaOptions = {}): JsonSchema {
  const name = options.keys === 'camel' ? (key: string) => key : snakeName;
  const defaults = defaultConfig() as unknown as Record<string, unknown>;
  const properties: Record<string, JsonSchema> = {};
  for (const key of configKeys) {
    const setting = configSchema[key];
    const schema = { ...settingSchema(key, setting, name), description: setting.description };
    // A default that depends on the machine (node_name, log_pretty) or an unset key with a meaning of its own has none;
    // sections (acl, lockout, ...) have theirs field by field.
    const value = defaults[key];
    const section = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (setting.defaultText === undefined && setting.optional !== true && !section) Object.assign(schema, { default: withKeys(value, name) });
    properties[name(key)] = schema;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Starling configuration',
    description: 'starling.yaml / starling.json; every key is optional and falls back to its default.',
    type: 'object',
    properties,
    additionalProperties: false,
  };
}

type Name = (key: string) => string;

function settingSchema(key: string, setting: Setting, name: Name): JsonSchema {
  switch (key) {
    case 'listeners':
      return { type: 'array', items: listenerSchema(name) };
    case 'authentication':
      return authenticationSchema(name);
    case 'bans':
      return listSchema(banFields, [], name, { oneOf: banSubjects.map((subject) => ({ required: [name(subject)] })) });
    case 'rules':
      return { type: 'object', additionalProperties: ruleSchema() };
    case 'connectors':
      return { type: 'object', additionalProperties: connectorSchema() };
    case 'cluster':
      return clusterSchema(name);
    case 'adminSocket':
      // A path, or false (also '' and 'false' from text sources) to turn the endpoint off.
      return { anyOf: [{ type: 'string' }, { const: false }] };
    case 'management':
      return { anyOf: [managementSchema(name), { const: false }] };
  }
  if (Object.hasOwn(sections, key)) return sectionSchema(key as SectionName, name);
  return scalarSchema(setting);
}

/** integer, boolean, string, enum: the same bounds checkScalar and checkScalarField apply. */
function scalarSchema(field: { type: string; min?: number; max?: number; enum?: readonly string[]; emptyAllowed?: boolean }): JsonSchema {
  switch (field.type) {
    case 'integer': {
      const schema: JsonSchema = { type: 'integer', minimum: field.min ?? 0 };
      if (field.max !== undefined && field.max !== unbounded) schema['maximum'] = field.max;
      return schema;
    }
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return field.emptyAllowed === true ? { type: 'string' } : { type: 'string', minLength: 1 };
    case 'enum':
      return { type: 'string', enum: [...(field.enum ?? [])] };
    case 'strings':
      return { type: 'array', items: { type: 'string', minLength: 1 } };
    case 'headers':
      return { type: 'object', additionalProperties: { type: 'string' } };
  }
  throw new Error(`no JSON Schema for a ${field.type} field`);
}

/** A rule: EMQX's {sql, actions, enable, description}. */
function ruleSchema(): JsonSchema {
  const republish: JsonSchema = {
    type: 'object',
    properties: {
      function: { const: 'republish' },
      args: {
        type: 'object',
        properties: {
          topic: { type: 'string', minLength: 1 },
          qos: { anyOf: [{ enum: [0, 1, 2] }, { type: 'string' }] },
          retain: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
          payload: { type: 'string' },
          user_properties: { type: 'string' },
          mqtt_properties: { type: 'object', additionalProperties: { type: 'string' } },
        },
        required: ['topic'],
      },
    },
    required: ['function', 'args'],
  };
  const action: JsonSchema = {
    oneOf: [
      republish,
      { type: 'object', properties: { function: { const: 'console' } }, required: ['function'], additionalProperties: false },
      { type: 'string', description: 'A connector\'s name (or <type>:<name>).' },
      { type: 'object', properties: { connector: { type: 'string' } }, required: ['connector'], additionalProperties: false },
    ],
  };
  return {
    type: 'object',
    properties: {
      sql: { type: 'string', minLength: 1, description: 'EMQX rule SQL.' },
      actions: { type: 'array', items: action },
      enable: { type: 'boolean', default: true },
      description: { type: 'string', default: '' },
    },
    required: ['sql'],
  };
}

/** A connector: one variant per type, the fields of connectors/config.ts. */
function connectorSchema(): JsonSchema {
  const fieldSchemaOf = (spec: (typeof connectorFieldDescriptions.common)[string]): JsonSchema => {
    const type = spec.type;
    switch (type.kind) {
      case 'string':
        return { type: 'string', ...(type.enum === undefined ? {} : { enum: [...type.enum] }), description: spec.description };
      case 'integer':
        return { type: 'integer', minimum: type.min, maximum: type.max, description: spec.description };
      case 'boolean':
        return { type: 'boolean', description: spec.description };
      case 'strings':
        return { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: spec.description };
      case 'stringMap':
        return { type: 'object', additionalProperties: { type: 'string' }, description: spec.description };
    }
  };
  const variants = Object.entries(connectorFieldDescriptions.byType).map(([type, fields]) => {
    const all = { ...connectorFieldDescriptions.common, ...fields };
    const properties = Object.fromEntries(Object.entries(all).map(([field, spec]) => [field, field === 'type' ? { const: type } : fieldSchemaOf(spec)]));
    const required = Object.entries(all).filter(([, spec]) => spec.required === true).map(([field]) => field);
    return { title: `${type} connector`, type: 'object', properties, required, additionalProperties: false };
  });
  return { oneOf: variants };
}

/** One variant per listener type: the keys that type takes, and those it requires. */
function listenerSchema(name: Name): JsonSchema {
  const defaults: Partial<Record<ListenerField, unknown>> = { host: '::' };
  const variant = (type: ListenerType): JsonSchema => {
    const properties: Record<string, JsonSchema> = {};
    for (const field of Object.keys(listenerFields) as ListenerField[]) {
      const types = listenerFieldTypes[field];
      if (types !== undefined && !types.includes(type)) continue;
      const schema = field === 'type' ? { const: type } : listenerFieldSchema(listenerFields[field], name);
      properties[name(field)] = { ...schema, description: listenerFields[field].description, ...(field in defaults ? { default: defaults[field] } : {}) };
    }
    const required = [...requiredListenerFields, ...(requiredListenerFieldsByType[type] ?? [])].map(name);
    return { title: `${type} listener`, type: 'object', properties, required, additionalProperties: false };
  };
  return { oneOf: listenerTypes.map(variant) };
}

function listenerFieldSchema(setting: ListenerSetting, name: Name): JsonSchema {
  switch (setting.type) {
    case 'authentication':
      return authenticationSchema(name);
    case 'sni': {
      const properties = Object.fromEntries(sniFields.map((field) => [name(field), { type: 'string', minLength: 1 }]));
      return { type: 'array', items: { type: 'object', properties, required: requiredSniFields.map(name), additionalProperties: false } };
    }
    default:
      return scalarSchema(setting);
  }
}

/** One variant per authenticator type, told apart by `type` (either spelling checkAuthenticator accepts). */
function authenticationSchema(name: Name): JsonSchema {
  const variant = (type: AuthenticatorType): JsonSchema => {
    const fields = fieldsByType[type];
    const typeNames = Object.keys(authenticatorTypeNames).filter((typeName) => authenticatorTypeNames[typeName] === type);
    const properties: Record<string, JsonSchema> = { type: { enum: typeNames } };
    for (const [field, definition] of Object.entries(fields)) properties[name(field)] = fieldSchema(definition);
    const schema: JsonSchema = {
      title: `${typeNames[0]} authenticator`,
      type: 'object',
      properties,
      required: ['type', ...(requiredAuthenticatorFields[type] ?? []).map(name)],
      additionalProperties: false,
    };
    if (type === 'jwt') schema['oneOf'] = jwtKeySources.map((source) => ({ required: [name(source)] }));
    return schema;
  };
  return { type: 'array', items: { oneOf: (Object.keys(fieldsByType) as AuthenticatorType[]).map(variant) } };
}

function fieldSchema(field: AuthenticatorField | SectionField): JsonSchema {
  return { ...scalarSchema(field), description: field.description };
}

/** acl, lockout, rate_limits, flapping: an object whose missing fields come from the defaults. */
function sectionSchema(section: SectionName, name: Name): JsonSchema {
  const defaults = defaultConfig()[section] as unknown as Record<string, unknown>;
  const properties: Record<string, JsonSchema> = {};
  for (const [field, definition] of Object.entries(sections[section])) {
    const schema = definition.type === 'rules' ? { ...listSchema(ruleFields, requiredRuleFields, name), description: definition.description } : fieldSchema(definition);
    properties[name(field)] = { ...schema, default: defaults[field] };
  }
  return { type: 'object', properties, additionalProperties: false };
}

/** The management section: its fields with their defaults, and the list of HTTP(S) listeners. */
function managementSchema(name: Name): JsonSchema {
  const listenerProperties = Object.fromEntries(
    Object.entries(managementListenerFields).map(([field, definition]) => [
      name(field),
      { ...fieldSchema(definition), ...(field in defaultManagementListener ? { default: defaultManagementListener[field as keyof typeof defaultManagementListener] } : {}) },
    ]),
  );
  const properties: Record<string, JsonSchema> = {
    listeners: {
      type: 'array',
      description: 'HTTP listeners; HTTPS with cert_file and key_file.',
      items: { type: 'object', properties: listenerProperties, required: ['port'], additionalProperties: false },
    },
  };
  for (const [field, definition] of Object.entries(managementFields)) {
    properties[name(field)] = { ...fieldSchema(definition), default: managementDefaults[field as keyof typeof managementDefaults] };
  }
  return { type: 'object', properties, additionalProperties: false };
}

/** A list of objects (ACL rules, bans); `extra` adds keywords to each item's schema. */
function listSchema(fields: Record<string, SectionField>, required: readonly string[], name: Name, extra: JsonSchema = {}): JsonSchema {
  const properties = Object.fromEntries(Object.entries(fields).map(([field, definition]) => [name(field), fieldSchema(definition)]));
  const item: JsonSchema = { type: 'object', properties, additionalProperties: false, ...extra };
  if (required.length > 0) item['required'] = required.map(name);
  return { type: 'array', items: item };
}

/** A default value with the key style of the schema (listener objects). */
function withKeys(value: unknown, name: Name): unknown {
  if (Array.isArray(value)) return value.map((item) => withKeys(item, name));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, nested]) => [name(key), nested]));
}

/** The cluster section: `nats` required, the rest optional with the defaults resolved at start. */
function clusterSchema(name: Name): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [field, definition] of Object.entries(clusterFields)) {
    let schema: JsonSchema;
    if (definition.type === 'urls') schema = { type: 'array', items: { type: 'string', minLength: 1 } };
    else if (definition.type === 'tls') {
      schema = { type: 'object', properties: Object.fromEntries(['caFile', 'certFile', 'keyFile'].map((key) => [name(key), { type: 'string', minLength: 1 }])), additionalProperties: false };
    } else schema = scalarSchema(definition);
    properties[name(field)] = { ...schema, description: definition.description };
  }
  return { type: 'object', properties, required: ['nats'], additionalProperties: false };
}
