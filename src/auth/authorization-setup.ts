// Plugs authorization (ACL) and abuse protection (bans, failed-authentication lockout, connection
// and message rate limits, flapping, pending-connection cap) into a broker through its hooks.
//
// Hot path: with no ACL rules and an `allow` default no authorize hook is registered, so PUBLISH
// does not touch this module at all. With rules, the publish hook is synchronous: a WeakMap lookup
// for the client's compiled rules and a Map lookup in its decision cache. Rules in the store are
// watched through a generation record, read at most once a second; any change of rules (store,
// file, reload) bumps `generation`, and each client's compiled rules and cache are rebuilt lazily
// on its next check.

import { ReasonCode } from '../codec/constants.js';
import { parseSharedFilter } from '../core/topic.js';
import { ConfigError } from '../config/config-error.js';
import { defaultConfig } from '../config/defaults.js';
import type { AclConfig, AclRuleConfig, BrokerConfig, FlappingConfig, LockoutConfig, RateLimitsConfig } from '../config/types.js';
import type { AdmitConnectRequest, AuthenticationFailedEvent, AdmitConnectResult, AuthorizePublishRequest, AuthorizeReceiveRequest, AuthorizeSubscribeRequest, LimitPublishRequest } from '../hooks/events.js';
import type { ClientInfo, PeerInfo } from '../core/client.js';
import type { StarlingBroker } from '../instance.js';
import { AclRuleSet, ruleTopicError, type AclIdentity, type ClientAcl } from './acl.js';
import { DecisionCache } from './acl-cache.js';
import { grantsOf } from './jwt-acl-claim.js';
import { AclFile } from './acl-file.js';
import { banKey, BanList, isActive, normalizeAddress, type Ban } from './bans.js';
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
  close(): void;
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
  const lockoutConfig: LockoutConfig = { ...defaults.lockout, ...config.lockout };
  const rateLimits: RateLimitsConfig = { ...defaults.rateLimits, ...config.rateLimits };
  const flappingConfig: FlappingConfig = { ...defaults.flapping, ...config.flapping };
  const maxPending = config.maxPendingConnectionsPerAddress ?? defaults.maxPendingConnectionsPerAddress;
  const logger = broker.logger;
  const records = broker.store?.records ?? new MemoryRecords();
  const removers: Array<() => void> = [];
  const stats: AbuseStats = { bannedRefused: 0, connectionRateRefused: 0, pendingEvicted: 0, flappingBans: 0, publishRateLimited: 0, aclDenied: 0 };

  // --- ACL ---------------------------------------------------------------------------------
  const configRules = acl.rules ?? [];
  configRules.forEach((rule, index) => {
    const error = ruleTopicError(rule.topic);
    if (error !== undefined) throw new ConfigError(`acl.rules[${index}].topic`, `acl.rules[${index}].topic: ${error}`);
  });
  const defaultAllow = acl.default !== 'deny';
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
        publish: new DecisionCache(acl.cacheSize),
        subscribe: new DecisionCache(acl.cacheSize),
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

  const aclFile = acl.file !== '' && acl.file !== undefined ? openAclFile(acl.file, broker, rebuild) : undefined;
  if (aclFile !== undefined) removers.push(() => aclFile.close());

  // --- bans, lockout, flapping (at CONNECT) ----------------------------------------------------
  const bans = new BanList();
  const now0 = Date.now();
  for (const ban of config.bans ?? []) {
    const kind = ban.clientId !== undefined ? 'clientid' : ban.username !== undefined ? 'username' : 'address';
    const value = ban.clientId ?? ban.username ?? ban.address ?? '';
    try {
      bans.add({ kind, value, until: ban.until, reason: ban.reason, createdAt: now0, by: 'config' });
    } catch (error) {
      throw new ConfigError('bans', `bans: ${(error as Error).message}`, { cause: error });
    }
  }
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

  if (lockout.enabled) {
    const onFailure = (event: AuthenticationFailedEvent): void => {
      // Nothing was guessed: a client without credentials is refused by policy, not by a wrong password.
      if (event.anonymous) return;
      const locked = lockout.recordFailure(event.peer.address, event.username, Date.now());
      for (const key of locked) {
        logger.warn({ lock: key, clientId: event.clientId, maxFailures: lockoutConfig.maxFailures, window: lockoutConfig.window, duration: lockoutConfig.duration }, 'failed-authentication lockout');
      }
    };
    broker.on('client.authenticationFailed', onFailure);
    removers.push(() => broker.off('client.authenticationFailed', onFailure));
  }

  if (flapping.enabled) {
    const onDisconnected = (event: { client: ClientInfo }): void => {
      const now = Date.now();
      if (!flapping.record(event.client.clientId, now)) return;
      stats.flappingBans++;
      bans.add({ kind: 'clientid', value: event.client.clientId, until: now + flappingConfig.duration * 1000, reason: 'flapping', createdAt: now, by: 'flapping' });
      logger.warn({ clientId: event.client.clientId, maxCount: flappingConfig.maxCount, window: flappingConfig.window, duration: flappingConfig.duration }, 'client banned for flapping');
    };
    broker.on('client.disconnected', onDisconnected);
    removers.push(() => broker.off('client.disconnected', onDisconnected));
  }

  // --- connection gate: rate per listener/address, pending connections per address ------------
  const connectionRate = new ConnectionRateLimiter(rateLimits);
  // The pending-connection cap looks a peer's address up only once many connections are pending (see pending-connections.ts).
  const pending = new PendingConnections(maxPending, (peer) => normalizeAddress(peer.address));
  if (connectionRate.enabled || pending.enabled) {
    removers.push(
      broker.addConnectionGate((stream, peer) => {
        if (connectionRate.enabled && !connectionRate.allow(peer.listenerConfig ?? peer.listener, normalizeAddress(peer.address), Date.now())) {
          stats.connectionRateRefused++;
          return false;
        }
        if (pending.enabled) {
          if (pending.admit(peer, stream)) stats.pendingEvicted++;
        }
        return true;
      }),
    );
    if (pending.enabled) {
      // Settled when its CONNECT arrives, not when authentication ends: a client whose (async) password
      // check is still running must not be evicted by a flood from its address.
      const settleOnConnect = (request: AdmitConnectRequest): AdmitConnectResult => {
        pending.settle(request.peer);
        return undefined;
      };
      removers.push(broker.addHook('admitConnect', settleOnConnect, { priority: Number.MAX_SAFE_INTEGER }));
    }
  }
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
  if (rateLimits.messagesPerSecond > 0 || rateLimits.bytesPerSecond > 0) {
    const limiters = new WeakMap<ClientInfo, PublishLimiter>();
    const limitPublish = (request: LimitPublishRequest): ReturnType<PublishLimiter['check']> => {
      const now = Date.now();
      let limiter = limiters.get(request.client);
      if (limiter === undefined) limiters.set(request.client, (limiter = new PublishLimiter(rateLimits, rateLimits.policy, now)));
      const limit = limiter.check(request.qos, request.bytes, now);
      if (limit !== undefined) stats.publishRateLimited++;
      return limit;
    };
    removers.push(broker.addHook('limitPublish', limitPublish));
  }

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

  logger.debug({ aclRules: ruleSet.size, aclDefault: acl.default, bans: bans.size, lockout: lockoutConfig.maxFailures }, 'authorization installed');

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
