// The management listeners: one fastify application per configured HTTP(S) listener, all over one
// ApiContext. A listener without TLS may bind only a loopback address, unless allow_insecure_http says
// otherwise (then the log warns that passwords and tokens cross the network in clear text).

import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { isLoopbackHost } from '../auth/authenticator.js';
import { ConfigError } from '../config/config-error.js';
import type { ManagementConfig, ManagementListenerConfig } from '../config/types.js';
import type { BoundAddress } from '../transport/listener.js';
import { createApiApp, type ApiApp } from './app.js';
import type { ApiContext } from './context.js';

export class ManagementListeners {
  private readonly apps: ApiApp[] = [];
  readonly addresses: BoundAddress[] = [];

  constructor(
    private readonly context: ApiContext,
    private readonly config: ManagementConfig,
  ) {}

  /** Binds every listener; throws a ConfigError naming the listener that may not bind where it is told to. */
  async start(): Promise<BoundAddress[]> {
    this.config.listeners.forEach((listener, index) => this.checkExposure(listener, index));
    for (const listener of this.config.listeners) {
      const https = httpsOptions(listener);
      const app = await createApiApp(this.context, { trusted: false, ...(https === undefined ? {} : { https }) });
      this.apps.push(app);
      await app.listen({ host: listener.host, port: listener.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : listener.port;
      const bound = { type: https === undefined ? 'http' : 'https', host: listener.host, port };
      this.addresses.push(bound);
      this.context.logger.info({ url: `${bound.type}://${hostInUrl(listener.host)}:${port}` }, 'management API listening');
    }
    return this.addresses;
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }

  private checkExposure(listener: ManagementListenerConfig, index: number): void {
    if (listener.certFile !== undefined || isLoopbackHost(listener.host)) return;
    const label = `management.listeners[${index}]`;
    if (!this.config.allowInsecureHttp) {
      throw new ConfigError(
        `${label}.host`,
        `${label}.host: ${listener.host} is not a loopback address, and the listener has no TLS: logins and tokens would cross the network in clear text; ` +
          'set cert_file and key_file, or management.allow_insecure_http: true',
      );
    }
    this.context.logger.warn({ host: listener.host, port: listener.port }, 'management API over plain HTTP on a non-loopback address (allow_insecure_http): passwords and tokens cross the network unencrypted');
  }
}

function httpsOptions(listener: ManagementListenerConfig): ServerOptions | undefined {
  if (listener.certFile === undefined || listener.keyFile === undefined) return undefined;
  const options: ServerOptions = { cert: readFileSync(listener.certFile), key: readFileSync(listener.keyFile) };
  if (listener.keyPassphrase !== undefined) options.passphrase = listener.keyPassphrase;
  if (listener.caFile !== undefined) Object.assign(options, { ca: readFileSync(listener.caFile), requestCert: true, rejectUnauthorized: true });
  if (listener.minTlsVersion !== undefined) options.minVersion = listener.minTlsVersion;
  if (listener.ciphers !== undefined) options.ciphers = listener.ciphers;
  return options;
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
