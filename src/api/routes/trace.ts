// Packet traces, EMQX's /api/v5/trace: by client id, topic or address, every packet in and out written
// to a file in the trace directory, until end_at or the size cap (Starling's max_bytes). Start, list,
// stop, delete, download (a zip, as EMQX) and read in chunks. `starling ctl trace` runs these routes.

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { Trace, TraceType } from '../../trace/trace.js';
import { DEFAULT_MAX_BYTES, MAX_MAX_BYTES, MIN_MAX_BYTES } from '../../trace/tracing.js';
import { zipOneFile } from '../../trace/zip.js';
import type { ApiApp } from '../app.js';
import { runningBroker, type ApiContext } from '../context.js';
import { NoContent, refusals, StringEnum } from '../schemas.js';

const TYPES = ['clientid', 'topic', 'ip_address'] as const satisfies readonly TraceType[];
/** Largest chunk the log route reads at once. */
const MAX_CHUNK = 4 * 1024 * 1024;

const Time = Type.Union([Type.String({ description: 'RFC 3339' }), Type.Integer({ description: 'seconds since the epoch' })]);

const TraceShape = Type.Object({
  name: Type.String(),
  type: StringEnum(TYPES),
  clientid: Type.Optional(Type.String()),
  topic: Type.Optional(Type.String()),
  ip_address: Type.Optional(Type.String()),
  payload_encode: StringEnum(['text', 'hex', 'hidden']),
  formatter: StringEnum(['text', 'json']),
  start_at: Type.String({ description: 'RFC 3339, UTC' }),
  end_at: Type.String({ description: 'RFC 3339, UTC' }),
  status: StringEnum(['waiting', 'running', 'stopped']),
  log_size: Type.Record(Type.String(), Type.Integer(), { description: 'Bytes of packet lines in the file, by node' }),
  max_bytes: Type.Integer({ description: 'Starling: the size cap' }),
  stop_reason: Type.Optional(StringEnum(['end_at', 'max_bytes', 'request', 'broker_stopped', 'file_error'], { description: 'Starling: why a stopped trace stopped' })),
});

const NameParams = Type.Object({ name: Type.String() });

export function traceShape(trace: Trace, node: string) {
  const { definition } = trace;
  return {
    name: definition.name,
    type: definition.type,
    [definition.type]: definition.filter,
    payload_encode: definition.payloadEncode,
    formatter: definition.formatter,
    start_at: new Date(definition.startAt).toISOString(),
    end_at: new Date(definition.endAt).toISOString(),
    status: trace.status,
    log_size: { [node]: trace.bytes },
    max_bytes: definition.maxBytes,
    ...(trace.stopReason === undefined ? {} : { stop_reason: trace.stopReason }),
  };
}

/** RFC 3339 or epoch seconds -> ms since the epoch. */
function timeOf(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  // The body's validator may hand an integer over as its digits (the union's string side).
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(ms)) throw new AdminError(400, `${field}: expected an RFC 3339 date-time or seconds since the epoch, got ${JSON.stringify(value)}`, 'INVALID_PARAMS');
  return ms;
}

export function traceRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Trace'];
  const tracing = () => runningBroker(context).tracing;
  const node = () => runningBroker(context).config.nodeName;

  app.get('/api/v5/trace', { schema: { tags, summary: 'Every trace, the latest start first', response: { 200: Type.Array(TraceShape), ...refusals(503) } } }, () =>
    tracing()
      .list()
      .sort((a, b) => b.definition.startAt - a.definition.startAt)
      .map((trace) => traceShape(trace, node())),
  );

  app.post(
    '/api/v5/trace',
    {
      schema: {
        tags,
        summary: 'Start a trace of a client id, a topic filter or an address',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 256 }),
            type: StringEnum(TYPES),
            clientid: Type.Optional(Type.String()),
            topic: Type.Optional(Type.String()),
            ip_address: Type.Optional(Type.String()),
            start_at: Type.Optional(Time),
            end_at: Type.Optional(Time),
            payload_encode: Type.Optional(StringEnum(['text', 'hex', 'hidden'])),
            formatter: Type.Optional(StringEnum(['text', 'json'])),
            max_bytes: Type.Optional(Type.Integer({ minimum: MIN_MAX_BYTES, maximum: MAX_MAX_BYTES, description: `Starling: size cap of the file in bytes (default ${DEFAULT_MAX_BYTES})` })),
          },
          { additionalProperties: false },
        ),
        response: { 200: TraceShape, ...refusals(400, 409, 503) },
      },
    },
    (request) => {
      const body = request.body;
      const filter = body[body.type];
      if (filter === undefined || filter === '') throw new AdminError(400, `required ${body.type} field`, 'INVALID_PARAMS');
      const startAt = timeOf(body.start_at, 'start_at');
      const endAt = timeOf(body.end_at, 'end_at');
      const trace = tracing().start({
        name: body.name,
        type: body.type,
        filter,
        ...(startAt === undefined ? {} : { startAt }),
        ...(endAt === undefined ? {} : { endAt }),
        ...(body.payload_encode === undefined ? {} : { payloadEncode: body.payload_encode }),
        ...(body.formatter === undefined ? {} : { formatter: body.formatter }),
        ...(body.max_bytes === undefined ? {} : { maxBytes: body.max_bytes }),
      });
      return traceShape(trace, node());
    },
  );

  app.delete('/api/v5/trace', { schema: { tags, summary: 'Delete every trace and its file', response: { 204: NoContent, ...refusals(503) } } }, async (_request, reply) => {
    await tracing().clear();
    return reply.code(204).send(null);
  });

  app.delete(
    '/api/v5/trace/:name',
    { schema: { tags, summary: 'Delete a trace and its file', params: NameParams, response: { 204: NoContent, ...refusals(404, 503) } } },
    async (request, reply) => {
      await tracing().delete(request.params.name);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/api/v5/trace/:name/stop',
    {
      schema: { tags, summary: 'Stop a trace (its file stays)', params: NameParams, response: { 200: Type.Object({ enable: Type.Boolean(), name: Type.String() }), ...refusals(404, 503) } },
    },
    (request) => {
      tracing().stop(request.params.name);
      return { enable: false, name: request.params.name };
    },
  );

  app.get(
    '/api/v5/trace/:name/log_detail',
    {
      schema: {
        tags,
        summary: 'The trace file on each node',
        params: NameParams,
        response: { 200: Type.Array(Type.Object({ node: Type.String(), size: Type.Integer(), mtime: Type.Integer({ description: 'seconds since the epoch' }) })), ...refusals(404, 503) },
      },
    },
    async (request) => {
      const file = await tracing().fileOf(request.params.name);
      return file === undefined ? [] : [{ node: node(), size: file.size, mtime: Math.floor(file.modified.getTime() / 1000) }];
    },
  );

  app.get(
    '/api/v5/trace/:name/log',
    {
      schema: {
        tags,
        summary: 'Read the trace file in chunks: ask again from meta.position until items is empty',
        params: NameParams,
        querystring: Type.Object({
          bytes: Type.Integer({ minimum: 0, maximum: MAX_CHUNK, default: 1000 }),
          position: Type.Integer({ minimum: 0, default: 0 }),
          node: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ items: Type.String(), meta: Type.Object({ position: Type.Integer(), bytes: Type.Integer() }) }), ...refusals(400, 404, 503) },
      },
    },
    async (request) => {
      checkNode(request.query.node, node());
      const { bytes, position } = request.query;
      const chunk = await tracing().readLog(request.params.name, position, bytes);
      return { items: chunk.items, meta: { position: chunk.position, bytes } };
    },
  );

  app.get(
    '/api/v5/trace/:name/download',
    {
      schema: {
        tags,
        summary: 'The trace file, zipped (application/x-zip, as EMQX)',
        params: NameParams,
        querystring: Type.Object({ node: Type.Optional(Type.String()) }),
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary' }), ...refusals(404, 503) },
      },
    },
    async (request, reply) => {
      checkNode(request.query.node, node());
      const name = request.params.name;
      const file = await tracing().fileOf(name);
      if (file === undefined) throw new AdminError(404, 'Trace is empty', 'NOT_FOUND');
      const stream = await zipOneFile(tracing().get(name).file, file.size, `${node()}-trace_${name}.log`, file.modified);
      return reply.type('application/x-zip').header('content-disposition', `attachment; filename=${name}.zip`).send(stream);
    },
  );
}

function checkNode(requested: string | undefined, node: string): void {
  if (requested !== undefined && requested !== node) throw new AdminError(404, 'Node NOT FOUND', 'NOT_FOUND');
}
