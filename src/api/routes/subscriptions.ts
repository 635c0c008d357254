// EMQX's `GET /api/v5/subscriptions` (every client's, paged and filtered) and `GET /api/v5/topics`
// (the topic filters routed, shared groups as `$share/<group>/<filter>`), plus `/topics/{topic}`;
// and Starling's `GET /api/v5/shared_groups` (each shared group with its members).

import { Type } from 'typebox';
import { AdminError } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import { liveState, type ApiContext } from '../context.js';
import { listSharedGroups, listSubscriptions, listTopics, type SharedGroupFilters, type SubscriptionFilters } from '../live/subscriptions.js';
import { Paged, PageQuery, refusals } from '../schemas.js';
import { checkNode, SubscriptionShape, subscriptionShape } from './clients.js';

const TopicShape = Type.Object({ topic: Type.String(), node: Type.String() });

const SharedGroupShape = Type.Object({
  group: Type.String(),
  topic: Type.String({ description: 'The filter the group shares (without $share/<group>/)' }),
  node: Type.String(),
  members_count: Type.Integer(),
  members: Type.Array(Type.Object({ clientid: Type.String(), qos: Type.Integer(), connected: Type.Boolean({ description: 'false: a persistent session whose client is away' }) }), { description: 'In client id order' }),
});

export function subscriptionRoutes(app: ApiApp, context: ApiContext): void {
  app.get(
    '/api/v5/subscriptions',
    {
      schema: {
        tags: ['Subscriptions'],
        summary: 'List subscriptions, in client id order',
        querystring: Type.Object({
          ...PageQuery,
          node: Type.Optional(Type.String()),
          clientid: Type.Optional(Type.String()),
          topic: Type.Optional(Type.String({ description: 'The filter as subscribed (a $share/<group>/<filter> selects that group)' })),
          match_topic: Type.Optional(Type.String({ description: 'Subscriptions whose filter this filter matches' })),
          qos: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
          share_group: Type.Optional(Type.String()),
          durable: Type.Optional(Type.Boolean({ description: 'Starling has no durable (DS) sessions: true matches nothing' })),
        }),
        response: { 200: Paged(SubscriptionShape), ...refusals(400, 404, 503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const { page, limit, node, clientid, topic, match_topic, qos, share_group, durable } = request.query;
      checkNode(live, node);
      if (durable === true) return { data: [], meta: { page, limit, count: 0, hasnext: false } };
      const filters: SubscriptionFilters = {};
      if (clientid !== undefined) filters.clientId = clientid;
      if (topic !== undefined) filters.topic = topic;
      if (match_topic !== undefined) filters.matchTopic = match_topic;
      if (qos !== undefined) filters.qos = qos;
      if (share_group !== undefined) filters.shareGroup = share_group;
      const found = listSubscriptions(live, filters, page, limit);
      return { data: found.items.map((subscription) => subscriptionShape(live, subscription)), meta: { page, limit, count: found.count, hasnext: found.hasNext } };
    },
  );

  app.get(
    '/api/v5/topics',
    {
      schema: {
        tags: ['Subscriptions'],
        summary: 'List the topic filters subscribed to, sorted',
        querystring: Type.Object({ ...PageQuery, topic: Type.Optional(Type.String()), node: Type.Optional(Type.String()) }),
        response: { 200: Paged(TopicShape), ...refusals(400, 404, 503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const { page, limit, topic, node } = request.query;
      checkNode(live, node);
      const found = listTopics(live, topic, page, limit);
      return { data: found.items.map((item) => ({ topic: item, node: live.nodeName })), meta: { page, limit, count: found.count, hasnext: found.hasNext } };
    },
  );

  app.get(
    '/api/v5/topics/:topic',
    {
      schema: {
        tags: ['Subscriptions'],
        summary: 'One topic filter (URL-encoded: a%2F%23 for a/#)',
        params: Type.Object({ topic: Type.String() }),
        response: { 200: Type.Array(TopicShape), ...refusals(400, 404, 503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const found = listTopics(live, request.params.topic, 1, 1);
      if (found.count === 0) throw new AdminError(404, 'Topic not found', 'TOPIC_NOT_FOUND');
      return [{ topic: request.params.topic, node: live.nodeName }];
    },
  );

  app.get(
    '/api/v5/shared_groups',
    {
      schema: {
        tags: ['Subscriptions'],
        summary: 'Shared subscription groups ($share/<group>/<filter>) with their members, sorted by group and filter (Starling addition)',
        querystring: Type.Object({
          ...PageQuery,
          group: Type.Optional(Type.String({ description: 'One group, exactly' })),
          like_group: Type.Optional(Type.String({ description: 'Groups whose name holds this' })),
          topic: Type.Optional(Type.String({ description: 'The filter shared, exactly' })),
          node: Type.Optional(Type.String()),
        }),
        response: { 200: Paged(SharedGroupShape), ...refusals(400, 404, 503) },
      },
    },
    (request) => {
      const live = liveState(context);
      const { page, limit, group, like_group, topic, node } = request.query;
      checkNode(live, node);
      const filters: SharedGroupFilters = {};
      if (group !== undefined) filters.group = group;
      if (like_group !== undefined) filters.likeGroup = like_group;
      if (topic !== undefined) filters.filter = topic;
      const found = listSharedGroups(live, filters, page, limit);
      return {
        data: found.items.map((entry) => ({
          group: entry.group,
          topic: entry.filter,
          node: live.nodeName,
          members_count: entry.members.length,
          members: entry.members.map((member) => ({ clientid: member.clientId, qos: member.qos, connected: member.connected })),
        })),
        meta: { page, limit, count: found.count, hasnext: found.hasNext },
      };
    },
  );
}
