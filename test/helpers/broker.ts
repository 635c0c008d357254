// Starts a broker on an ephemeral port for one test and stops it afterwards.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StarlingBroker, createLogger, type BrokerOptions } from '../../src/internal.js';
import type { BoundAddress } from '../../src/transport/listener.js';

export interface TestBroker {
  /** The implementation, internals included (tests look at them). */
  broker: StarlingBroker;
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  dataDir: string;
  /** Every listener's bound address (options.listeners, else the one TCP listener). */
  addresses: BoundAddress[];
  close(): Promise<void>;
  /** Closes the broker (keeping the data directory) and starts a new one with the same options on it. */
  restart(): Promise<TestBroker>;
}

export async function startBroker(options: BrokerOptions = {}, existingDataDir?: string): Promise<TestBroker> {
  const dataDir = existingDataDir ?? (await mkdtemp(join(tmpdir(), 'starling-test-')));
  const logLevel = (process.env.STARLING_TEST_LOG as BrokerOptions['logLevel']) ?? 'silent';
  const broker = new StarlingBroker({
    dataDir,
    durability: 'memory',
    sysInterval: 0,
    logger: createLogger({ logLevel: logLevel ?? 'silent', logPretty: false }),
    ...options,
  });
  // With listeners in the options, those (ports 0 for ephemeral ones); else one TCP listener.
  const addresses = options.listeners === undefined ? await broker.listen({ port: 0, host: '127.0.0.1' }) : await broker.listen();
  const port = (addresses.find((address) => address.type === 'tcp') ?? addresses[0])!.port;
  return {
    broker,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir,
    addresses,
    async close() {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await broker.close();
      return startBroker(options, dataDir);
    },
  };
}
