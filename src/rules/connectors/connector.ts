// What the rule engine needs of a connector (an HTTP server, a database, a NATS subject...): it
// takes a rule's output, renders its template, buffers it (bounded) and writes it in batches, with
// retries and backoff, reporting its status and counters (EMQX's resource status and metrics).

import type { RuleMetrics } from '../metrics.js';
import type { ValueMap } from '../sql/values.js';

export const ConnectorType = {
  Webhook: 'webhook',
  PostgreSQL: 'postgresql',
  MySQL: 'mysql',
  Redis: 'redis',
  InfluxDB: 'influxdb',
  NATS: 'nats',
} as const;
export type ConnectorType = (typeof ConnectorType)[keyof typeof ConnectorType];
export const connectorTypes = Object.values(ConnectorType);

/** EMQX's resource states, as the API and metrics show them. */
export type ConnectorStatus = 'connected' | 'connecting' | 'disconnected';

export interface ConnectorCounters {
  /** Outputs handed to the connector. */
  matched: number;
  /** Outputs written. */
  success: number;
  /** Outputs given up on (retries exhausted, or refused by the server). */
  failed: number;
  /** Attempts repeated after a failure. */
  retried: number;
  /** Outputs dropped because the buffer was full. */
  dropped: number;
}

export interface Connector {
  readonly name: string;
  readonly type: ConnectorType;
  readonly status: ConnectorStatus;
  readonly counters: Readonly<ConnectorCounters>;
  /** Outputs waiting in the buffer (and in flight). */
  readonly queued: number;
  /** The last error seen, for the API. */
  readonly lastError: string | undefined;
  /** Renders `output` and buffers it; never throws or waits. `metrics` hears the outcome. */
  send(output: ValueMap, metrics: RuleMetrics): void;
  start(): Promise<void>;
  /** Stops after trying to write what is buffered (for at most `drainMs`). */
  stop(drainMs?: number): Promise<void>;
}
