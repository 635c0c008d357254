// A configuration reload: read the configuration again from where the broker got it, check it with the
// config schema, compare it with the running one key by key, and apply what can change while running
// (live-settings.ts); name the rest as needing a restart. TLS certificates are read again as well. A configuration that does not validate, or a
// changed key whose check fails (an unreadable rules file), changes nothing. Both the answer and the
// log say what changed, what was applied and what was not, and why.

import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { defaultConfig } from '../config/defaults.js';
import { validateConfig } from '../config/load.js';
import { snakeName } from '../config/schema.js';
import type { BrokerConfig } from '../config/types.js';
import type { StarlingBroker } from '../instance.js';
import { registerBuiltinSettings } from './builtin-settings.js';
import { liveSetting } from './live-settings.js';
import { shownValue } from './shown-config.js';

registerBuiltinSettings();

/** Where a broker's configuration comes from, to be read again. */
export interface ConfigSource {
  /** What to call it in answers and logs: the config file's path. */
  readonly description: string;
  /** The configuration as createBroker() takes it (camelCase); throws a ConfigError naming the key when it is wrong. */
  read(): Partial<BrokerConfig>;
}

export interface ReloadOptions {
  /** Only say what would change. */
  dryRun?: boolean;
  /** Who asked, for the log: `SIGHUP`, `api`, ... */
  cause?: string;
}

export interface ReloadChange {
  /** The key as a config file spells it: `max_packet_size`, `acl`, `listeners`. */
  key: string;
  /** The running value and the file's, shown as GET /api/v5/configs shows them (secrets masked). */
  from: unknown;
  to: unknown;
  /** Whether the key can change while the broker runs. */
  live: boolean;
  /** When the new value takes effect (`at once`, `connections accepted from now on`, ...), or `restart needed`. */
  takes_effect: string;
  applied: boolean;
  /** What was done (listeners started or stopped, clients disconnected by a new ban), or why it was not applied. */
  note?: string;
}

export interface ReloadReport {
  /** The config file read. */
  source: string;
  dry_run: boolean;
  changes: ReloadChange[];
  /** Keys applied (dry run: none). */
  applied: string[];
  /** Keys not applied, with the reason: `restart needed`, `dry run`, or why applying failed. */
  not_applied: Array<{ key: string; reason: string }>;
}

/** A refused reload: 409 without a config source, 400 when the configuration does not validate (naming the key). */
export class ReloadError extends Error {
  constructor(
    readonly status: 400 | 409,
    readonly code: string,
    message: string,
    /** The offending key, as the file spells it. */
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ReloadError';
  }
}

const RESTART_NEEDED = 'restart needed';

export async function reloadConfiguration(broker: StarlingBroker, source: ConfigSource | undefined, options: ReloadOptions = {}): Promise<ReloadReport> {
  const logger = broker.logger;
  const cause = options.cause ?? 'request';
  if (source === undefined) {
    const message = 'this broker was started without a config file, so there is nothing to read again (starling start --config FILE, or the configSource option of createBroker)';
    logger.warn({ cause }, `configuration not reloaded: ${message}`);
    throw new ReloadError(409, 'NO_CONFIG_FILE', message);
  }
  let next: BrokerConfig;
  try {
    next = { ...defaultConfig(), ...validateConfig(source.read(), source.description) };
  } catch (error) {
    throw refused(broker, source, cause, error);
  }

  const running = broker.config;
  const changes = changedKeys(running, next);
  const report: ReloadReport = { source: source.description, dry_run: options.dryRun === true, changes: [], applied: [], not_applied: [] };
  const live: Array<{ key: string; change: ReloadChange }> = [];
  for (const key of changes) {
    const setting = liveSetting(key);
    const unavailable = setting?.unavailable?.(broker);
    const change: ReloadChange = {
      key: snakeName(key),
      from: shownValue(key, (running as unknown as Record<string, unknown>)[key]),
      to: shownValue(key, (next as unknown as Record<string, unknown>)[key]),
      live: setting !== undefined && unavailable === undefined,
      takes_effect: setting === undefined ? RESTART_NEEDED : (unavailable ?? setting.takesEffect),
      applied: false,
    };
    if (setting === undefined || unavailable !== undefined) change.note = unavailable ?? RESTART_NEEDED;
    report.changes.push(change);
    if (change.live) live.push({ key, change });
  }
  // Every check before anything is applied: a configuration that cannot be applied in full is not applied at all.
  try {
    for (const { key } of live) liveSetting(key)!.check?.(next, broker);
  } catch (error) {
    throw refused(broker, source, cause, error);
  }

  if (report.dry_run) {
    for (const change of report.changes) report.not_applied.push({ key: change.key, reason: change.live ? 'dry run' : change.note ?? RESTART_NEEDED });
    return report;
  }

  const previous: BrokerConfig = { ...running };
  const values = running as unknown as Record<string, unknown>;
  for (const { key, change } of live) {
    const before = values[key];
    const after = (next as unknown as Record<string, unknown>)[key];
    values[key] = after;
    try {
      const note = await liveSetting(key)!.apply?.(next, previous, broker);
      change.applied = true;
      if (typeof note === 'string' && note !== '') change.note = note;
      report.applied.push(change.key);
    } catch (error) {
      // An applier that set the running value itself (what really runs) keeps it.
      if (values[key] === after) values[key] = before;
      change.note = `failed: ${(error as Error).message}`;
      logger.error({ key: change.key, err: error }, 'configuration key not applied; its previous value stays in force');
    }
  }
  for (const change of report.changes) {
    if (!change.applied) report.not_applied.push({ key: change.key, reason: change.note ?? RESTART_NEEDED });
  }
  // Files the configuration names may have changed without it: TLS certificates are read again too.
  broker.reloadCertificates();
  logReport(broker, report, cause);
  return report;
}

/** The keys whose value differs (a key present on one side only counts). */
function changedKeys(running: BrokerConfig, next: BrokerConfig): string[] {
  const before = running as unknown as Record<string, unknown>;
  const after = next as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !isDeepStrictEqual(before[key], after[key]));
}

function refused(broker: StarlingBroker, source: ConfigSource, cause: string, error: unknown): ReloadError {
  if (!(error instanceof ConfigError)) {
    broker.logger.error({ file: source.description, cause, err: error }, 'configuration not reloaded; the running configuration stays');
    return new ReloadError(400, 'INVALID_CONFIG', (error as Error).message);
  }
  broker.logger.error({ file: source.description, cause, key: error.key, reason: error.message }, 'configuration not reloaded: the file is wrong; the running configuration stays');
  return new ReloadError(400, 'INVALID_CONFIG', error.message, error.key);
}

function logReport(broker: StarlingBroker, report: ReloadReport, cause: string): void {
  const logger = broker.logger;
  const restart = report.changes.filter((change) => !change.live).map((change) => change.key);
  // The warning first: the summary line is the last word on a reload (tests and operators wait for it).
  if (restart.length > 0) logger.warn({ keys: restart }, `changed in the config file but not applied until a restart: ${restart.join(', ')}`);
  logger.info(
    {
      file: report.source,
      cause,
      applied: report.applied,
      notApplied: report.not_applied.map((entry) => `${entry.key} (${entry.reason})`),
    },
    report.changes.length === 0 ? 'configuration reloaded: nothing changed' : 'configuration reloaded',
  );
}
