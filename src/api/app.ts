// The management API as one fastify application: every route with its JSON schemas (which validate
// input, serialize output and make the OpenAPI document), the `{code, message}` error shape, and who
// may call what. The same application serves three doors (src/api/doors.ts): the HTTP listeners
// (credentials required), the broker's Unix admin socket and `starling ctl` on a stopped broker's data
// directory (both trusted: file permissions decide who gets there).

import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Logger } from '../log.js';
import { AdminError } from '../admin/operations.js';
import { installAuthentication, type Principal } from './auth/authenticate.js';
import type { ApiContext } from './context.js';
import { registerRoutes } from './routes/index.js';
import { compileLazily } from './lazy-compilers.js';
import { serializeWrites } from './write-queue.js';

export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger, TypeBoxTypeProvider>;

/** Who may call a route: anyone, any authenticated caller, or administrators only (the default for writes). */
export type Access = 'public' | 'read' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Default: 'read' for GET, 'write' for every other method. */
    access?: Access;
    /** Only a login token will do, not an API key (EMQX: administrators, API keys and logout). */
    bearerOnly?: boolean;
    /** A change that reads nothing it depends on (publishing): it does not wait for the other changes (write-queue.ts). */
    concurrent?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

export interface ApiAppOptions {
  /** The socket and offline doors: every request acts as the `ctl` administrator. */
  trusted: boolean;
  /** Receives the request handler, so that one application can serve servers it did not create (the admin socket). */
  serverFactory?: (handler: (request: IncomingMessage, response: ServerResponse) => void) => Server;
  /** Serve HTTPS with these options. */
  https?: HttpsServerOptions;
}

/** Largest request body; a bulk publish of a few hundred messages fits. */
const BODY_LIMIT = 4 * 1024 * 1024;

export async function createApiApp(context: ApiContext, options: ApiAppOptions): Promise<ApiApp> {
  const app = Fastify({
    loggerInstance: context.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    ...(options.serverFactory === undefined ? {} : { serverFactory: options.serverFactory }),
    ...(options.https === undefined ? {} : { https: options.https }),
    schemaErrorFormatter: (errors, dataVar) => {
      const [first] = errors;
      if (first === undefined) return new Error(`${dataVar}: invalid`);
      const field = `${dataVar}${first.instancePath.replaceAll('/', '.')}`;
      const params = first.params as { additionalProperty?: unknown; allowedValues?: unknown[] };
      if (first.keyword === 'additionalProperties') return new Error(`${field}: unknown field "${String(params.additionalProperty)}"`);
      if (first.keyword === 'enum') return new Error(`${field}: must be one of ${(params.allowedValues ?? []).join(', ')}`);
      return new Error(`${field}: ${first.message ?? 'invalid'}`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as ApiApp;

  // Unknown fields are refused, not silently dropped: a typo gets a 400 naming it.
  compileLazily(app, { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false });
  app.setErrorHandler((error: FastifyError, request, reply) => answerError(error, request, reply, context.logger));
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?', 1)[0]}` });
  });
  installAuthentication(app, context, options.trusted);
  serializeWrites(app);
  // The OpenAPI document and the web dashboard are for browsers and scripts, which reach only the HTTP
  // listeners; `starling ctl` starts faster without loading them.
  if (!options.trusted) await (await import('./openapi.js')).registerOpenApi(app);
  registerRoutes(app, context);
  if (!options.trusted) (await import('./routes/dashboard.js')).dashboardRoutes(app);
  await app.ready();
  return app;
}

function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, logger: Logger): void {
  if (error instanceof AdminError) {
    void reply.code(error.status).send({ code: error.code, message: error.message });
    return;
  }
  if (error.validation !== undefined) {
    void reply.code(400).send({ code: 'BAD_REQUEST', message: error.message });
    return;
  }
  const status = error.statusCode ?? 500;
  if (status < 500) {
    // Fastify's own refusals: malformed JSON, a body over the limit, an unsupported media type.
    void reply.code(status).send({ code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', message: error.message });
    return;
  }
  logger.error({ err: error, method: request.method, url: request.url }, 'management API request failed');
  void reply.code(500).send({ code: 'INTERNAL_ERROR', message: error.message });
}
