// Plugs authorization (ACL) and abuse protection (bans, failed-authentication lockout, connection
// and message rate limits, flapping, pending-connection cap) into a broker through its hooks.
//
// Hot path: with no ACL rules and an `allow` default no authorize hook is registered, so PUBLISH
// does not touch this module at all. With rules, the publish hook is synchronous: a WeakMap lookup
// for the client's compiled rules and a Map lookup in its decision cache. Rules in the store are
// watched through a generation record, read at most once a second; any change of rules (store,
// file, reload) bumps `generation`, and each client's compiled rules and cache are rebuilt lazily
// on its next check.
//
// Every section can be set again while the broker runs (a configuration reload): `apply*` swaps the
// settings and keeps what was learnt (lockout failures and locks, flapping bans, store rules), and
// hooks and gates are added or removed as sections turn on or off, so a section that is off still
// costs nothing.

import type { ByteStream } from '../transport/listener.js';
import { ReasonCode } from '../codec/constants.js';
import { parseSharedFilter } from '../core/topic.js';
import { ConfigError } from '../config/config-error.js';
import { defaultConfig } from '../config/defaults.js';
import type { AclConfig, AclRuleConfig, BanConfig, BrokerConfig, FlappingConfig, LockoutConfig, RateLimitsConfig } from '../config/types.js';
import type { AdmitConnectRequest, AuthenticationFailedEvent, AdmitConnectResult, AuthorizePublishRequest, AuthorizeReceiveRequest, AuthorizeSubscribeRequest, LimitPublishRequest } from '../hooks/events.js';
import type { ClientInfo, PeerInfo } from '../core/client.js';
import type { StarlingBroker } from '../instance.js';
import { AclRuleSet, ruleTopicError, type AclIdentity, type ClientAcl } from './acl.js';
import { DecisionCache } from './acl-cache.js';
import { grantsOf } from './jwt-acl-claim.js';
import { AclFile, readAclFile } from './acl-file.js';
import { banError, banKey, BanList, isActive, normalizeAddress, type Ban } from './bans.js';
import { FlappingDetector } from './flapping.js';
import { Lockout } from './lockout.js';
import { PendingConnections } from './pending-connections.js';
import { ConnectionRateLimiter, PublishLimiter } from './rate-limits.js';
import { listEntries, MemoryRecords, readGeneration, type RecordStore } from './records.js';

/** How often store generations are read and old entries pruned. */
const MAINTENANCE_INTERVAL_MS = 1000;

export interface AbuseStats {
  /** CONNECTs refused by a ban (static, store or flapping). */
  bannedRefused: number;
  /** Sockets closed before CONNECT by the connection rate limits. */
  connectionRateRefused: number;
  /** Connections that had not sent CONNECT, closed to make room for newer ones from the same address. */
  pendingEvicted: number;
  /** Client ids banned for flapping. */
  flappingBans: number;
  /** PUBLISH packets over a client's message/byte rate (dropped, delayed or disconnected). */
  publishRateLimited: number;
  /** PUBLISH / SUBSCRIBE / retained deliveries the ACL denied. */
  aclDenied: number;
}

export interface Authorization {
  readonly stats: AbuseStats;
  readonly lockout: Lockout;
  /** Bans the broker itself made (flapping) and the static ones from the config. */
  readonly bans: BanList;
  /** Where ACL rules and bans managed at run time live (the store, or memory). */
  readonly records: RecordStore;
  /** The ACL rule generation (bumped whenever any rule source changes). */
  readonly generation: number;
  /** Whether the ACL hooks are registered. */
  readonly aclActive: boolean;
  /** Re-reads store rules and bans and the rules file now (normally: once a second / on change). */
  refresh(): void;
  /** New ACL settings (rules, default, file, cache size); each client's rules and cache are rebuilt at its next check. Throws a ConfigError when the rules file cannot be read. */
  applyAcl(acl: AclConfig): void;
  /** New static bans (those of the config file; flapping bans stay); returns the bans added. */
  applyBans(bans: readonly BanConfig[]): Ban[];
  applyLockout(lockout: LockoutConfig): void;
  applyFlapping(flapping: FlappingConfig): void;
  /** New rates: connection buckets start again, and each client's message and byte buckets at its next PUBLISH. */
  applyRateLimits(rateLimits: RateLimitsConfig): void;
  /** A new cap on connections without CONNECT per address (those pending now are no longer tracked). */
  applyPendingLimit(maxPerAddress: number): void;
  close(): void;
}

/** Throws a ConfigError naming the key when ACL settings cannot be applied (a rule's topic, an unreadable rules file). */
export function checkAclSettings(acl: AclConfig): void {
  (acl.rules ?? []).forEach((rule, index) => {
    const error = ruleTopicError(rule.topic);
    if (error !== undefined) throw new ConfigError(`acl.rules[${index}].topic`, `acl.rules[${index}].topic: ${error}`);
  });
  if (acl.file === '' || acl.file === undefined) return;
  try {
    readAclFile(acl.file);
  } catch (error) {
    throw new ConfigError('acl.file', `acl.file: cannot load ${acl.file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The config's static bans as Ban records; throws a ConfigError for a malformed one. */
export function staticBans(bans: readonly BanConfig[], now: number): Ban[] {
  return bans.map((ban, index) => {
    const kind = ban.clientId !== undefined ? 'clientid' : ban.username !== undefined ? 'username' : 'address';
    const value = ban.clientId ?? ban.username ?? ban.address ?? '';
    const record: Ban = { kind, value, until: ban.until, reason: ban.reason, createdAt: now, by: 'config' };
    const error = banError(record);
    if (error !== undefined) throw new ConfigError(`bans[${index}]`, `bans[${index}]: ${error}`);
    return record;
  });
}

interface ClientState {
  generation: number;
  acl: ClientAcl;
  superuser: boolean;
  publish: DecisionCache;
  subscribe: DecisionCache;
}

export function installAuthorization(broker: StarlingBroker, config: BrokerConfig): Authorization {
  const defaults = defaultConfig();
  const acl: AclConfig = { ...defaults.acl, ...config.acl };
  let lockoutConfig: LockoutConfig = { ...defaults.lockout, ...config.lockout };
  let rateLimits: RateLimitsConfig = { ...defaults.rateLimits, ...config.rateLimits };
  let flappingConfig: FlappingConfig = { ...defaults.flapping, ...config.flapping };
  let maxPending = config.maxPendingConnectionsPerAddress ?? defaults.maxPendingConnectionsPerAddress;
  const logger = broker.logger;
  const records = broker.store?.records ?? new MemoryRecords();
  const removers: Array<() => void> = [];
  const stats: AbuseStats = { bannedRefused: 0, connectionRateRefused: 0, pendingEvicted: 0, flappingBans: 0, publishRateLimited: 0, aclDenied: 0 };

  // --- ACL ---------------------------------------------------------------------------------
  checkAclSettings(acl);
  let aclSettings = acl;
  let configRules: readonly AclRuleConfig[] = acl.rules ?? [];
  let defaultAllow = acl.default !== 'deny';
  let storeRules: AclRuleConfig[] = [];
  let aclGeneration = -1;
  let ruleSet = new AclRuleSet([], defaultAllow);
  let generation = 0;
  let aclRemovers: Array<() => void> = [];
  const clients = new WeakMap<ClientInfo, ClientState>();

  const rebuild = (): void => {
    ruleSet = new AclRuleSet([...storeRules, ...(aclFile?.current ?? []), ...configRules], defaultAllow);
    generation++;
    const active = ruleSet.size > 0 || !defaultAllow;
    if (active && aclRemovers.length === 0) {
      aclRemovers = [
        broker.addHook('authorizePublish', authorizePublish, { name: 'acl' }),
        broker.addHook('authorizeSubscribe', authorizeSubscribe, { name: 'acl' }),
        broker.addHook('authorizeReceive', authorizeReceive, { name: 'acl' }),
      ];
    } else if (!active && aclRemovers.length > 0) {
      for (const remove of aclRemovers) remove();
      aclRemovers = [];
    }
  };

  const stateOf = (client: ClientInfo): ClientState => {
    let state = clients.get(client);
    if (state === undefined || state.generation !== generation) {
      const attributes = (client as { attributes?: Record<string, unknown> }).attributes;
      const certificate = (client.peer as PeerInfo & { certificate?: { commonName?: string } }).certificate;
      const fromAuthenticator = (attributes?.['certificate'] as { cn?: unknown } | undefined)?.cn;
      const jwtClaims = attributes?.['jwt'];
      const identity: AclIdentity = {
        clientId: client.clientId,
        username: client.username,
        certCommonName: certificate?.commonName ?? (typeof fromAuthenticator === 'string' ? fromAuthenticator : undefined),
        jwtClaims: typeof jwtClaims === 'object' && jwtClaims !== null ? (jwtClaims as Record<string, unknown>) : undefined,
        grants: grantsOf(attributes),
      };
      state = {
        generation,
        acl: ruleSet.forClient(identity),
        superuser: (client as { superuser?: boolean }).superuser === true || attributes?.['superuser'] === true,
        publish: new DecisionCache(aclSettings.cacheSize),
        subscribe: new DecisionCache(aclSettings.cacheSize),
      };
      clients.set(client, state);
    }
    return state;
  };

  function authorizePublish(request: AuthorizePublishRequest): boolean {
    const state = stateOf(request.client);
    if (state.superuser) return true;
    let allowed = state.publish.get(request.topic);
    if (allowed === undefined) {
      allowed = state.acl.mayPublish(request.topic);
      state.publish.set(request.topic, allowed);
    }
    if (!allowed) stats.aclDenied++;
    return allowed;
  }

  const maySubscribe = (client: ClientInfo, filter: string): boolean => {
    const state = stateOf(client);
    if (state.superuser) return true;
    let allowed = state.subscribe.get(filter);
    if (allowed === undefined) {
      allowed = state.acl.maySubscribe(filter);
      state.subscribe.set(filter, allowed);
    }
    if (!allowed) stats.aclDenied++;
    return allowed;
  };

  function authorizeSubscribe(request: AuthorizeSubscribeRequest): boolean {
    const filter = request.subscription.topicFilter;
    return maySubscribe(request.client, parseSharedFilter(filter)?.filter ?? filter);
  }

  function authorizeReceive(request: AuthorizeReceiveRequest): boolean {
    return maySubscribe(request.client, request.topic);
  }

  let aclFile = acl.file !== '' && acl.file !== undefined ? openAclFile(acl.file, broker, rebuild) : undefined;
  removers.push(() => aclFile?.close());

  const applyAcl = (next: AclConfig): void => {
    const settings: AclConfig = { ...defaults.acl, ...next };
    checkAclSettings(settings);
    const file = settings.file ?? '';
    if (file !== (aclFile?.path ?? '')) {
      const opened = file === '' ? undefined : openAclFile(file, broker, rebuild);
      aclFile?.close();
      aclFile = opened;
    }
    aclSettings = settings;
    configRules = settings.rules ?? [];
    defaultAllow = settings.default !== 'deny';
    rebuild();
  };

  // --- bans, lockout, flapping (at CONNECT) ----------------------------------------------------
  const bans = new BanList();
  for (const ban of staticBans(config.bans ?? [], Date.now())) bans.add(ban);
  const applyBans = (next: readonly BanConfig[]): Ban[] => {
    const fresh = staticBans(next, Date.now());
    const before = new Map(bans.list().filter((ban) => ban.by === 'config').map((ban) => [banKey(ban.kind, ban.value), ban]));
    for (const ban of before.values()) bans.remove(ban.kind, ban.value);
    for (const ban of fresh) bans.add(ban);
    return fresh.filter((ban) => before.get(banKey(ban.kind, ban.value)) === undefined);
  };
  // Address bans from the store, kept compiled; client id and username bans are read at each CONNECT.
  const storeAddressBans = new BanList();
  let banGeneration = -1;
  const lockout = new Lockout(lockoutConfig);
  const flapping = new FlappingDetector(flappingConfig);

  const findBan = (request: AdmitConnectRequest, now: number): Ban | undefined => {
    // The peer address is looked up lazily (transport/listener.ts): only when some ban is by address.
    const byAddress = bans.hasAddressBans || storeAddressBans.hasAddressBans;
    const subject = { clientId: request.clientId, username: request.username, address: byAddress ? request.peer.address : '' };
    const found = bans.find(subject, now) ?? (byAddress ? storeAddressBans.findAddress(subject.address, now) : undefined);
    if (found !== undefined) return found;
    if (request.clientId !== '') {
      const ban = records.get<Ban>('ban', banKey('clientid', request.clientId));
      if (ban !== undefined && isActive(ban, now)) return ban;
    }
    if (request.username !== undefined) {
      const ban = records.get<Ban>('ban', banKey('username', request.username));
      if (ban !== undefined && isActive(ban, now)) return ban;
    }
    return undefined;
  };

  const admitConnect = (request: AdmitConnectRequest): AdmitConnectResult => {
    const now = Date.now();
    const ban = findBan(request, now);
    if (ban !== undefined) {
      stats.bannedRefused++;
      logger.info({ clientId: request.clientId, username: request.username, peer: request.peer.address, ban: `${ban.kind} ${ban.value}`, reason: ban.reason }, 'banned client refused');
      return { reasonCode: ReasonCode.Banned, reason: 'banned' };
    }
    const lock = lockout.hasLocks ? lockout.lockFor(request.peer.address, request.username, now) : undefined;
    if (lock !== undefined) {
      lockout.stats.refused++;
      logger.info({ clientId: request.clientId, peer: request.peer.address, lock: lock.key, until: new Date(lock.until).toISOString() }, 'locked out after failed authentications');
      return { reasonCode: ReasonCode.Banned, reason: 'too many failed authentications' };
    }
    return undefined;
  };
  removers.push(broker.addHook('admitConnect', admitConnect, { priority: 1000 }));

  // Registered whatever the settings: it runs only when an authentication fails, and a reload may turn lockout on.
  const onFailure = (event: AuthenticationFailedEvent): void => {
    // Nothing was guessed: a client without credentials is refused by policy, not by a wrong password.
    if (event.anonymous || !lockout.enabled) return;
    const locked = lockout.recordFailure(event.peer.address, event.username, Date.now());
    for (const key of locked) {
      logger.warn({ lock: key, clientId: event.clientId, maxFailures: lockoutConfig.maxFailures, window: lockoutConfig.window, duration: lockoutConfig.duration }, 'failed-authentication lockout');
    }
  };
  broker.on('client.authenticationFailed', onFailure);
  removers.push(() => broker.off('client.authenticationFailed', onFailure));
  const applyLockout = (next: LockoutConfig): void => {
    lockoutConfig = { ...defaults.lockout, ...next };
    lockout.configure(lockoutConfig);
  };

  // Only while flapping detection is on: a `client.disconnected` listener makes every disconnection build its event.
  const onDisconnected = (event: { client: ClientInfo }): void => {
    const now = Date.now();
    if (!flapping.record(event.client.clientId, now)) return;
    stats.flappingBans++;
    bans.add({ kind: 'clientid', value: event.client.clientId, until: now + flappingConfig.duration * 1000, reason: 'flapping', createdAt: now, by: 'flapping' });
    logger.warn({ clientId: event.client.clientId, maxCount: flappingConfig.maxCount, window: flappingConfig.window, duration: flappingConfig.duration }, 'client banned for flapping');
  };
  let flappingListened = false;
  const applyFlapping = (next: FlappingConfig): void => {
    flappingConfig = { ...defaults.flapping, ...next };
    flapping.configure(flappingConfig);
    if (flapping.enabled && !flappingListened) broker.on('client.disconnected', onDisconnected);
    else if (!flapping.enabled && flappingListened) broker.off('client.disconnected', onDisconnected);
    flappingListened = flapping.enabled;
  };
  applyFlapping(flappingConfig);
  removers.push(() => {
    if (flappingListened) broker.off('client.disconnected', onDisconnected);
    flappingListened = false;
  });

  // --- connection gate: rate per listener/address, pending connections per address ------------
  const connectionRate = new ConnectionRateLimiter(rateLimits);
  // The pending-connection cap looks a peer's address up only once many connections are pending (see pending-connections.ts).
  const pendingOf = (max: number): PendingConnections => new PendingConnections(max, (peer) => normalizeAddress(peer.address));
  let pending = pendingOf(maxPending);
  const gate = (stream: ByteStream, peer: PeerInfo): boolean => {
    if (connectionRate.enabled && !connectionRate.allow(peer.listenerConfig ?? peer.listener, normalizeAddress(peer.address), Date.now())) {
      stats.connectionRateRefused++;
      return false;
    }
    if (pending.enabled) {
      if (pending.admit(peer, stream)) stats.pendingEvicted++;
    }
    return true;
  };
  // Settled when its CONNECT arrives, not when authentication ends: a client whose (async) password
  // check is still running must not be evicted by a flood from its address.
  const settleOnConnect = (request: AdmitConnectRequest): AdmitConnectResult => {
    pending.settle(request.peer);
    return undefined;
  };
  let removeGate: (() => void) | undefined;
  let removeSettle: (() => void) | undefined;
  /** The gate and the settle hook exist only while some connection limit is on. */
  const updateGate = (): void => {
    const gated = connectionRate.enabled || pending.enabled;
    if (gated && removeGate === undefined) removeGate = broker.addConnectionGate(gate);
    else if (!gated && removeGate !== undefined) {
      removeGate();
      removeGate = undefined;
    }
    if (pending.enabled && removeSettle === undefined) removeSettle = broker.addHook('admitConnect', settleOnConnect, { priority: Number.MAX_SAFE_INTEGER });
    else if (!pending.enabled && removeSettle !== undefined) {
      removeSettle();
      removeSettle = undefined;
    }
  };
  updateGate();
  removers.push(() => {
    removeGate?.();
    removeSettle?.();
  });
  const applyPendingLimit = (max: number): void => {
    maxPending = max;
    pending = pendingOf(max);
    updateGate();
  };
  // One line per maintenance tick during a flood, not one per socket.
  const logEvictions = (): void => {
    pending.dropClosed();
    const evictions = pending.takeEvictions();
    if (evictions.size === 0) return;
    let evicted = 0;
    for (const count of evictions.values()) evicted += count;
    const addresses = Object.fromEntries([...evictions].sort(([, a], [, b]) => b - a).slice(0, 5));
    logger.warn({ evicted, addresses, maxPendingConnectionsPerAddress: maxPending }, 'closed the oldest connections that had not sent CONNECT to make room for new ones');
  };

  // --- message and byte rates per client -------------------------------------------------------
  let limiters = new WeakMap<ClientInfo, PublishLimiter>();
  const limitPublish = (request: LimitPublishRequest): ReturnType<PublishLimiter['check']> => {
    const now = Date.now();
    let limiter = limiters.get(request.client);
    if (limiter === undefined) limiters.set(request.client, (limiter = new PublishLimiter(rateLimits, rateLimits.policy, now)));
    const limit = limiter.check(request.qos, request.bytes, now);
    if (limit !== undefined) stats.publishRateLimited++;
    return limit;
  };
  let removeLimitPublish: (() => void) | undefined;
  const applyRateLimits = (next: RateLimitsConfig): void => {
    rateLimits = { ...defaults.rateLimits, ...next };
    connectionRate.configure(rateLimits);
    limiters = new WeakMap();
    const limited = rateLimits.messagesPerSecond > 0 || rateLimits.bytesPerSecond > 0;
    if (limited && removeLimitPublish === undefined) removeLimitPublish = broker.addHook('limitPublish', limitPublish);
    else if (!limited && removeLimitPublish !== undefined) {
      removeLimitPublish();
      removeLimitPublish = undefined;
    }
    updateGate();
  };
  applyRateLimits(rateLimits);
  removers.push(() => removeLimitPublish?.());

  // --- store watch and pruning ------------------------------------------------------------------
  const refresh = (): void => {
    const now = Date.now();
    const currentAcl = readGeneration(records, 'acl');
    if (currentAcl !== aclGeneration) {
      aclGeneration = currentAcl;
      storeRules = listEntries<AclRuleConfig>(records, 'acl').map(([, rule]) => rule);
      rebuild();
    }
    const currentBans = readGeneration(records, 'ban');
    if (currentBans !== banGeneration) {
      banGeneration = currentBans;
      storeAddressBans.clear();
      for (const [, ban] of listEntries<Ban>(records, 'ban')) {
        if (ban.kind !== 'address' || !isActive(ban, now)) continue;
        try {
          storeAddressBans.add(ban);
        } catch (error) {
          logger.warn({ ban: ban.value, err: error }, 'ignoring a malformed address ban in the store');
        }
      }
    }
    bans.prune(now);
    lockout.prune(now);
    flapping.prune(now);
    connectionRate.prune(now);
    logEvictions();
  };
  refresh();
  const timer = setInterval(() => {
    try {
      refresh();
    } catch (error) {
      logger.error({ err: error }, 'authorization refresh failed');
    }
  }, MAINTENANCE_INTERVAL_MS).unref();

  logger.debug({ aclRules: ruleSet.size, aclDefault: aclSettings.default, bans: bans.size, lockout: lockoutConfig.maxFailures }, 'authorization installed');

  return {
    stats,
    lockout,
    bans,
    records,
    get generation() {
      return generation;
    },
    get aclActive() {
      return aclRemovers.length > 0;
    },
    refresh: () => {
      aclGeneration = -1;
      banGeneration = -1;
      refresh();
    },
    applyAcl,
    applyBans,
    applyLockout,
    applyFlapping,
    applyRateLimits,
    applyPendingLimit,
    close() {
      clearInterval(timer);
      for (const remove of [...removers, ...aclRemovers]) remove();
      aclRemovers = [];
    },
  };
}

function openAclFile(path: string, broker: StarlingBroker, changed: () => void): AclFile {
  try {
    return new AclFile(path, broker.logger, changed);
  } catch (error) {
    throw new ConfigError('acl.file', `acl.file: cannot load ${path}: ${(error as Error).message}`, { cause: error });
  }
}
