// The broker's connectors: built from the config file and the store, started, looked up by name for
// rule actions, reported in the metrics registry (connectors.* with a `connector` label), stopped
// at shutdown. A connector type's client library is loaded only when a connector of that type exists.

import { Buffer } from 'node:buffer';

import type { Logger } from '../../log.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { RecordStore } from '../../store/store.js';
import type { RuleOrigin } from '../definitions.js';
import type { DurableBuffer } from './buffered-connector.js';
import { publicSettings, type ConnectorDefinition, type ConnectorSettings } from './config.js';
import type { Connector, ConnectorStatus, ConnectorType } from './connector.js';

export interface ManagedConnector {
  name: string;
  settings: ConnectorSettings;
  origin: RuleOrigin;
  /** Undefined while disabled. */
  connector: Connector | undefined;
}

type Factory = (name: string, settings: ConnectorSettings, logger: Logger, durable: DurableBuffer<never> | undefined) => Connector;

async function factoryFor(type: ConnectorType): Promise<Factory> {
  switch (type) {
    case 'webhook': {
      const { WebhookConnector } = await import('./webhook.js');
      return (name, settings, logger, durable) => new WebhookConnector(name, settings, logger, durable);
    }
    case 'postgresql': {
      const { PostgresConnector } = await import('./postgres.js');
      return (name, settings, logger, durable) => new PostgresConnector(name, settings, logger, durable);
    }
    case 'mysql': {
      const { MysqlConnector } = await import('./mysql.js');
      return (name, settings, logger, durable) => new MysqlConnector(name, settings, logger, durable);
    }
    case 'redis': {
      const { RedisConnector } = await import('./redis.js');
      return (name, settings, logger, durable) => new RedisConnector(name, settings, logger, durable);
    }
    case 'influxdb': {
      const { InfluxConnector } = await import('./influxdb.js');
      return (name, settings, logger, durable) => new InfluxConnector(name, settings, logger, durable);
    }
    case 'nats': {
      const { NatsConnector } = await import('./nats.js');
      return (name, settings, logger, durable) => new NatsConnector(name, settings, logger, durable);
    }
  }
}

const STATUSES: readonly ConnectorStatus[] = ['connected', 'connecting', 'disconnected'];

export class ConnectorManager {
  private readonly connectors = new Map<string, ManagedConnector>();

  constructor(
    private readonly logger: Logger,
    private readonly records: RecordStore | undefined,
    metrics?: MetricsRegistry,
  ) {
    if (metrics !== undefined) this.registerMetrics(metrics);
  }

  get(name: string): ManagedConnector | undefined {
    return this.connectors.get(name);
  }

  list(): ManagedConnector[] {
    return [...this.connectors.values()];
  }

  /** Builds and starts a connector (replacing one of the same name); throws DefinitionError on bad settings. */
  async add(definition: ConnectorDefinition, origin: RuleOrigin): Promise<ManagedConnector> {
    const { name, settings } = definition;
    let connector: Connector | undefined;
    if (settings.enable) {
      const factory = await factoryFor(settings.type);
      const durable = settings['durable_buffer'] === true && this.records !== undefined ? durableBuffer(this.records, name) : undefined;
      connector = factory(name, settings, this.logger.child({ connector: name }), durable as DurableBuffer<never> | undefined);
    }
    await this.remove(name);
    const managed: ManagedConnector = { name, settings, origin, connector };
    this.connectors.set(name, managed);
    await connector?.start();
    return managed;
  }

  async remove(name: string): Promise<boolean> {
    const managed = this.connectors.get(name);
    if (managed === undefined) return false;
    this.connectors.delete(name);
    await managed.connector?.stop();
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.connectors.values()].map((managed) => managed.connector?.stop()));
  }

  /** EMQX-like JSON of a connector: settings (secrets hidden), status, counters. */
  describe(managed: ManagedConnector): Record<string, unknown> {
    const connector = managed.connector;
    return {
      name: managed.name,
      type: managed.settings.type,
      enable: managed.settings.enable,
      origin: managed.origin,
      status: connector?.status ?? 'disconnected',
      status_reason: connector?.lastError ?? null,
      metrics: {
        matched: connector?.counters.matched ?? 0,
        success: connector?.counters.success ?? 0,
        failed: connector?.counters.failed ?? 0,
        retried: connector?.counters.retried ?? 0,
        dropped: connector?.counters.dropped ?? 0,
        queuing: connector?.queued ?? 0,
      },
      settings: publicSettings(managed.settings),
    };
  }

  private registerMetrics(registry: MetricsRegistry): void {
    const counter = (name: string, help: string, read: (connector: Connector) => number): void =>
      registry.register({ name, help, type: 'counter', labelNames: ['connector'] }, (sample) => {
        for (const managed of this.connectors.values()) if (managed.connector !== undefined) sample(read(managed.connector), { connector: managed.name });
      });
    counter('connectors.matched', 'Rule outputs handed to the connector.', (connector) => connector.counters.matched);
    counter('connectors.success', 'Outputs the connector wrote.', (connector) => connector.counters.success);
    counter('connectors.failed', 'Outputs given up on (retries exhausted or refused by the server).', (connector) => connector.counters.failed);
    counter('connectors.retried', 'Writes repeated after a failure.', (connector) => connector.counters.retried);
    counter('connectors.dropped', 'Outputs dropped because the buffer was full.', (connector) => connector.counters.dropped);
    registry.register({ name: 'connectors.queued', help: 'Outputs buffered or being written.', type: 'gauge', labelNames: ['connector'] }, (sample) => {
      for (const managed of this.connectors.values()) if (managed.connector !== undefined) sample(managed.connector.queued, { connector: managed.name });
    });
    registry.register({ name: 'connectors.status', help: '1 for the connector\'s current status (connected, connecting, disconnected), 0 for the others.', type: 'gauge', labelNames: ['connector', 'status'] }, (sample) => {
      for (const managed of this.connectors.values()) {
        const current = managed.connector?.status ?? 'disconnected';
        for (const status of STATUSES) sample(status === current ? 1 : 0, { connector: managed.name, status });
      }
    });
  }
}

/** A connector's durable buffer: records of kind connector_buffer keyed `<name>:<sequence>`. */
function durableBuffer(records: RecordStore, name: string): DurableBuffer<unknown> {
  const prefix = `${name}:`;
  return {
    load: () => records.list<unknown>('connector_buffer').filter(([key]) => key.startsWith(prefix)),
    save: (key, item) => records.save('connector_buffer', key, item),
    delete: (key) => records.delete('connector_buffer', key),
  };
}
