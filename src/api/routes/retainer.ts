// EMQX's retained-message routes: `/api/v5/mqtt/retainer/messages` (list, optionally under a topic
// filter; clear all) and `/api/v5/mqtt/retainer/message/{topic}` (one, payload in base64; delete). The
// topic is one path segment, '/' percent-encoded (a%2Fb), read as a filter as EMQX does.

import { Type } from 'typebox';
import type { Message } from '../../core/message.js';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import { messageId } from '../live/publish.js';
import { clearRetained, deleteRetained, findRetained, listRetained } from '../live/retained.js';
import { NoContent, Paged, PageQuery, refusals } from '../schemas.js';

/** EMQX leaves the payload out of a message over 1 MiB. */
const MAX_SHOWN_PAYLOAD = 1024 * 1024;

const Summary = {
  msgid: Type.String(),
  topic: Type.String(),
  qos: Type.Integer(),
  publish_at: Type.String({ description: 'RFC 3339' }),
  from_clientid: Type.String({ description: 'The publisher\'s client id; "" for messages the broker made (API, $SYS, rules)' }),
  from_username: Type.String({ description: 'Always "": Starling does not keep the publisher\'s username' }),
};
const MessageSummary = Type.Object(Summary);
const RetainedMessage = Type.Object({ ...Summary, payload: Type.Optional(Type.String({ description: 'Base64' })) });
const TopicParam = Type.Object({ topic: Type.String({ description: 'URL-encoded, read as a filter (first match)' }) });

function summary(message: Message) {
  return {
    msgid: messageId(message),
    topic: message.topic,
    qos: message.qos,
    publish_at: new Date(message.receivedAt).toISOString(),
    from_clientid: message.from ?? '',
    from_username: '',
  };
}

export function retainerRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Retained messages'];
  app.get(
    '/api/v5/mqtt/retainer/messages',
    {
      schema: {
        tags,
        summary: 'List retained messages (without payloads); with topic, those under that filter',
        querystring: Type.Object({ ...PageQuery, topic: Type.Optional(Type.String({ description: 'Topic filter, wildcards allowed' })) }),
        response: { 200: Paged(MessageSummary), ...refusals(400, 503) },
      },
    },
    (request) => {
      const { page, limit, topic } = request.query;
      const found = listRetained(liveState(context), topic, page, limit);
      return { data: found.items.map(summary), meta: { page, limit, count: found.count, hasnext: found.hasNext } };
    },
  );

  app.delete(
    '/api/v5/mqtt/retainer/messages',
    { schema: { tags, summary: 'Delete every retained message', response: { 204: NoContent, ...refusals(503) } } },
    async (_request, reply) => {
      clearRetained(liveState(context));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v5/mqtt/retainer/message/:topic',
    { schema: { tags, summary: 'One retained message, payload in base64', params: TopicParam, response: { 200: RetainedMessage, ...refusals(400, 404, 503) } } },
    (request) => {
      const message = findRetained(liveState(context), request.params.topic);
      return { ...summary(message), ...(message.payload.length > MAX_SHOWN_PAYLOAD ? {} : { payload: message.payload.toString('base64') }) };
    },
  );

  app.delete(
    '/api/v5/mqtt/retainer/message/:topic',
    { schema: { tags, summary: 'Delete the retained messages the topic (a filter) matches', params: TopicParam, response: { 204: NoContent, ...refusals(400, 404, 503) } } },
    async (request, reply) => {
      deleteRetained(liveState(context), request.params.topic);
      return reply.code(204).send(null);
    },
  );
}
