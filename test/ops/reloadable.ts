// A broker whose configuration comes from a file in a temporary directory (snake_case keys, as an
// operator writes it), so a test can rewrite the file and reload; with the management API on a free
// loopback port and, optionally, an admin socket. Also a free TCP port, for listeners a reload adds.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, type BrokerOptions } from '../../src/internal.js';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';
import { freePort } from '../helpers/free-port.js';

export interface ReloadableBroker extends ManagedBroker {
  file: string;
  directory: string;
  /** Rewrites the config file (JSON, snake_case keys). */
  write(settings: Record<string, unknown>): Promise<void>;
}

/**
 * `settings` is the file's content; `base` holds options the file does not (the test's data directory,
 * durability, logger...), given to the broker and added to every reading of the file, so that they never
 * show up as changes.
 */
export async function startReloadable(settings: Record<string, unknown>, base: BrokerOptions = {}): Promise<ReloadableBroker> {
  const directory = await mkdtemp(join(tmpdir(), 'starling-reload-'));
  const file = join(directory, 'starling.json');
  const write = (content: Record<string, unknown>): Promise<void> => writeFile(file, JSON.stringify(content, null, 2));
  await write(settings);
  const { logger, ...fixed } = { dataDir: directory, durability: 'memory', sysInterval: 0, ...base } as BrokerOptions;
  const management = { listeners: [{ host: '127.0.0.1', port: 0 }], allowInsecureHttp: false, bootstrapAdmin: false, tokenTtl: 3600, metricsAuth: false };
  const read = () => ({ management, ...fixed, ...readConfigFile(file) });
  const server = await startManagedBroker({ ...read(), ...(logger === undefined ? {} : { logger }), configSource: { description: file, read } });
  return {
    ...server,
    file,
    directory,
    write,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

