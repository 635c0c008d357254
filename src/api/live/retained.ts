// The retained messages of the running broker, as `/api/v5/mqtt/retainer/...` lists, shows and
// deletes them. Without a topic filter, pages follow the order the topics were first retained (no
// sort: page N costs N pages); with a filter, the retained index finds the matches and they are
// sorted by topic. Deletions go through the broker, so the count and the store follow.

import { isValidTopicFilter } from '../../codec/validate.js';
import type { Message } from '../../core/message.js';
import { AdminError } from '../../admin/operations.js';
import type { LiveState } from './live-state.js';
import type { Paged } from './subscriptions.js';

export function listRetained(live: LiveState, filter: string | undefined, page: number, limit: number): Paged<Message> {
  const retained = live.broker.core.retained;
  const offset = (page - 1) * limit;
  if (filter === undefined) {
    const items: Message[] = [];
    let index = 0;
    for (const [, message] of retained.entries()) {
      if (index >= offset + limit) break;
      if (index++ >= offset) items.push(message);
    }
    return { items, count: retained.size, hasNext: offset + limit < retained.size };
  }
  const matches = matching(live, filter, 'topic');
  matches.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  return { items: matches.slice(offset, offset + limit), count: matches.length, hasNext: offset + limit < matches.length };
}

/** The retained message of a topic; the topic is read as a filter and the first match wins, as in EMQX. */
export function findRetained(live: LiveState, topic: string): Message {
  const exact = live.broker.core.retained.get(topic);
  const message = exact ?? matching(live, topic, 'topic').sort((a, b) => (a.topic < b.topic ? -1 : 1))[0];
  if (message === undefined) throw notFound();
  return message;
}

/** Deletes every retained message the topic (read as a filter) matches; 404 when none does. */
export function deleteRetained(live: LiveState, topic: string): number {
  const core = live.broker.core;
  const topics = matching(live, topic, 'topic').map((message) => message.topic);
  if (topics.length === 0) throw notFound();
  for (const matched of topics) core.deleteRetained(matched);
  return topics.length;
}

export function clearRetained(live: LiveState): number {
  const core = live.broker.core;
  const topics = [...core.retained.entries()].map(([topic]) => topic);
  for (const topic of topics) core.deleteRetained(topic);
  return topics.length;
}

function matching(live: LiveState, filter: string, field: string): Message[] {
  if (!isValidTopicFilter(filter)) throw new AdminError(400, `${field}: not a valid topic filter: ${JSON.stringify(filter)}`, 'BAD_REQUEST');
  const found: Message[] = [];
  live.broker.core.retained.match(filter, (_topic, message) => void found.push(message));
  return found;
}

function notFound(): AdminError {
  return new AdminError(404, "Viewed message doesn't exist", 'NOT_FOUND');
}
