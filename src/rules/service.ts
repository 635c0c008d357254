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
import { DefinitionError, type RuleConfig, type RuleDefinition } from './definitions.js';
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

  /** Stops listening, lets queued actions run, and stops the connectors (each gets a moment to write what it buffered). */
  async close(): Promise<void> {
    this.engine.close();
    await this.engine.runner.idle();
    await this.manager?.stopAll();
  }
}
