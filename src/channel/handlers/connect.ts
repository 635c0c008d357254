// CONNECT (and MQTT 5 enhanced authentication through AUTH): checks, authentication, session
// open/resume/takeover, CONNACK, then redelivery of what the session owes the client.

import { randomBytes } from 'node:crypto';
import { ProtocolVersion, ReasonCode } from '../../codec/constants.js';
import type { AuthPacket, ConnectPacket, Properties } from '../../codec/types.js';
import { isValidTopicName } from '../../codec/validate.js';
import { SESSION_NEVER_EXPIRES, type OpenedSession } from '../../session/registry.js';
import type { AuthenticateResult } from '../../hooks/events.js';
import type { Channel } from '../channel.js';
import { ProtocolError } from '../protocol-error.js';
import { TopicAliases } from '../topic-alias.js';
import { isThenable } from '../../hooks/thenable.js';

/** The CONNECT being processed while an enhanced authentication exchange runs. */
const pendingConnects = new WeakMap<Channel, ConnectPacket>();
/** Connected channels in the middle of a re-authentication (AUTH 0x19 sent, not yet answered with success). */
const reauthenticating = new WeakSet<Channel>();

export function handleConnect(channel: Channel, packet: ConnectPacket): void | Promise<void> {
  channel.protocolVersion = packet.protocolVersion;
  channel.outbox.protocolVersion = packet.protocolVersion;
  channel.requestedClientId = packet.clientId;
  // A tls/wss listener with peer_cert_as_username / peer_cert_as_client_id: the verified certificate wins.
  const fromCertificate = channel.peer.fromCertificate;
  if (fromCertificate?.username !== undefined) packet.username = fromCertificate.username;
  if (fromCertificate?.clientId !== undefined) packet.clientId = fromCertificate.clientId;
  checkConnect(channel, packet);
  const hooks = channel.context.broker.hooks;
  if (hooks.has('admitConnect')) {
    // Bans, failed-authentication lockout, flapping: refused before any authentication work.
    const refusal = hooks.admitConnect({ clientId: packet.clientId, username: packet.username, protocolVersion: packet.protocolVersion, peer: channel.peer });
    if (refusal !== undefined) throw new ProtocolError(refusal.reasonCode, refusal.reason);
  }
  if (channel.isV5 && packet.properties.authenticationMethod !== undefined) {
    return startEnhancedAuth(channel, packet, packet.properties.authenticationMethod);
  }
  if (!hooks.has('authenticate')) {
    return completeConnect(channel, packet, undefined);
  }
  return authenticateThenConnect(channel, packet);
}

/** AUTH packet: the next step of an enhanced authentication, or a re-authentication (MQTT 5). */
export async function handleAuth(channel: Channel, packet: AuthPacket): Promise<void> {
  if (!channel.isV5) throw new ProtocolError(ReasonCode.ProtocolError, 'AUTH in MQTT 3');
  const method = packet.properties.authenticationMethod;
  // [MQTT-4.12.0-5] [MQTT-4.12.0-7] the method must stay the one of the CONNECT
  if (channel.authenticationMethod === undefined || method !== channel.authenticationMethod) {
    throw new ProtocolError(ReasonCode.ProtocolError, 'AUTH with no or another authentication method');
  }
  const reauthenticate = channel.state === 'connected';
  // A re-authentication starts with 0x19; its further steps, like those of the first one, are 0x18 (4.12.1).
  const expected = reauthenticate && !reauthenticating.has(channel) ? ReasonCode.ReAuthenticate : ReasonCode.ContinueAuthentication;
  if (packet.reasonCode !== expected) {
    throw new ProtocolError(ReasonCode.ProtocolError, `unexpected AUTH reason code ${packet.reasonCode}`);
  }
  await runAuthStep(channel, method, packet.properties.authenticationData, reauthenticate);
}

function checkConnect(channel: Channel, packet: ConnectPacket): void {
  const config = channel.config;
  if (packet.clientId.length === 0) {
    // [MQTT-3.1.3-8] 3.1.1: an empty id needs Clean Session 1; 3.1 has no empty ids at all
    if (packet.protocolVersion === ProtocolVersion.V31 || (packet.protocolVersion === ProtocolVersion.V311 && !packet.clean)) {
      throw new ProtocolError(ReasonCode.ClientIdentifierNotValid, 'empty client identifier');
    }
  }
  const registry = channel.context.registry;
  // A takeover replaces a connection, so it does not count against the limit.
  if (registry.connectedCount >= config.maxConnections && !registry.isConnected(packet.clientId)) {
    throw new ProtocolError(channel.isV5 ? ReasonCode.QuotaExceeded : ReasonCode.ServerUnavailable, 'maximum connections reached');
  }
  const will = packet.will;
  if (will !== undefined) {
    if (!isValidTopicName(will.topic)) throw new ProtocolError(ReasonCode.TopicNameInvalid, 'invalid will topic');
    // [MQTT-3.2.2-12] a will QoS above Maximum QoS is refused
    if (will.qos > channel.announced.maxQoS) throw new ProtocolError(ReasonCode.QoSNotSupported, `will QoS ${will.qos} not supported`);
    if (will.retain && !channel.announced.retainAvailable) throw new ProtocolError(ReasonCode.RetainNotSupported, 'retain not supported');
  }
}

function authenticateThenConnect(channel: Channel, packet: ConnectPacket): void | Promise<void> {
  const result = channel.context.broker.hooks.authenticate({
    clientId: packet.clientId,
    username: packet.username,
    password: packet.password,
    protocolVersion: packet.protocolVersion,
    peer: channel.peer,
    properties: packet.properties,
  });
  // Anonymous access and cached checks answer at once: no promise, and the CONNACK goes out this turn.
  if (isThenable(result)) return Promise.resolve(result).then((answer) => connectAuthenticated(channel, packet, answer));
  return connectAuthenticated(channel, packet, result);
}

function connectAuthenticated(channel: Channel, packet: ConnectPacket, result: AuthenticateResult): void | Promise<void> {
  if (channel.state === 'closed') return;
  if (result?.result === 'deny') {
    authenticationFailed(channel, packet.clientId, packet.username, sentNoCredentials(packet), result.reasonCode ?? ReasonCode.BadUserNameOrPassword);
    throw new ProtocolError(result.reasonCode ?? ReasonCode.BadUserNameOrPassword, result.reasonString ?? 'authentication failed');
  }
  return completeConnect(channel, packet, undefined, result);
}

async function startEnhancedAuth(channel: Channel, packet: ConnectPacket, method: string): Promise<void> {
  if (!channel.context.broker.hooks.has('enhancedAuth')) {
    throw new ProtocolError(ReasonCode.BadAuthenticationMethod, `authentication method ${method} not supported`);
  }
  channel.authenticationMethod = method;
  pendingConnects.set(channel, packet);
  await runAuthStep(channel, method, packet.properties.authenticationData, false);
}

async function runAuthStep(channel: Channel, method: string, data: Buffer | undefined, reauthenticate: boolean): Promise<void> {
  const result = await channel.context.broker.hooks.enhancedAuth({
    clientId: channel.clientId || (pendingConnects.get(channel)?.clientId ?? ''),
    method,
    data,
    reauthenticate,
    peer: channel.peer,
  });
  if (channel.state === 'closed') return;
  if (result === undefined) throw new ProtocolError(ReasonCode.BadAuthenticationMethod, `authentication method ${method} not supported`);
  if (result.result === 'deny') {
    const packet = pendingConnects.get(channel);
    authenticationFailed(channel, channel.clientId || (packet?.clientId ?? ''), channel.username ?? packet?.username, false, result.reasonCode ?? ReasonCode.NotAuthorized);
    throw new ProtocolError(result.reasonCode ?? ReasonCode.NotAuthorized, result.reasonString ?? 'authentication failed');
  }
  const properties: Properties = { authenticationMethod: method };
  if (result.data !== undefined) properties.authenticationData = result.data;
  if (result.result === 'continue') {
    if (channel.state === 'connecting') channel.state = 'authenticating';
    if (reauthenticate) reauthenticating.add(channel);
    channel.outbox.send({ type: 'auth', reasonCode: ReasonCode.ContinueAuthentication, properties });
    return;
  }
  if (reauthenticate) {
    reauthenticating.delete(channel);
    const client = channel.client;
    if (client !== undefined) {
      if (result.superuser !== undefined) client.superuser = result.superuser;
      if (result.attributes !== undefined) client.attributes = result.attributes;
    }
    channel.outbox.send({ type: 'auth', reasonCode: ReasonCode.Success, properties });
    return;
  }
  const packet = pendingConnects.get(channel)!;
  pendingConnects.delete(channel);
  await completeConnect(channel, packet, properties, result);
}

/** What the authenticator that allowed the client established about it. */
interface Identity {
  username?: string;
  superuser?: boolean;
  attributes?: Record<string, unknown>;
}

function completeConnect(channel: Channel, packet: ConnectPacket, authProperties: Properties | undefined, identity?: Identity): void | Promise<void> {
  const { broker, registry } = channel.context;
  const config = broker.config;
  const v5 = channel.isV5;
  const connackProperties: Properties = authProperties ?? {};
  broker.counters.authenticationSuccess++;
  if (sentNoCredentials(packet)) broker.counters.authenticationAnonymous++;

  let clientId = packet.clientId;
  if (clientId.length === 0) {
    clientId = `starling-${randomBytes(8).toString('hex')}`;
    if (v5) connackProperties.assignedClientIdentifier = clientId;
  }
  channel.clientId = clientId;
  const username = identity?.username ?? packet.username;
  channel.username = username;

  let keepAlive = packet.keepAlive;
  if (v5 && keepAlive > config.maxKeepAlive) {
    keepAlive = config.maxKeepAlive;
    connackProperties.serverKeepAlive = keepAlive; // [MQTT-3.2.2-21]
  }
  channel.keepAlive = keepAlive;

  let expiry: number;
  if (v5) {
    expiry = packet.properties.sessionExpiryInterval ?? 0;
    channel.requestedSessionExpiry = expiry;
    if (expiry > config.maxSessionExpiryInterval) {
      expiry = config.maxSessionExpiryInterval;
      connackProperties.sessionExpiryInterval = expiry;
    }
    channel.receiveMaximum = packet.properties.receiveMaximum ?? 65535;
    channel.maximumPacketSize = packet.properties.maximumPacketSize;
    channel.requestProblemInformation = packet.properties.requestProblemInformation !== 0;
    const outboundAliases = Math.min(packet.properties.topicAliasMaximum ?? 0, config.maxTopicAliases);
    if (config.maxTopicAliases > 0 || outboundAliases > 0) {
      channel.aliases = new TopicAliases(config.maxTopicAliases, outboundAliases);
    }
    addServerCapabilities(channel, connackProperties);
  } else {
    // 3.x: Clean Session 0 keeps the session until the broker's maximum expiry
    expiry = packet.clean ? 0 : Math.min(SESSION_NEVER_EXPIRES, config.maxSessionExpiryInterval);
  }

  const opened = registry.open(clientId, packet.clean, channel);
  const accepted = { clientId, username, keepAlive, expiry, identity, connackProperties };
  // The slow path (a store read, a takeover from another node): reading pauses until the session is open.
  if (isThenable(opened)) return opened.then((result) => sessionOpened(channel, packet, accepted, result));
  sessionOpened(channel, packet, accepted, opened);
}

/** What completeConnect settled before the session was opened. */
interface AcceptedConnect {
  clientId: string;
  username: string | undefined;
  keepAlive: number;
  expiry: number;
  identity: Identity | undefined;
  connackProperties: Properties;
}

function sessionOpened(channel: Channel, packet: ConnectPacket, accepted: AcceptedConnect, opened: OpenedSession): void {
  const { broker, registry } = channel.context;
  const { clientId, username, keepAlive, expiry, identity, connackProperties } = accepted;
  const { session, sessionPresent } = opened;
  if (channel.state === 'closed') {
    // The connection went while the session was being opened: it is released as at any disconnection.
    registry.close(session, channel, undefined);
    return;
  }
  session.protocolVersion = packet.protocolVersion;
  session.expiryInterval = expiry;
  session.username = username;
  channel.session = session;
  registry.persist(session);
  channel.will = packet.will;
  channel.client = {
    clientId,
    username,
    protocolVersion: packet.protocolVersion,
    peer: channel.peer,
    keepAlive,
    clean: packet.clean,
  };
  if (identity?.superuser !== undefined) channel.client.superuser = identity.superuser;
  if (identity?.attributes !== undefined) channel.client.attributes = identity.attributes;
  channel.state = 'connected';
  broker.counters.clientsConnected++;
  channel.context.traffic.of(channel.peer.listener).clientsConnected++;
  if (broker.counters.clientsConnected > broker.counters.clientsMaximum) {
    broker.counters.clientsMaximum = broker.counters.clientsConnected;
  }

  channel.outbox.send({
    type: 'connack',
    // [MQTT-3.2.2-1] [MQTT-3.2.2-2] Session Present; 3.1 has no such flag
    sessionPresent: packet.protocolVersion !== ProtocolVersion.V31 && sessionPresent,
    reasonCode: ReasonCode.Success,
    properties: connackProperties,
  });
  channel.connackSent(ReasonCode.Success, sessionPresent);
  const logger = channel.context.logger;
  if (logger.isLevelEnabled('debug')) {
    logger.debug({ clientId, peer: channel.peer.address, protocolVersion: packet.protocolVersion, sessionPresent }, 'client connected');
  }
  session.attach(channel);
  const events = broker.events;
  if (events.listens('client.connected')) {
    events.emit('client.connected', {
      client: channel.client,
      sessionPresent,
      connectedAt: channel.connectedAt,
      expiryInterval: expiry,
      receiveMaximum: channel.receiveMaximum,
      properties: packet.properties,
      ...(packet.will === undefined ? {} : { will: packet.will }),
    });
  }
  // The disconnection is reported after the socket has closed, when its address can no longer be looked up.
  if (events.listens('client.disconnected')) channel.resolvePeer();
}

/** Neither a username nor a password: an anonymous client. */
function sentNoCredentials(packet: ConnectPacket): boolean {
  return packet.username === undefined && packet.password === undefined;
}

/** Tells listeners (the failed-authentication lockout) that authentication refused a client. */
function authenticationFailed(channel: Channel, clientId: string, username: string | undefined, anonymous: boolean, reasonCode: number): void {
  channel.context.broker.counters.authenticationFailure++;
  const events = channel.context.broker.events;
  if (events.listens('client.authenticationFailed')) {
    events.emit('client.authenticationFailed', { clientId, username, anonymous, peer: channel.peer, reasonCode });
  }
}

/** CONNACK properties announcing what this broker supports, only where it differs from the default. */
function addServerCapabilities(channel: Channel, properties: Properties): void {
  const config = channel.config;
  const announced = channel.announced;
  properties.receiveMaximum = announced.receiveMaximum;
  properties.maximumPacketSize = config.maxPacketSize;
  if (config.maxTopicAliases > 0) properties.topicAliasMaximum = config.maxTopicAliases;
  if (announced.maxQoS < 2) properties.maximumQoS = announced.maxQoS;
  if (!announced.retainAvailable) properties.retainAvailable = 0;
}
