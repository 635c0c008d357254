// The rule engine as the broker runs it: connectors and rules from the config file and from the
// store, started after the store is open and stopped before it closes. Config file entries are
// checked strictly (a bad one stops the start with a ConfigError naming it); store entries, written
// by `starling ctl` or the API, are logged and skipped when they no longer load.

import { ConfigError } from '../config/config-error.js';
import type { BrokerCore } from '../broker/broker.js';
import type { ClientInfo } from '../core/client.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { RecordStore } from '../store/store.js';
import type { ConnectorSettings } from './connectors/config.js';
import { checkConnectorDefinition } from './connectors/config.js';
import { ConnectorManager } from './connectors/manager.js';
import { checkRuleDefinition, DefinitionError, type RuleConfig, type RuleDefinition } from './definitions.js';
import { RuleEngine } from './engine.js';

export interface RuleServiceContext {
  core: BrokerCore;
  logger: Logger;
  nodeName: string;
  metrics: MetricsRegistry;
  connectedClients(): Iterable<ClientInfo>;
}

export class RuleService {
  readonly engine: RuleEngine;
  private manager: ConnectorManager | undefined;
  private records: RecordStore | undefined;

  constructor(private readonly context: RuleServiceContext) {
    this.engine = new RuleEngine(
      {
        core: context.core,
        logger: context.logger,
        nodeName: context.nodeName,
        connector: (name) => this.manager?.get(name)?.connector,
        connectedClients: context.connectedClients,
      },
      context.metrics,
    );
  }

  /** The connectors; present once start() ran. */
  get connectors(): ConnectorManager {
    this.manager ??= new ConnectorManager(this.context.logger, this.records, this.context.metrics);
    return this.manager;
  }

  /** Where rules and connectors created at run time are kept (undefined before start). */
  get store(): RecordStore | undefined {
    return this.records;
  }

  async start(rules: Record<string, RuleConfig>, connectors: Record<string, ConnectorSettings>, records: RecordStore | undefined): Promise<void> {
    this.records = records;
    const manager = this.connectors;
    for (const [name, settings] of Object.entries(connectors)) {
      try {
        await manager.add({ name, settings }, 'config');
      } catch (error) {
        if (error instanceof DefinitionError) throw new ConfigError(`connectors.${name}.${error.field}`, `connectors.${name}.${error.message}`, { cause: error });
        throw error;
      }
    }
    for (const [name, stored] of records?.list<Record<string, unknown>>('connector') ?? []) {
      if (Object.hasOwn(connectors, name)) {
        this.context.logger.warn({ connector: name }, 'a connector in the store has the name of one in the config file; the config file\'s is used');
        continue;
      }
      try {
        await manager.add(checkConnectorDefinition(name, stored), 'store');
      } catch (error) {
        this.context.logger.error({ connector: name, err: error }, 'a connector in the store does not load; skipped');
      }
    }
    for (const [id, rule] of Object.entries(rules)) {
      try {
        this.engine.upsert({ ...rule, id }, 'config');
      } catch (error) {
        if (error instanceof DefinitionError) throw new ConfigError(`rules.${id}.${error.field}`, `rules.${id}.${error.message}`, { cause: error });
        throw error;
      }
    }
    for (const [id, stored] of records?.list<RuleDefinition>('rule') ?? []) {
      if (Object.hasOwn(rules, id)) {
        this.context.logger.warn({ rule: id }, 'a rule in the store has the id of one in the config file; the config file\'s is used');
        continue;
      }
      try {
        this.engine.upsert({ ...stored, id }, 'store');
      } catch (error) {
        this.context.logger.error({ rule: id, err: error }, 'a rule in the store does not load; skipped');
      }
    }
    if (this.engine.size > 0 || manager.list().length > 0) this.context.logger.info({ rules: this.engine.size, connectors: manager.list().length }, 'rule engine started');
  }

  /**
   * Checks a reloaded config file's rules and connectors without changing anything: throws a ConfigError
   * naming the first that would not load (its SQL, an action naming a connector that will not exist).
   */
  checkReload(rules: Record<string, RuleConfig>, connectors: Record<string, ConnectorSettings>): void {
    for (const [name, settings] of Object.entries(connectors)) configEntry(`connectors.${name}`, () => checkConnectorDefinition(name, settings));
    const stored = new Set(this.connectors.list().filter((managed) => managed.origin !== 'config').map((managed) => managed.name));
    const exists = (name: string): boolean => Object.hasOwn(connectors, name) || stored.has(name);
    for (const [id, rule] of Object.entries(rules)) configEntry(`rules.${id}`, () => checkRuleDefinition(id, { ...rule }, exists));
  }

  /** Applies a reloaded config file's connectors: removed ones stop, new and changed ones (re)start. */
  async reloadConnectors(previous: Record<string, ConnectorSettings>, next: Record<string, ConnectorSettings>): Promise<string> {
    const changed = Object.keys(next).filter((name) => !sameJson(previous[name], next[name]));
    for (const name of changed) await this.connectors.add({ name, settings: next[name]! }, 'config');
    const removed = Object.keys(previous).filter((name) => !Object.hasOwn(next, name) && this.connectors.get(name)?.origin === 'config');
    for (const name of removed) await this.connectors.remove(name);
    return `${changed.length} connector(s) started or restarted, ${removed.length} stopped`;
  }

  /** Applies a reloaded config file's rules: removed ones go, new and changed ones are rebuilt (keeping their metrics). */
  reloadRules(previous: Record<string, RuleConfig>, next: Record<string, RuleConfig>): string {
    const changed = Object.keys(next).filter((id) => !sameJson(previous[id], next[id]));
    for (const id of changed) configEntry(`rules.${id}`, () => this.engine.upsert({ ...next[id]!, id }, 'config'));
    const removed = Object.keys(previous).filter((id) => !Object.hasOwn(next, id) && this.engine.get(id)?.origin === 'config');
    for (const id of removed) this.engine.remove(id);
    return `${changed.length} rule(s) added or changed, ${removed.length} removed`;
  }

  /** Stops listening, lets queued actions run, and stops the connectors (each gets a moment to write what it buffered). */
  async close(): Promise<void> {
    this.engine.close();
    await this.engine.runner.idle();
    await this.manager?.stopAll();
  }
}

/** Runs a definition check, turning its DefinitionError into a ConfigError naming the config key. */
function configEntry<T>(key: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof DefinitionError) throw new ConfigError(`${key}.${error.field}`.replace(/\.$/, ''), `${key}.${error.message}`, { cause: error });
    throw error;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
