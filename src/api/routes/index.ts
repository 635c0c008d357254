// Every route group of the management API, registered on one application.

import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { aclRoutes } from './acl.js';
import { administratorRoutes } from './administrators.js';
import { apiKeyRoutes } from './api-keys.js';
import { bannedRoutes } from './banned.js';
import { builtinUserRoutes } from './builtin-users.js';
import { listenerRoutes } from './listeners.js';
import { loginRoutes } from './login.js';
import { nodeRoutes } from './node.js';
import { prometheusRoutes } from './prometheus.js';

export function registerRoutes(app: ApiApp, context: ApiContext): void {
  loginRoutes(app, context);
  administratorRoutes(app, context);
  apiKeyRoutes(app, context);
  builtinUserRoutes(app, context);
  aclRoutes(app, context);
  bannedRoutes(app, context);
  nodeRoutes(app, context);
  listenerRoutes(app, context);
  prometheusRoutes(app, context);
}
