// The public Broker: what an embedder may use. The implementation (StarlingBroker, src/instance.ts) has
// more, for tests and sibling modules, reached through src/internal.ts only. test/types pins this surface.

import type { Duplex } from 'node:stream';
import type { LocalClient, LocalConnectOptions } from './channel/local-client.js';
import type { BrokerConfig } from './config/types.js';
import type { ClientInfo, PeerInfo } from './core/client.js';
import type { MessageInput } from './core/message.js';
import type { BrokerEvents } from './hooks/events.js';
import type { HookMap, HookName } from './hooks/hooks.js';
import type { MetricsReader } from './metrics/registry.js';
import type { BoundAddress } from './transport/listener.js';
import type { BrokerUsers } from './auth/setup.js';
import type { ReloadOptions, ReloadReport } from './reload/reload.js';

export interface Broker {
  /** The configuration in force (defaults, then the options given). */
  readonly config: Readonly<BrokerConfig>;
  /** Every metric, named, with help text and labels (connections, packets, messages, bytes, drops, abuse protections). */
  readonly metrics: MetricsReader;
  /** The built-in users (`builtin` authenticator, SCRAM). */
  readonly users: BrokerUsers;
  /** Starts every configured listener, or one TCP listener on the given port/host. */
  listen(override?: { port?: number; host?: string }): Promise<BoundAddress[]>;
  /** Loads persisted state and starts timers; listen() and connectLocal() call it. */
  start(): Promise<void>;
  /** Stops accepting, sends MQTT 5 clients DISCONNECT 0x8B, flushes and closes every connection and the store. */
  close(): Promise<void>;
  /** Publishes a message from the broker itself; returns how many subscribers it went to. */
  publish(input: MessageInput): number;
  /** An MQTT client in this process, through a real channel and session (see LocalClient). */
  connectLocal(options: LocalConnectOptions): Promise<LocalClient>;
  /** Serves one client over any byte stream (custom transports). Call start() first. */
  handleConnection(stream: Duplex, peer?: PeerInfo): void;
  on<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this;
  off<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this;
  once<K extends keyof BrokerEvents>(event: K, listener: (...args: BrokerEvents[K]) => void): this;
  /** Registers a hook; higher priority runs first; `name` is reported as the source of its decisions. Returns its remover. */
  addHook<K extends HookName>(name: K, fn: HookMap[K], options?: { priority?: number; name?: string }): () => void;
  /** Disconnects the connected clients `select` picks; returns how many. */
  disconnectClients(select: (client: ClientInfo) => boolean, reasonCode: number, reason: string, publishWill?: boolean): number;
  /** Re-reads the certificate files of every tls/wss listener (also on SIGHUP). */
  reloadCertificates(): void;
  /**
   * Reads the configuration again from the `configSource` option and applies what can change while running
   * (limits, ACL, authentication, bans, rate limits, log level, listeners...); the answer names what changed,
   * what was applied and what needs a restart. Rejects with an error named `ReloadError` (with `status`,
   * `code` and, for a wrong configuration, the offending `key`) when the new configuration is wrong (nothing
   * is applied then), and when there is no config source (status 409).
   */
  reload(options?: ReloadOptions): Promise<ReloadReport>;
}
