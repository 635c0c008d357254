// The broker's resolved configuration. Config files and STARLING_* variables use the snake_case
// form of these names (max_packet_size, STARLING_MAX_PACKET_SIZE); the library takes camelCase.

import type { RuleConfig } from '../rules/definitions.js';
import type { ConnectorSettings } from '../rules/connectors/config.js';

export type ListenerType = 'tcp' | 'tls' | 'ws' | 'wss';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
export type CertificateField = 'cn' | 'dn';

/** A certificate served to clients asking for `servername` (TLS SNI). */
export interface SniCertificate {
  servername: string;
  certFile: string;
  keyFile: string;
  keyPassphrase?: string;
}

export interface ListenerConfig {
  type: ListenerType;
  host: string;
  port: number;
  /** Per-listener cap on connections; 0 means only the broker-wide limit applies. */
  maxConnections?: number;
  /** Clients without a username may connect; default: the broker's allowAnonymous, else true only on a loopback host. */
  allowAnonymous?: boolean;
  /** Authenticator chain of this listener, replacing the broker's `authentication`. */
  authentication?: AuthenticatorConfig[];

  // tls and wss
  /** PEM certificate chain (leaf first); required for tls/wss. */
  certFile?: string;
  /** PEM private key; required for tls/wss. */
  keyFile?: string;
  keyPassphrase?: string;
  /** PEM CA bundle that client certificates are verified against. */
  caFile?: string;
  /** PEM certificate revocation list. */
  crlFile?: string;
  /** Lowest TLS version accepted (default TLSv1.2). */
  minTlsVersion?: TlsVersion;
  /** OpenSSL cipher list (TLS 1.2 and below). */
  ciphers?: string;
  /** Further certificates chosen by the server name the client asks for. */
  sni?: SniCertificate[];
  /** Ask clients for a certificate (mutual TLS). */
  requestCert?: boolean;
  /** With requestCert: refuse clients without a certificate the CA bundle verifies (default true). */
  rejectUnauthorized?: boolean;
  /** Take the username from the verified client certificate: its common name or its full subject. */
  peerCertAsUsername?: CertificateField;
  /** Take the client id from the verified client certificate. */
  peerCertAsClientId?: CertificateField;

  // ws and wss
  /** WebSocket path (default /mqtt). */
  path?: string;
  /** Origins allowed to open a WebSocket (browsers send Origin); empty or absent allows any. */
  allowedOrigins?: string[];
  /** WebSocket per-message deflate (default off). */
  perMessageDeflate?: boolean;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-For / X-Real-IP headers are believed. */
  trustedProxies?: string[];

  // tcp and tls
  /** Expect a PROXY protocol v1 or v2 header before the first byte of each connection. */
  proxyProtocol?: boolean;
}

export type PasswordHashAlgorithm = 'argon2id' | 'scrypt';

export type AuthenticatorType = 'builtin' | 'passwordFile' | 'jwt' | 'http' | 'certificate';

/** Users in the store, managed by `starling ctl users` and `broker.users`; also enables SCRAM (MQTT 5 enhanced authentication). */
export interface BuiltinAuthenticatorConfig {
  type: 'builtin';
}

/** `username:hash` lines written by `starling passwd`; re-read when the file changes. */
export interface PasswordFileAuthenticatorConfig {
  type: 'passwordFile';
  file: string;
}

export interface JwtAuthenticatorConfig {
  type: 'jwt';
  /** Exactly one of secret (HS256/384/512), publicKeyFile (PEM: RS*, PS*, ES*, EdDSA), jwksUrl. */
  secret?: string;
  publicKeyFile?: string;
  jwksUrl?: string;
  /** Seconds a fetched JWKS is used before it is fetched again (default 600). */
  jwksCacheSeconds?: number;
  /** Accepted `alg` values; default any the key type allows. */
  algorithms?: string[];
  /** Which CONNECT field carries the token (default password). */
  from?: 'password' | 'username';
  issuer?: string;
  audience?: string;
  /** Claim that makes the client a superuser when true (default is_superuser). */
  superuserClaim?: string;
  /** Claim that must equal the CONNECT username (from: password), or becomes it (from: username); default sub when from is username. */
  usernameClaim?: string;
  /** Claim `{pub: [filters], sub: [filters], all: [filters]}` granting topics to the client, checked before the ACL rules. */
  aclClaim?: string;
}

export interface HttpAuthenticatorConfig {
  type: 'http';
  url: string;
  /** Default 5000; no answer in time denies. */
  timeoutMs?: number;
  /** Seconds an answer is reused for the same credentials (default 60; 0 disables). */
  cacheSeconds?: number;
  headers?: Record<string, string>;
}

/** Mutual TLS: a verified client certificate is the identity (its CN or full subject). */
export interface CertificateAuthenticatorConfig {
  type: 'certificate';
  identity?: 'cn' | 'subject';
  /** Deny when the CONNECT username is present and differs from the identity (default false: the identity replaces it). */
  matchUsername?: boolean;
}

export type AuthenticatorConfig =
  | BuiltinAuthenticatorConfig
  | PasswordFileAuthenticatorConfig
  | JwtAuthenticatorConfig
  | HttpAuthenticatorConfig
  | CertificateAuthenticatorConfig;

export type Durability = 'sync' | 'batched' | 'memory';
export type SharedSubscriptionStrategy = 'round_robin' | 'random';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type AclPermission = 'allow' | 'deny';
/** `subscribe` covers receiving: retained messages and (through the subscription) live ones. */
export type AclAction = 'publish' | 'subscribe' | 'all';

export interface AclRuleConfig {
  permission: AclPermission;
  action: AclAction;
  /** Topic filter; `%u` (username), `%c` (client id), `${cert_cn}` and `${jwt.<claim>}` are replaced per client. */
  topic: string;
  /** Only for this username (per-user rule). */
  username?: string;
  /** Only for this client id (per-client rule). */
  clientId?: string;
}

export interface AclConfig {
  /** YAML or JSON rules file, reloaded when it changes and on SIGHUP; '' for none. */
  file: string;
  /** The answer when no rule matches. */
  default: AclPermission;
  rules: AclRuleConfig[];
  /** Disconnect a client whose PUBLISH is denied (MQTT 5: DISCONNECT 0x87). */
  disconnectOnDeny: boolean;
  /** Decisions cached per client (topics); the cache is cleared when full. */
  cacheSize: number;
}

export interface BanConfig {
  /** Exactly one of clientId, username, address (an IP or CIDR). */
  clientId?: string;
  username?: string;
  address?: string;
  /** Milliseconds since the epoch; absent means never. */
  until?: number;
  reason?: string;
}

export interface LockoutConfig {
  /** Authentication failures within `window` seconds that lock an address or username out; 0 disables. */
  maxFailures: number;
  window: number;
  /** Seconds the lock lasts. */
  duration: number;
}

export type RateLimitPolicy = 'drop' | 'slow' | 'disconnect';

export interface RateLimitsConfig {
  /** New connections per second per listener; 0 is unlimited. */
  connectionsPerSecond: number;
  connectionsPerAddressPerSecond: number;
  /** PUBLISH packets per second per client; 0 is unlimited. */
  messagesPerSecond: number;
  /** PUBLISH payload bytes per second per client; 0 is unlimited. */
  bytesPerSecond: number;
  policy: RateLimitPolicy;
}

export interface FlappingConfig {
  /** Disconnections of one client id within `window` seconds that get it banned; 0 disables. */
  maxCount: number;
  window: number;
  /** Seconds the ban lasts. */
  duration: number;
}

/** TLS to the NATS servers (files are PEM). */
export interface ClusterTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Several Starling nodes acting as one broker over NATS JetStream (src/cluster/). */
export interface ClusterConfig {
  nats: string[];
  node: string;
  replicas: number;
  prefix: string;
  user?: string;
  password?: string;
  token?: string;
  credsFile?: string;
  tls?: ClusterTlsConfig;
  heartbeatMs: number;
  nodeTtlMs: number;
  /** Seconds. */
  messageRetention: number;
  publishTimeoutMs: number;
  connectRetryMs: number;
  syncSubscribe: boolean;
}

export interface BrokerConfig {
  /** Name of this node, used in $SYS/brokers/<node>/... topics. */
  nodeName: string;
  listeners: ListenerConfig[];
  dataDir: string;
  durability: Durability;
  /** Commit period in milliseconds when durability is 'batched'. */
  batchIntervalMs: number;
  /** Cap on the store's size in bytes; past it, new messages for offline sessions are dropped and counted. */
  maxStoreBytes: number;
  logLevel: LogLevel;
  /** Human-readable logs instead of JSON lines; default: when stdout is a terminal. */
  logPretty: boolean;
  /** Seconds between $SYS statistics publications; 0 turns them off. */
  sysInterval: number;

  maxConnections: number;
  /** Largest packet accepted from a client, in bytes (also announced as Maximum Packet Size). */
  maxPacketSize: number;
  maxTopicLevels: number;
  /** Receive Maximum announced to clients and the outbound inflight window per session. */
  maxInflight: number;
  /** QoS 1/2 messages queued per session beyond the inflight window; more are dropped and counted. */
  maxQueuedMessages: number;
  /** Topic Alias Maximum announced to MQTT 5 clients (inbound aliases); 0 disables them. */
  maxTopicAliases: number;
  /** Highest keep-alive accepted; a client asking more gets Server Keep Alive (MQTT 5). */
  maxKeepAlive: number;
  /** Highest Session Expiry Interval granted, in seconds. */
  maxSessionExpiryInterval: number;
  /** Seconds a new connection has to send CONNECT. */
  connectTimeout: number;
  /** Bytes buffered for a socket that does not drain before QoS 0 messages to it are dropped. */
  maxOutgoingBufferBytes: number;
  /** Seconds a socket may stay above maxOutgoingBufferBytes before it is disconnected. */
  drainTimeout: number;
  sharedSubscriptionStrategy: SharedSubscriptionStrategy;
  retainAvailable: boolean;
  maxQoS: 0 | 1 | 2;

  /** Authenticator chain, first decisive answer wins; listeners may replace it. */
  authentication: AuthenticatorConfig[];
  /** Clients without a username may connect; unset: only on listeners bound to a loopback host. */
  allowAnonymous?: boolean;
  /** Hash for new built-in user passwords; existing argon2id and scrypt hashes both keep verifying. */
  passwordHash: PasswordHashAlgorithm;

  acl: AclConfig;
  /** Static bans; `starling ctl banned` adds more to the store. */
  bans: BanConfig[];
  lockout: LockoutConfig;
  rateLimits: RateLimitsConfig;
  flapping: FlappingConfig;
  /** Connections from one address that have not sent CONNECT yet; at the cap the oldest is closed for a new one. 0 is unlimited. */
  maxPendingConnectionsPerAddress: number;
  /**
   * Unix socket of the local admin endpoint (`starling ctl`); false turns it off. Unset: off in the
   * library, `<dataDir>/starling.sock` with `starling start` (src/admin/socket-path.ts).
   */
  adminSocket?: string | false;
  /** Join a cluster of Starling nodes over NATS JetStream; unset: this node runs alone. */
  cluster?: ClusterConfig;
  /**
   * The management plane (HTTP API, dashboard, Prometheus); false turns it off. Unset: off in the
   * library, one listener on 127.0.0.1:18083 with `starling start` (src/api/defaults.ts).
   */
  management?: ManagementConfig | false;
  /** Directory of packet trace files (`starling ctl trace`, /api/v5/trace); unset: `<dataDir>/trace`. */
  traceDir?: string;
  /** Rules by id: {sql, actions, enable, description} (see the README's Rule engine). */
  rules: Record<string, RuleConfig>;
  /** Connectors by name: {type: webhook|postgresql|mysql|redis|influxdb|nats, ...}. */
  connectors: Record<string, ConnectorSettings>;
}

/** A management listener: HTTP, or HTTPS when certFile and keyFile are set. */
export interface ManagementListenerConfig {
  host: string;
  port: number;
  certFile?: string;
  keyFile?: string;
  keyPassphrase?: string;
  /** PEM CA bundle for client certificates (mutual TLS); with it, clients must present one. */
  caFile?: string;
  minTlsVersion?: TlsVersion;
  ciphers?: string;
}

export interface ManagementConfig {
  listeners: ManagementListenerConfig[];
  /** Lets a listener without TLS bind a non-loopback address. */
  allowInsecureHttp: boolean;
  /** With no administrator in the store, create `admin` with a random password printed once to the log. */
  bootstrapAdmin: boolean;
  /** Lifetime of a login token, in seconds. */
  tokenTtl: number;
  /** Whether /metrics and /api/v5/prometheus/stats need credentials like the rest of the API. */
  metricsAuth: boolean;
}
