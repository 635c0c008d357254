// `starling start`: resolve the configuration, start every listener, and shut down cleanly on
// SIGINT/SIGTERM. SIGHUP reads the config file again and applies what can change while running (and
// re-reads TLS certificates). Exit codes: 0 after a clean shutdown, 1 when the broker cannot start, 2
// for usage and configuration errors.

import { resolve } from 'node:path';
import { configuredSocketPath } from '../admin/socket-path.js';
import { ConfigError } from '../config/config-error.js';
import { defaultManagementConfig } from '../config/management-schema.js';
import { resolveConfig } from '../config/load.js';
import { configKeys, configSchema, flagName } from '../config/schema.js';
import type { BrokerConfig } from '../config/types.js';
import { createLogger, type Logger } from '../log.js';
import { parseFlags, UsageError, type FlagSpec } from './args.js';

/** The part of the library's contract (src/index.ts) that `start` relies on. */
interface StartableBroker {
  listen(): Promise<Array<{ type: string; host: string; port: number }>>;
  close(): Promise<void>;
  on(event: 'broker.stop_requested', listener: () => void): unknown;
}
interface BrokerLibrary {
  createBroker(options?: Partial<BrokerConfig> & { logger?: Logger; configSource?: { description: string; read(): Partial<BrokerConfig> } }): StartableBroker;
}

// Loaded lazily so `--help` and config errors do not pay for (or depend on) the whole broker.
const libraryPath = '../index.js';

export const startFlags: FlagSpec = {
  valued: ['config', 'port', 'host', ...configKeys.filter((key) => configSchema[key].type !== 'boolean').map(flagName)],
  boolean: ['help', ...configKeys.filter((key) => configSchema[key].type === 'boolean').map(flagName)],
};

export const startUsage = `Usage: starling start [options]

Starts the broker with every configured listener; stops cleanly on SIGINT or SIGTERM.

Options:
  --config FILE        YAML (.yaml, .yml) or JSON (.json) config file; also STARLING_CONFIG
  --port N             port of the first tcp listener (0 picks a free port)
  --host ADDRESS       address of the first tcp listener
  --data-dir DIR       directory for the embedded store
  --<config-key> VALUE any config key in kebab-case, e.g. --max-packet-size 2048, --log-pretty false
  -h, --help           show this help

Precedence: defaults < config file < STARLING_<KEY> environment variables < flags.
`;

export async function startCommand(args: readonly string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, startFlags, 'starling start');
  if (flags['help'] === true) {
    process.stdout.write(startUsage);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`start takes no arguments, got "${positionals[0]}"`, 'starling start');
  delete flags['help'];

  // A reload resolves the configuration again the same way: the file as it is now, the same environment and flags.
  const env = { ...process.env };
  const resolveForBroker = (): BrokerConfig => brokerConfig(resolveConfig({ env, flags }));
  let config: BrokerConfig;
  try {
    config = resolveForBroker();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`starling: config error: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }

  const logger = createLogger(config);
  let broker: StartableBroker | undefined;
  let addresses: Awaited<ReturnType<StartableBroker['listen']>>;
  try {
    const { createBroker } = (await import(libraryPath)) as BrokerLibrary;
    const file = typeof flags['config'] === 'string' ? flags['config'] : env['STARLING_CONFIG'];
    const configSource = file === undefined ? undefined : { description: resolve(file), read: resolveForBroker };
    broker = createBroker({ ...config, logger, ...(configSource === undefined ? {} : { configSource }) });
    addresses = await broker.listen();
  } catch (error) {
    logger.fatal({ err: error }, 'cannot start');
    process.stderr.write(`starling: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    await broker?.close().catch(() => undefined);
    process.exit(1);
  }
  // Before 'listening' is logged: whoever waits for that line may signal at once.
  stopOnSignals(broker, logger);
  // With a config file the broker handles SIGHUP itself (as with TLS listeners); without one, SIGHUP must not end the process.
  if (typeof flags['config'] !== 'string' && env['STARLING_CONFIG'] === undefined) {
    process.on('SIGHUP', () => logger.info('SIGHUP: no config file to read again (started without --config)'));
  }
  for (const address of addresses) {
    logger.info({ type: address.type, host: address.host, port: address.port }, 'listening');
  }
}

/** The library opens no admin socket and no management listener unless asked; the command line has both by default. */
function brokerConfig(config: BrokerConfig): BrokerConfig {
  return { ...config, adminSocket: configuredSocketPath(config) ?? false, management: config.management ?? defaultManagementConfig() };
}

function stopOnSignals(broker: StartableBroker, logger: Logger): void {
  let stopping = false;
  // `cause`: the signal, or `starling stop` (over the admin socket).
  const shutDown = (cause: string): void => {
    if (stopping) {
      // The operator asked twice: do not wait for clients or the store any longer.
      logger.warn({ cause }, 'asked again, exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ cause }, 'shutting down');
    broker.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutDown('SIGINT'));
  process.on('SIGTERM', () => shutDown('SIGTERM'));
  broker.on('broker.stop_requested', () => shutDown('starling stop'));
}
