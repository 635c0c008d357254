// The MySQL / MariaDB connector (mysql2): a pool of pool_size connections, the `sql` template run with
// bound parameters (? placeholders, escaped by the driver), a batch as one multi-row INSERT. Lost or
// refused connections mark it disconnected and buffer; deadlocks and lock timeouts are retried; other
// SQL errors fail the output.

import { Buffer } from 'node:buffer';

import { createPool, type Pool, type PoolOptions } from 'mysql2/promise';
import type { Logger } from '../../log.js';
import type { ValueMap } from '../sql/values.js';
import { BufferedConnector, WriteError, type DurableBuffer, type FailureKind } from './buffered-connector.js';
import { bufferOptions, hostAndPort, type ConnectorSettings } from './config.js';
import { resolveSecrets } from './secrets.js';
import { batchStatement, parseSqlTemplate, sqlParameters, type SqlTemplate } from './sql-template.js';

const DISCONNECTED = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'ER_SERVER_GONE_ERROR', 'ER_ACCESS_DENIED_ERROR',
]);
const RETRY = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

export function mysqlFailure(error: unknown): FailureKind {
  const code = (error as { code?: string }).code;
  if (code !== undefined && DISCONNECTED.has(code)) return 'disconnected';
  if (/closed state|Connection lost|Pool is closed/i.test((error as Error)?.message ?? '')) return 'disconnected';
  if (code !== undefined && RETRY.has(code)) return 'retry';
  return code === undefined ? 'retry' : 'fatal';
}

export class MysqlConnector extends BufferedConnector<unknown[]> {
  private readonly template: SqlTemplate;
  private readonly poolOptions: PoolOptions;
  private pool: Pool | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<unknown[]>) {
    super(name, 'mysql', bufferOptions(settings), logger, durable);
    this.template = parseSqlTemplate(settings['sql'] as string, 'question');
    const { host, port } = hostAndPort(settings['server'] as string, 3306, 'server');
    this.poolOptions = {
      host,
      port,
      database: settings['database'] as string,
      user: resolveSecrets(settings['username'] as string, 'username'),
      password: typeof settings['password'] === 'string' ? resolveSecrets(settings['password'], 'password') : undefined,
      connectionLimit: this.options.inflight,
      connectTimeout: this.options.requestTimeoutMs,
      supportBigNumbers: true,
      charset: 'utf8mb4',
    };
  }

  protected render(output: ValueMap): unknown[] {
    return sqlParameters(this.template, output);
  }

  protected async connect(): Promise<void> {
    this.pool ??= createPool(this.poolOptions);
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
      const connection = await pool.getConnection();
      try {
        await connection.beginTransaction();
        for (const values of items) await connection.query(this.template.text, values);
        await connection.commit();
      } catch (error) {
        await connection.rollback().catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    } catch (error) {
      const kind = mysqlFailure(error);
      if (kind === 'disconnected') void this.resetPool();
      throw new WriteError(kind, `mysql: ${(error as Error).message}`, { cause: error });
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
