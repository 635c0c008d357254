// Applies a new `listeners` list to a running broker. Listeners are matched by type, host and port
// (in order, for several alike): one only in the new list starts, one only in the running list stops
// and its connections end (MQTT 5: DISCONNECT 0x8B), one whose settings changed restarts (stop, then
// start on the same port; its connections end too), except that a change of only `authentication`
// or `allow_anonymous` applies to the listener's next connections without a restart. Connections of
// every other listener are never touched.

import { isDeepStrictEqual } from 'node:util';
import type { ListenerConfig } from '../config/types.js';
import type { RunningListener, StarlingBroker } from '../instance.js';
import { listenerLabel } from '../transport/listener.js';

/** Listener keys whose change applies to new connections without restarting the listener. */
const SOFT_FIELDS: ReadonlySet<keyof ListenerConfig> = new Set(['authentication', 'allowAnonymous']);

export interface ListenerChanges {
  added: ListenerConfig[];
  removed: RunningListener[];
  restarted: Array<{ running: RunningListener; next: ListenerConfig }>;
  updated: Array<{ running: RunningListener; next: ListenerConfig }>;
}

export function listenerChanges(running: readonly RunningListener[], next: readonly ListenerConfig[]): ListenerChanges {
  const changes: ListenerChanges = { added: [], removed: [], restarted: [], updated: [] };
  const unmatched = [...next];
  for (const entry of running) {
    const index = unmatched.findIndex((candidate) => sameAddress(candidate, entry.config));
    if (index < 0) {
      changes.removed.push(entry);
      continue;
    }
    const [candidate] = unmatched.splice(index, 1);
    if (isDeepStrictEqual(candidate, entry.config)) continue;
    if (onlySoftFieldsDiffer(candidate!, entry.config)) changes.updated.push({ running: entry, next: candidate! });
    else changes.restarted.push({ running: entry, next: candidate! });
  }
  changes.added.push(...unmatched);
  return changes;
}

function sameAddress(a: ListenerConfig, b: ListenerConfig): boolean {
  return a.type === b.type && a.host === b.host && a.port === b.port;
}

function onlySoftFieldsDiffer(a: ListenerConfig, b: ListenerConfig): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof ListenerConfig>);
  return [...keys].every((key) => SOFT_FIELDS.has(key) || isDeepStrictEqual(a[key], b[key]));
}

/** Makes the broker run `next`; returns what was done, one phrase per listener. Throws (after doing what it could) when a listener cannot start. */
export async function applyListeners(broker: StarlingBroker, next: readonly ListenerConfig[]): Promise<string> {
  const changes = listenerChanges(broker.runningListeners, next);
  const done: string[] = [];
  const failures: string[] = [];
  const stops: Array<Promise<void>> = [];
  for (const { running, next: config } of changes.updated) {
    running.config = config;
    done.push(`updated ${listenerLabel(config)} (authentication for new connections)`);
  }
  for (const running of changes.removed) {
    stops.push(broker.closeListener(running, 'listener removed').stopped);
    done.push(`removed ${describe(running)}`);
  }
  const start = async (config: ListenerConfig, verb: string): Promise<boolean> => {
    try {
      const started = await broker.openListener(config);
      broker.logger.info({ type: started.address.type, host: started.address.host, port: started.address.port }, 'listening');
      done.push(`${verb} ${started.address.type} ${started.address.host}:${started.address.port}`);
      return true;
    } catch (error) {
      failures.push(`${listenerLabel(config)}: ${(error as Error).message}`);
      return false;
    }
  };
  for (const { running, next: config } of changes.restarted) {
    // The listening socket closes at once, so the same port can be bound again right away.
    stops.push(broker.closeListener(running, 'listener restarted').stopped);
    if (!(await start(config, 'restarted'))) await start(running.config, 'kept (its new settings failed)');
  }
  for (const config of changes.added) await start(config, 'added');
  await Promise.all(stops);
  if (failures.length > 0) {
    // The running configuration says what runs, not what the file asked for.
    broker.config.listeners = broker.runningListeners.map((running) => running.config);
    throw new Error(`${failures.join('; ')}${done.length > 0 ? ` (done: ${done.join(', ')})` : ''}`);
  }
  return done.join(', ');
}

function describe(running: RunningListener): string {
  return `${running.address.type} ${running.address.host}:${running.address.port}`;
}
