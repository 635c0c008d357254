// The broker's logger: pino JSON lines, or pino-pretty's formatting when logPretty is set.

import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { BrokerConfig } from './config/types.js';

export type Logger = pino.Logger;

export function createLogger(
  config: Pick<BrokerConfig, 'logLevel' | 'logPretty'>,
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  if (!config.logPretty) return pino({ level: config.logLevel }, destination);
  // Formatting inline rather than through a worker transport keeps log lines in order with the
  // process's other output and flushed when it exits.
  const prettify = prettyFactory({
    colorize: (destination as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  const stream = { write: (line: string) => destination.write(prettify(line)) };
  return pino({ level: config.logLevel }, stream);
}
