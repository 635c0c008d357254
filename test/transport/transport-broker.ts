// A broker with explicit listeners (all on 127.0.0.1, port 0) whose log lines the test can read.

import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, type Broker, type BrokerOptions, type ListenerConfig } from '../../src/index.js';
import { createLogger } from '../../src/internal.js';
import { waitFor } from '../helpers/wait.js';

export type LogRecord = Record<string, unknown> & { msg?: string };

export interface TransportBroker {
  broker: Broker;
  /** Bound port of each listener, in the order given. */
  ports: number[];
  logs: LogRecord[];
  /** Resolves with the first log record with this message (and matching fields), waiting up to 5 s. */
  waitForLog(msg: string, fields?: Record<string, unknown>): Promise<LogRecord>;
  close(): Promise<void>;
}

export async function startTransportBroker(listeners: Array<Partial<ListenerConfig> & Pick<ListenerConfig, 'type'>>, options: BrokerOptions = {}): Promise<TransportBroker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-transport-'));
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogRecord);
      callback();
    },
  });
  const broker = createBroker({
    dataDir,
    durability: 'memory',
    sysInterval: 0,
    logger: createLogger({ logLevel: 'info', logPretty: false }, sink),
    listeners: listeners.map((listener) => ({ host: '127.0.0.1', port: 0, ...listener })),
    ...options,
  });
  const bound = await broker.listen();
  const find = (msg: string, fields: Record<string, unknown>): LogRecord | undefined =>
    logs.find((record) => record.msg === msg && Object.entries(fields).every(([key, value]) => record[key] === value));
  return {
    broker,
    ports: bound.map((address) => address.port),
    logs,
    async waitForLog(msg, fields = {}) {
      await waitFor(() => find(msg, fields) !== undefined, `log line '${msg}' ${JSON.stringify(fields)}; got ${JSON.stringify(logs.map((r) => r.msg))}`);
      return find(msg, fields)!;
    },
    async close() {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
