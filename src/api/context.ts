// What the management API's routes work with. `admin` holds the store-level operations (users,
// administrators, ACL rules, bans, API keys), which run on a running broker and on a stopped one's
// data directory alike; `broker` is there only on a running broker, and routes about live state
// (clients, subscriptions, publish, stats) refuse with 503 without it.

import { AdminError, type AdminContext } from '../admin/operations.js';
import { Lockout } from '../auth/lockout.js';
import { managementDefaults } from '../config/management-schema.js';
import type { LockoutConfig, ManagementConfig } from '../config/types.js';
import type { StarlingBroker } from '../instance.js';
import type { Logger } from '../log.js';
import { ApiKeyDatabase } from './auth/api-keys.js';
import { TokenService } from './auth/tokens.js';
import { clusterView } from './live/cluster-view.js';
import { LiveState, requireLive } from './live/live-state.js';

export interface ApiContext {
  logger: Logger;
  admin: AdminContext;
  apiKeys: ApiKeyDatabase;
  tokens: TokenService;
  /** Failed logins and API key checks, by address and by username (the `lockout` settings). */
  lockout: Lockout;
  management: Pick<ManagementConfig, 'tokenTtl' | 'metricsAuth'>;
  /** The running broker; undefined for `starling ctl` on a stopped broker's data directory. */
  broker?: StarlingBroker;
  /** The running broker's client index and monitor samples (with `broker`). */
  live?: LiveState;
}

/** The running broker's live state (clients, samples), or a 503 saying that this needs a running broker. */
export function liveState(context: ApiContext): LiveState {
  return requireLive(context.live);
}

/** The running broker, or a 503 saying that this needs one. */
export function runningBroker(context: ApiContext): StarlingBroker {
  if (context.broker === undefined) throw new AdminError(503, 'no broker is running on this data directory: start it first', 'NO_BROKER');
  return context.broker;
}

export interface ApiContextOptions {
  logger: Logger;
  admin: AdminContext;
  /** Resolves when the writes made so far are durable. */
  flushed: () => Promise<void> | undefined;
  lockout: LockoutConfig;
  management: ManagementConfig | false | undefined;
  broker?: StarlingBroker;
}

/** One context for every door of one broker (or of one stopped broker's data directory). */
export function createApiContext(options: ApiContextOptions): ApiContext {
  const management = options.management === false || options.management === undefined ? managementDefaults : options.management;
  const context: ApiContext = {
    logger: options.logger,
    admin: options.admin,
    apiKeys: new ApiKeyDatabase(options.admin.records, options.flushed),
    tokens: new TokenService(options.admin.records, management.tokenTtl),
    lockout: new Lockout(options.lockout),
    management: { tokenTtl: management.tokenTtl, metricsAuth: management.metricsAuth },
  };
  if (options.broker !== undefined) {
    context.broker = options.broker;
    context.live = new LiveState(options.broker);
    // A cluster's other members (none when the broker runs alone).
    context.live.cluster = clusterView(options.broker);
  }
  return context;
}

/** The admin operations acting as the caller (recorded as `by` in bans). */
export function adminAs(context: ApiContext, actor: string): AdminContext {
  return actor === context.admin.actor ? context.admin : { ...context.admin, actor };
}
