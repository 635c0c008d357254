// EMQX's `POST /api/v5/publish` and `/publish/bulk`: 200 `{id}` when the message reached a subscriber,
// 202 `{reason_code: 16, message: "no_matching_subscribers"}` when it reached none (it was still
// published: retained, rules), 400 `{reason_code, message}` when it cannot be published, 503 when the
// store could not commit it. The logic is src/api/live/publish.ts.

import { Type } from 'typebox';
import type { FastifyReply } from 'fastify';
import { ReasonCode } from '../../codec/constants.js';
import type { Message } from '../../core/message.js';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import { checkPublish, publishMessages, type PublishRefusal, type PublishRequest } from '../live/publish.js';
import { refusals, StringEnum } from '../schemas.js';

const PublishBody = Type.Object(
  {
    topic: Type.String({ description: 'A topic name (no wildcards)' }),
    payload: Type.String(),
    payload_encoding: Type.Optional(StringEnum(['plain', 'base64'])),
    qos: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
    retain: Type.Optional(Type.Boolean()),
    clientid: Type.Optional(Type.String({ description: 'Ignored, as in EMQX (deprecated there)' })),
    properties: Type.Optional(
      Type.Object(
        {
          payload_format_indicator: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
          message_expiry_interval: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
          response_topic: Type.Optional(Type.String()),
          correlation_data: Type.Optional(Type.String()),
          user_properties: Type.Optional(Type.Record(Type.String(), Type.String())),
          content_type: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const Published = Type.Object({ id: Type.String() });
const Outcome = Type.Object({
  id: Type.Optional(Type.String()),
  code: Type.Optional(Type.String({ description: 'A request the schema refuses (a missing field, a bad type): {code: BAD_REQUEST, message}' })),
  reason_code: Type.Optional(Type.Integer({ description: 'An MQTT reason code: 16 no matching subscribers, 144 topic name invalid, 151 packet too large, ...' })),
  message: Type.Optional(Type.String()),
});

const NO_SUBSCRIBERS = { reason_code: ReasonCode.NoMatchingSubscribers, message: 'no_matching_subscribers' };

export function publishRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Publish'];
  app.post(
    '/api/v5/publish',
    {
      config: { concurrent: true },
      schema: {
        tags,
        summary: 'Publish a message (as the broker: no ACL), answered once the store has it',
        body: PublishBody,
        response: { 200: Published, 202: Outcome, 400: Outcome, 503: Outcome, ...refusals(401, 403) },
      },
    },
    async (request, reply) => {
      const live = liveState(context);
      const checked = checkPublish(live, request.body as PublishRequest, 'body');
      if (!isMessage(checked)) return reply.code(400).send(refusal(checked));
      const published = await publishOrFail(live, [checked], reply);
      if (published === undefined) return reply;
      const [outcome] = published;
      return outcome!.delivered ? { id: outcome!.id } : reply.code(202).send({ id: outcome!.id, ...NO_SUBSCRIBERS });
    },
  );

  app.post(
    '/api/v5/publish/bulk',
    {
      config: { concurrent: true },
      schema: {
        tags,
        summary: 'Publish several messages; all are checked before any is published',
        body: Type.Array(PublishBody, { minItems: 1 }),
        response: { 200: Type.Array(Outcome), 202: Type.Array(Outcome), 400: Outcome, 503: Outcome, ...refusals(401, 403) },
      },
    },
    async (request, reply) => {
      const live = liveState(context);
      const messages: Message[] = [];
      for (const [index, item] of request.body.entries()) {
        const checked = checkPublish(live, item as PublishRequest, `body.${index}`);
        if (!isMessage(checked)) return reply.code(400).send(refusal(checked));
        messages.push(checked);
      }
      const published = await publishOrFail(live, messages, reply);
      if (published === undefined) return reply;
      const everyDelivered = published.every((outcome) => outcome.delivered);
      return reply.code(everyDelivered ? 200 : 202).send(published.map((outcome) => (outcome.delivered ? { id: outcome.id } : { id: outcome.id, ...NO_SUBSCRIBERS })));
    },
  );
}

function isMessage(checked: Message | PublishRefusal): checked is Message {
  return !('reasonCode' in checked);
}

function refusal(checked: PublishRefusal) {
  return { reason_code: checked.reasonCode, message: checked.message };
}

/** Publishes and waits for the store; on a failed commit answers 503 and returns undefined. */
async function publishOrFail(live: Parameters<typeof publishMessages>[0], messages: Message[], reply: FastifyReply) {
  try {
    return await publishMessages(live, messages);
  } catch (error) {
    void reply.code(503).send({ reason_code: ReasonCode.ImplementationSpecificError, message: `failed_to_persist: the store could not commit the message (${(error as Error).message})` });
    return undefined;
  }
}
