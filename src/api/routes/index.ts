// Every route group of the management API, registered on one application.

import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { aclRoutes } from './acl.js';
import { administratorRoutes } from './administrators.js';
import { apiKeyRoutes } from './api-keys.js';
import { authzBuiltInRoutes } from './authz-built-in.js';
import { bannedRoutes } from './banned.js';
import { builtinUserRoutes } from './builtin-users.js';
import { clientRoutes } from './clients.js';
import { configRoutes } from './configs.js';
import { listenerRoutes } from './listeners.js';
import { loginRoutes } from './login.js';
import { monitorRoutes } from './monitor.js';
import { nodeRoutes } from './node.js';
import { prometheusRoutes } from './prometheus.js';
import { publishRoutes } from './publish.js';
import { retainerRoutes } from './retainer.js';
import { statsRoutes } from './stats.js';
import { subscriptionRoutes } from './subscriptions.js';
import { traceRoutes } from './trace.js';
import { connectorRoutes, ruleRoutes } from './rules.js';

export function registerRoutes(app: ApiApp, context: ApiContext): void {
  loginRoutes(app, context);
  administratorRoutes(app, context);
  apiKeyRoutes(app, context);
  builtinUserRoutes(app, context);
  aclRoutes(app, context);
  bannedRoutes(app, context);
  nodeRoutes(app, context);
  authzBuiltInRoutes(app, context);
  clientRoutes(app, context);
  subscriptionRoutes(app, context);
  retainerRoutes(app, context);
  publishRoutes(app, context);
  statsRoutes(app, context);
  monitorRoutes(app, context);
  listenerRoutes(app, context);
  traceRoutes(app, context);
  configRoutes(app, context);
  ruleRoutes(app, context);
  connectorRoutes(app, context);
  prometheusRoutes(app, context);
}
