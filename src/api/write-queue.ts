// Changes run one at a time, whichever door they come through: a rule id computed from the current
// list, or any other read-then-write, never interleaves with another request's. Reads do not wait,
// nor do routes marked `concurrent` (publishing, which waits for the store and changes no records;
// it is not logged either).
// Each change that succeeds is logged once.

import type { FastifyRequest } from 'fastify';
import type { ApiApp } from './app.js';

const release = Symbol('release');

type Queued = FastifyRequest & { [release]?: () => void };

export function serializeWrites(app: ApiApp): void {
  let tail: Promise<void> = Promise.resolve();
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.routeOptions.config?.concurrent === true) return done();
    const previous = tail;
    tail = new Promise<void>((resolve) => ((request as Queued)[release] = resolve));
    void previous.then(() => done());
  });
  const finish = async (request: FastifyRequest): Promise<void> => {
    const resolve = (request as Queued)[release];
    (request as Queued)[release] = undefined;
    resolve?.();
  };
  app.addHook('onResponse', async (request, reply) => {
    await finish(request);
    // Publishing is traffic, not a change to log (a script may publish many a second).
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400 && request.routeOptions.config?.concurrent !== true) {
      app.log.info({ method: request.method, path: request.url, status: reply.statusCode, by: request.principal.name }, 'management change');
    }
  });
  app.addHook('onRequestAbort', finish);
}
