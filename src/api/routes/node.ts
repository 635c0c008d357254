// The node itself: GET /api/v5/status (EMQX's health check: plain text, 200 when running, 503 when
// not; `?format=json` for JSON) and POST /api/v5/stop (Starling: a graceful shutdown, what
// `starling stop` asks for; refused by a broker embedded in another program).

import { Type } from 'typebox';
import { requestStop } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { refusals, StringEnum } from '../schemas.js';

export function nodeRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Node'];
  app.get(
    '/api/v5/status',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Health check',
        security: [],
        querystring: Type.Object({ format: Type.Optional(StringEnum(['text', 'json'])) }),
        response: {
          200: Type.Union([Type.String(), Type.Object({ node_name: Type.String(), rel_vsn: Type.String(), broker_status: Type.String(), app_status: Type.String() })]),
          503: Type.Union([Type.String(), Type.Object({ node_name: Type.String(), rel_vsn: Type.String(), broker_status: Type.String(), app_status: Type.String() })]),
        },
      },
    },
    async (request, reply) => {
      const running = context.broker?.isRunning() === true;
      const node = context.broker?.config.nodeName ?? 'none';
      const status = running ? 'started' : 'stopped';
      void reply.code(running ? 200 : 503);
      if (request.query.format === 'json') return { node_name: node, rel_vsn: (await import('../../version.js')).VERSION, broker_status: status, app_status: running ? 'running' : 'not_running' };
      void reply.type('text/plain');
      return `Node ${node} is ${status}\nstarling is ${running ? 'running' : 'not_running'}\n`;
    },
  );

  app.post(
    '/api/v5/stop',
    { schema: { tags, summary: 'Stop the broker gracefully (as SIGTERM)', response: { 202: Type.Object({ stopping: Type.Boolean() }), ...refusals(409) } } },
    async (_request, reply) => reply.code(202).send(requestStop(context.admin)),
  );
}
