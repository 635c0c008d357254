// The running configuration and its reload: GET /api/v5/configs (as JSON, keys as in a config file,
// secrets masked), POST /api/v5/configs/reload (Starling's: EMQX has no such route, only `emqx ctl
// conf reload`) with ?dry_run=true to see what a reload would change, and the log level
// (GET/PUT /api/v5/log/level; EMQX has `emqx ctl log set-level`). `starling ctl reload` and
// `starling ctl log level` run these routes.

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { LogLevel } from '../../config/types.js';
import { ReloadError } from '../../reload/reload.js';
import { shownConfig } from '../../reload/shown-config.js';
import type { ApiApp } from '../app.js';
import { runningBroker, type ApiContext } from '../context.js';
import { ErrorBody, refusals, StringEnum } from '../schemas.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];

const ReloadChange = Type.Object({
  key: Type.String({ description: 'The key as a config file spells it, e.g. max_packet_size' }),
  from: Type.Unknown({ description: 'The running value (secrets masked)' }),
  to: Type.Unknown({ description: 'The value in the file (secrets masked)' }),
  live: Type.Boolean({ description: 'Whether it can change while the broker runs' }),
  takes_effect: Type.String({ description: 'When the new value takes effect (e.g. "connections accepted from now on"), or "restart needed"' }),
  applied: Type.Boolean(),
  note: Type.Optional(Type.String({ description: 'What was done, or why it was not applied' })),
});

export const ReloadAnswer = Type.Object({
  source: Type.String({ description: 'The config file read' }),
  dry_run: Type.Boolean(),
  changes: Type.Array(ReloadChange, { description: 'Every key whose value in the file differs from the running one' }),
  applied: Type.Array(Type.String()),
  not_applied: Type.Array(Type.Object({ key: Type.String(), reason: Type.String({ description: '"restart needed", "dry run", or "failed: ..."' }) })),
});

const ConfigRefusal = Type.Object(
  {
    code: Type.String({ description: 'INVALID_CONFIG' }),
    message: Type.String({ description: 'What is wrong, naming the key' }),
    key: Type.Optional(Type.String({ description: 'The offending key' })),
  },
  { description: 'The file does not validate: nothing was applied, the running configuration stays' },
);

const LogLevelShape = Type.Object({ level: StringEnum(LOG_LEVELS) });

export function configRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Configuration'];
  app.get(
    '/api/v5/configs',
    {
      schema: {
        tags,
        summary: 'The running configuration (keys as in a config file, secrets as "******")',
        querystring: Type.Object({ key: Type.Optional(Type.String({ description: 'One top-level key, e.g. acl' })) }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...refusals(404, 503) },
      },
    },
    (request) => {
      const shown = shownConfig(runningBroker(context).config);
      const key = request.query.key;
      if (key === undefined) return shown;
      if (!(key in shown)) throw new AdminError(404, `key: no configuration key ${key}`, 'NOT_FOUND');
      return { [key]: shown[key] };
    },
  );

  app.post(
    '/api/v5/configs/reload',
    {
      schema: {
        tags,
        summary: 'Read the config file again and apply what can change while running (Starling; EMQX has no such route)',
        querystring: Type.Object({ dry_run: Type.Optional(Type.Boolean({ description: 'Only say what a reload would change' })) }),
        response: { 200: ReloadAnswer, 400: ConfigRefusal, 409: ErrorBody, ...refusals(503) },
      },
    },
    async (request, reply) => {
      const broker = runningBroker(context);
      try {
        return await broker.reload({ dryRun: request.query.dry_run === true, cause: `api (${request.principal.name})` });
      } catch (error) {
        if (!(error instanceof ReloadError)) throw error;
        return reply.code(error.status).send({ code: error.code, message: error.message, ...(error.key === undefined ? {} : { key: error.key }) });
      }
    },
  );

  app.get('/api/v5/log/level', { schema: { tags, summary: 'The lowest level logged', response: { 200: LogLevelShape, ...refusals(503) } } }, () => ({
    level: runningBroker(context).logger.level as LogLevel,
  }));

  app.put(
    '/api/v5/log/level',
    {
      schema: {
        tags,
        summary: 'Set the lowest level logged, at once (until a restart, or a reload of a file that sets log_level)',
        body: Type.Object({ level: StringEnum(LOG_LEVELS) }, { additionalProperties: false }),
        response: { 200: LogLevelShape, ...refusals(400, 503) },
      },
    },
    (request) => {
      const broker = runningBroker(context);
      const before = broker.logger.level;
      broker.setLogLevel(request.body.level);
      // Logged at the new level when that hides info lines, so the change shows in the log whichever way it went.
      const level = request.body.level;
      if (level !== 'silent') broker.logger[level === 'fatal' || level === 'error' || level === 'warn' ? level : 'info']({ from: before, to: level }, 'log level changed');
      return { level: request.body.level };
    },
  );
}
