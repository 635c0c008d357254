// Which configuration keys a running broker takes without a restart, and how. A module that owns a
// setting registers an applier for its key; a key nobody registered for (a section another module
// adds, node_name, data_dir, ...) is reported as needing a restart when a reload finds it changed.

import type { BrokerConfig } from '../config/types.js';
import type { StarlingBroker } from '../instance.js';

export interface LiveSetting {
  /** When a new value takes effect, in words for the answer and the log: `at once`, `new connections`, ... */
  readonly takesEffect: string;
  /** Why this broker cannot take a new value now (it is not running the configured listeners, say), or undefined. */
  unavailable?(broker: StarlingBroker): string | undefined;
  /**
   * Throws a ConfigError naming the key when the new value cannot be applied (an unreadable rules file, a
   * key file an authenticator needs). Runs for every changed key before anything is applied, so such a
   * file keeps the whole running configuration.
   */
  check?(next: BrokerConfig, broker: StarlingBroker): void;
  /**
   * Puts the new value to work; it is already in `broker.config` (and `previous` holds the configuration
   * before the reload). May return a note on what was done. A thrown error is reported for this key, whose
   * previous value is then put back.
   */
  apply?(next: BrokerConfig, previous: BrokerConfig, broker: StarlingBroker): string | void | Promise<string | void>;
}

const settings = new Map<string, LiveSetting>();

/** Makes a configuration key (camelCase, as in BrokerConfig) changeable by a reload. */
export function registerLiveSetting(key: string, setting: LiveSetting): void {
  settings.set(key, setting);
}

export function liveSetting(key: string): LiveSetting | undefined {
  return settings.get(key);
}
