// The broker's own settings that a reload applies while it runs, each with when it takes effect.
// Everything not registered here (node_name, data_dir, durability, batch_interval_ms,
// max_store_bytes, log_pretty, shared_subscription_strategy, admin_socket, management, and any
// section another module adds without registering it) needs a restart.
//
// Limits a client is told at CONNACK (Maximum QoS, Retain Available, Receive Maximum, Maximum Packet
// Size, Topic Alias Maximum, Server Keep Alive, Session Expiry) apply to connections accepted after
// the reload: a connection is held to what it was told. Limits nobody was told apply at once.

import { disconnectBanned } from '../admin/broker-endpoint.js';
import type { Ban } from '../auth/bans.js';
import { checkAclSettings, staticBans } from '../auth/authorization-setup.js';
import { checkAuthenticationChain } from '../auth/setup.js';
import { ConfigError } from '../config/config-error.js';
import type { BrokerConfig } from '../config/types.js';
import type { StarlingBroker } from '../instance.js';
import { applyListeners } from './listeners.js';
import { registerLiveSetting, type LiveSetting } from './live-settings.js';

const AT_ONCE = 'at once';
const NEW_CONNECTIONS = 'connections accepted from now on';
const NEXT_CONNECT = 'the next CONNECT';

/** Read from the configuration where it is used: assigning it is all it takes. */
function plain(takesEffect: string): LiveSetting {
  return { takesEffect };
}

const connectionSettings: LiveSetting = { takesEffect: NEW_CONNECTIONS, apply: (_next, _previous, broker) => broker.connectionSettingsChanged() };

const authenticationChain: LiveSetting = {
  takesEffect: NEXT_CONNECT,
  check: (next, broker) => {
    if (broker.authentication === undefined) return;
    try {
      checkAuthenticationChain(next, broker.authentication.users);
    } catch (error) {
      throw new ConfigError('authentication', `authentication: ${(error as Error).message}`, { cause: error });
    }
  },
  // Reads the running configuration, where every reloaded key is by now (or its old value, if it failed).
  apply: (_next, _previous, broker) => broker.authentication?.reconfigure(broker.config),
};

function authorization(broker: StarlingBroker): NonNullable<StarlingBroker['authorization']> {
  if (broker.authorization === undefined) throw new Error('the broker has not started');
  return broker.authorization;
}

export function registerBuiltinSettings(): void {
  registerLiveSetting('logLevel', { takesEffect: AT_ONCE, apply: (next, _previous, broker) => void (broker.logger.level = next.logLevel) });
  registerLiveSetting('sysInterval', { takesEffect: AT_ONCE, apply: (_next, _previous, broker) => broker.sys.schedule() });

  // Read at each use.
  registerLiveSetting('maxConnections', plain(NEXT_CONNECT));
  registerLiveSetting('maxTopicLevels', plain(`${AT_ONCE} (the next PUBLISH or SUBSCRIBE)`));
  registerLiveSetting('maxQueuedMessages', plain(`${AT_ONCE}, for every session`));
  registerLiveSetting('connectTimeout', plain(AT_ONCE));
  registerLiveSetting('drainTimeout', plain(AT_ONCE));
  registerLiveSetting('maxOutgoingBufferBytes', { takesEffect: `${AT_ONCE}, for every connection`, apply: (_next, _previous, broker) => broker.connectionSettingsChanged() });

  // Told to the client at CONNACK, or fixed per connection when it connects.
  registerLiveSetting('maxPacketSize', connectionSettings);
  registerLiveSetting('maxQoS', connectionSettings);
  registerLiveSetting('retainAvailable', connectionSettings);
  registerLiveSetting('maxInflight', {
    takesEffect: `${NEW_CONNECTIONS} (Receive Maximum); every session's outbound window at once`,
    apply: (_next, _previous, broker) => broker.connectionSettingsChanged(),
  });
  registerLiveSetting('maxTopicAliases', plain(NEW_CONNECTIONS));
  registerLiveSetting('maxKeepAlive', plain(NEW_CONNECTIONS));
  registerLiveSetting('maxSessionExpiryInterval', plain(NEW_CONNECTIONS));

  registerLiveSetting('authentication', authenticationChain);
  registerLiveSetting('allowAnonymous', authenticationChain);
  registerLiveSetting('passwordHash', { takesEffect: 'new and changed built-in user passwords', apply: (_next, _previous, broker) => broker.authentication?.reconfigure(broker.config) });

  registerLiveSetting('acl', {
    takesEffect: `${AT_ONCE} (each client's next PUBLISH or SUBSCRIBE)`,
    check: (next) => checkAclSettings(next.acl),
    apply: (next, _previous, broker) => authorization(broker).applyAcl(next.acl),
  });
  registerLiveSetting('bans', {
    takesEffect: `${AT_ONCE}: new bans disconnect the clients they match`,
    check: (next) => void staticBans(next.bans, Date.now()),
    apply: (next, _previous, broker) => disconnectBannedNote(broker, authorization(broker).applyBans(next.bans)),
  });
  registerLiveSetting('lockout', {
    takesEffect: `${AT_ONCE} (failures counted and locks in force are kept)`,
    apply: (next, _previous, broker) => {
      authorization(broker).applyLockout(next.lockout);
      broker.managementContext?.lockout.configure({ ...next.lockout });
    },
  });
  registerLiveSetting('rateLimits', { takesEffect: `${AT_ONCE} (rates start again, full)`, apply: (next, _previous, broker) => authorization(broker).applyRateLimits(next.rateLimits) });
  registerLiveSetting('flapping', { takesEffect: AT_ONCE, apply: (next, _previous, broker) => authorization(broker).applyFlapping(next.flapping) });
  registerLiveSetting('maxPendingConnectionsPerAddress', {
    takesEffect: NEW_CONNECTIONS,
    apply: (next, _previous, broker) => authorization(broker).applyPendingLimit(next.maxPendingConnectionsPerAddress),
  });

  registerLiveSetting('listeners', {
    takesEffect: 'at once: added listeners start, removed ones stop, changed ones restart; other listeners keep their connections',
    unavailable: (broker) =>
      broker.listensAsConfigured ? undefined : 'this broker listens where listen() was told, not on the configured listeners',
    apply: (next: BrokerConfig, _previous, broker) => applyListeners(broker, next.listeners),
  });
  registerLiveSetting('traceDir', plain('traces started from now on'));
  // Connectors before rules: a new rule may name a new connector.
  registerLiveSetting('connectors', {
    takesEffect: `${AT_ONCE} (a changed connector restarts with an empty buffer)`,
    check: (next, broker) => broker.rules.checkReload(next.rules, next.connectors),
    apply: (next, previous, broker) => broker.rules.reloadConnectors(previous.connectors, next.connectors),
  });
  registerLiveSetting('rules', {
    takesEffect: `${AT_ONCE} (the next message or event; a changed rule keeps its metrics)`,
    check: (next, broker) => broker.rules.checkReload(next.rules, next.connectors),
    apply: (next, previous, broker) => broker.rules.reloadRules(previous.rules, next.rules),
  });
}

function disconnectBannedNote(broker: StarlingBroker, added: readonly Ban[]): string | undefined {
  if (added.length === 0) return undefined;
  const count = disconnectBanned(broker, added);
  return count > 0 ? `${count} banned client(s) disconnected` : undefined;
}
