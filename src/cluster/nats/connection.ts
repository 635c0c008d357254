// The node's connection to NATS: options from the cluster config (credentials, TLS), and a start that
// keeps retrying, logging each failure, until a server answers: a node configured for a cluster never
// starts alone. After the first connection nats.js reconnects by itself, forever.

import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { ClusterConfig } from '../../config/types.js';
import type { Logger } from '../../log.js';

export class ClusterStartAborted extends Error {
  override readonly name = 'ClusterStartAborted';
}

export function connectionOptions(config: ClusterConfig, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: config.nats,
    name,
    // Each node lists its own server first: keep that order.
    noRandomize: true,
    // This node's live publications reach its own subscribers directly, never back through NATS.
    noEcho: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 50,
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: 5000,
  };
  if (config.user !== undefined) options.user = config.user;
  if (config.password !== undefined) options.pass = config.password;
  if (config.token !== undefined) options.token = config.token;
  if (config.credsFile !== undefined) options.authenticator = credsAuthenticator(readFileSync(config.credsFile));
  if (config.tls !== undefined) options.tls = { ...config.tls };
  return options;
}

/**
 * Connects, retrying every `connectRetryMs` (each failure logged with the servers tried) until a server
 * answers or `aborted()` says the broker is closing.
 */
export async function connectWithRetry(config: ClusterConfig, name: string, logger: Logger, aborted: () => boolean): Promise<NatsConnection> {
  const options = connectionOptions(config, name);
  for (let attempt = 1; ; attempt++) {
    if (aborted()) throw new ClusterStartAborted('broker closed while connecting to NATS');
    try {
      return await connect(options);
    } catch (error) {
      logger.error(
        { err: error, servers: config.nats, attempt, retryInMs: config.connectRetryMs },
        'cluster: cannot reach NATS; not accepting clients until it answers (retrying)',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, config.connectRetryMs));
  }
}
