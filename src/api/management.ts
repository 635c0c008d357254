// The management plane of a running broker: one ApiContext served through the admin Unix socket
// (`starling ctl`, trusted) and the HTTP(S) management listeners (credentials required). At start,
// with listeners and no administrator yet, it says once how to make one, or makes `admin` with a
// random password when bootstrap_admin is set (never a well-known default password).

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { brokerAdminContext } from '../admin/broker-endpoint.js';
import { addAdmin } from '../admin/operations.js';
import { AdminEndpoint } from '../admin/server.js';
import type { UserDatabase } from '../auth/users.js';
import type { ManagementConfig } from '../config/types.js';
import type { StarlingBroker } from '../instance.js';
import type { BoundAddress } from '../transport/listener.js';
import { createApiApp, type ApiApp } from './app.js';
import { createApiContext, type ApiContext } from './context.js';
import { ManagementListeners } from './listeners.js';

export class ManagementPlane {
  private endpoint: AdminEndpoint | undefined;
  private socketApp: ApiApp | undefined;
  private listeners: ManagementListeners | undefined;

  private constructor(readonly context: ApiContext) {}

  static async open(broker: StarlingBroker, users: UserDatabase, adminSocket: string | undefined, management: ManagementConfig | false | undefined): Promise<ManagementPlane> {
    const context = createApiContext({
      logger: broker.logger,
      admin: brokerAdminContext(broker, users),
      flushed: () => broker.store?.flushed(),
      lockout: broker.config.lockout,
      management,
      broker,
    });
    const plane = new ManagementPlane(context);
    try {
      if (adminSocket !== undefined) await plane.openSocket(adminSocket);
      if (management !== undefined && management !== false) {
        plane.listeners = new ManagementListeners(context, management);
        await plane.listeners.start();
        await plane.checkAdministrators(management.bootstrapAdmin);
      }
    } catch (error) {
      await plane.close();
      throw error;
    }
    return plane;
  }

  /** The management listeners' bound addresses (real ports when configured with port 0). */
  get addresses(): BoundAddress[] {
    return this.listeners?.addresses ?? [];
  }

  async close(): Promise<void> {
    await Promise.all([this.listeners?.stop(), this.endpoint?.close()]);
    await this.socketApp?.close();
    this.context.live?.close();
  }

  private async openSocket(path: string): Promise<void> {
    let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    this.socketApp = await createApiApp(this.context, {
      trusted: true,
      // The application never listens itself: the admin endpoint claims the socket path and serves its handler.
      serverFactory: (requestHandler) => {
        handler = requestHandler;
        return createServer();
      },
    });
    this.endpoint = new AdminEndpoint(path, handler!, this.context.logger);
    await this.endpoint.start();
  }

  private async checkAdministrators(bootstrap: boolean): Promise<void> {
    if (this.context.admin.admins.list().length > 0) return;
    if (!bootstrap) {
      this.context.logger.info(
        'no administrator exists yet: create one with `starling ctl admins add <username> <password>` to log in to the management API',
      );
      return;
    }
    // Letters and digits both (the password rules want two kinds of characters).
    const password = `${randomBytes(12).toString('base64url')}a1`;
    await addAdmin(this.context.admin, { username: 'admin', password, description: 'made at first start (bootstrap_admin)' });
    this.context.logger.warn(
      { username: 'admin', password },
      'created administrator admin with a random password, shown this once: log in and change it (starling ctl admins passwd admin <new password>)',
    );
  }
}
