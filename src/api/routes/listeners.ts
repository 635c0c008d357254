// The broker's MQTT listeners (EMQX's GET /api/v5/listeners): id, type, bound address, whether it
// runs, and how many connections it holds now. The dashboard shows them on its overview and offers
// the WebSocket one to its MQTT client page.

import { Type } from 'typebox';
import type { ListenerConfig } from '../../config/types.js';
import { DEFAULT_WEBSOCKET_PATH } from '../../transport/websocket.js';
import type { ApiApp } from '../app.js';
import { runningBroker, type ApiContext } from '../context.js';
import { refusals } from '../schemas.js';

const ListenerShape = Type.Object({
  id: Type.String({ description: '<type>:default for the first listener of a type, <type>:<n> for the next ones' }),
  type: Type.String({ description: 'tcp, tls, ws or wss' }),
  name: Type.String(),
  enable: Type.Boolean(),
  running: Type.Boolean(),
  bind: Type.String({ description: 'host:port as bound (the real port when configured with 0)' }),
  path: Type.Optional(Type.String({ description: 'WebSocket path (ws, wss)' })),
  max_connections: Type.Union([Type.Integer(), Type.Literal('infinity')]),
  current_connections: Type.Integer(),
  status: Type.Object({ running: Type.Boolean(), current_connections: Type.Integer(), max_connections: Type.Union([Type.Integer(), Type.Literal('infinity')]) }),
});

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function listenerRoutes(app: ApiApp, context: ApiContext): void {
  app.get('/api/v5/listeners', { schema: { tags: ['Node'], summary: "The broker's MQTT listeners", response: { 200: Type.Array(ListenerShape), ...refusals(503) } } }, () => {
    const broker = runningBroker(context);
    const connections = new Map<ListenerConfig, number>();
    for (const link of broker.channels.all()) {
      const config = link.channel.peer.listenerConfig;
      if (config !== undefined) connections.set(config, (connections.get(config) ?? 0) + 1);
    }
    const running = broker.isRunning();
    const seen = new Map<string, number>();
    return broker.runningListeners.map(({ config, address, issued }) => {
      const index = seen.get(config.type) ?? 0;
      seen.set(config.type, index + 1);
      const name = index === 0 ? 'default' : String(index);
      const max = config.maxConnections === undefined || config.maxConnections === 0 ? 'infinity' : config.maxConnections;
      // A reload may have given the listener's later connections a new configuration object: count them all.
      let current = 0;
      for (const given of issued) current += connections.get(given) ?? 0;
      return {
        id: `${config.type}:${name}`,
        type: config.type,
        name,
        enable: true,
        running,
        bind: hostPort(address.host, address.port),
        ...(config.type === 'ws' || config.type === 'wss' ? { path: config.path ?? DEFAULT_WEBSOCKET_PATH } : {}),
        max_connections: max,
        current_connections: current,
        status: { running, current_connections: current, max_connections: max },
      } as const;
    });
  });
}
