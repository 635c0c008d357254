// The PostgreSQL connector (pg): a pool of pool_size connections, the `sql` template run with bound
// parameters, a batch of outputs as one multi-row INSERT. Connection failures (refused, the server
// shutting down, SQLSTATE class 08 and 57P0x) mark it disconnected and buffer; a serialization
// failure or deadlock is retried; other SQL errors (syntax, constraint) fail the output.

import { Buffer } from 'node:buffer';

import pg from 'pg';
import type { Logger } from '../../log.js';
import type { ValueMap } from '../sql/values.js';
import { BufferedConnector, WriteError, type DurableBuffer, type FailureKind } from './buffered-connector.js';
import { bufferOptions, hostAndPort, type ConnectorSettings } from './config.js';
import { resolveSecrets } from './secrets.js';
import { batchStatement, parseSqlTemplate, sqlParameters, type SqlTemplate } from './sql-template.js';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE']);

export function postgresFailure(error: unknown): FailureKind {
  const code = (error as { code?: string }).code;
  const message = (error as Error)?.message ?? '';
  if (code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return 'disconnected';
  if (/Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(message)) return 'disconnected';
  if (code === '40001' || code === '40P01' || code?.startsWith('53') === true) return 'retry';
  return code === undefined ? 'retry' : 'fatal';
}

export class PostgresConnector extends BufferedConnector<unknown[]> {
  private readonly template: SqlTemplate;
  private readonly poolConfig: pg.PoolConfig;
  private pool: pg.Pool | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<unknown[]>) {
    super(name, 'postgresql', bufferOptions(settings), logger, durable);
    this.template = parseSqlTemplate(settings['sql'] as string, 'numbered');
    const { host, port } = hostAndPort(settings['server'] as string, 5432, 'server');
    this.poolConfig = {
      host,
      port,
      database: settings['database'] as string,
      user: resolveSecrets(settings['username'] as string, 'username'),
      password: typeof settings['password'] === 'string' ? resolveSecrets(settings['password'], 'password') : undefined,
      max: this.options.inflight,
      connectionTimeoutMillis: this.options.requestTimeoutMs,
      idleTimeoutMillis: 30_000,
    };
  }

  protected render(output: ValueMap): unknown[] {
    return sqlParameters(this.template, output);
  }

  protected async connect(): Promise<void> {
    if (this.pool === undefined) {
      const pool = new pg.Pool(this.poolConfig);
      // An idle connection's error (the server went away) must not become an uncaught exception.
      pool.on('error', (error) => {
        this.logger.debug({ err: error }, 'postgresql connection error');
        this.lostConnection();
      });
      this.pool = pool;
    }
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      await this.resetPool();
      throw error;
    }
  }

  protected async write(items: unknown[][]): Promise<void> {
    const pool = this.pool;
    if (pool === undefined) throw new WriteError('disconnected', 'not connected');
    try {
      if (items.length === 1 || this.template.rows !== undefined) {
        const { text, values } = batchStatement(this.template, items);
        await pool.query(text, values);
        return;
      }
      // Not an INSERT ... VALUES: one statement per output, in one transaction.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        for (const values of items) await client.query(this.template.text, values);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      const kind = postgresFailure(error);
      if (kind === 'disconnected') void this.resetPool();
      throw new WriteError(kind, `postgresql: ${(error as Error).message}`, { cause: error });
    }
  }

  private async resetPool(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  protected async disconnect(): Promise<void> {
    await this.resetPool();
  }
}
