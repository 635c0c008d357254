// Turns a scenario into who publishes where and who subscribes to what, and splits that across workers.

import type { BenchOptions } from './options.js';

export interface PublisherSpecification {
  publisherId: number;
  topic: string;
  /** Global client index, to pick the source address round-robin. */
  clientIndex: number;
}

export interface SubscriberSpecification {
  subscriberId: number;
  filter: string;
  clientIndex: number;
  /** Publishers whose every message this subscriber should get; 'all' for wildcard scenarios; 'unknown' for `sub`. */
  expects: number[] | 'all' | 'unknown';
}

export interface ScenarioPlan {
  publishers: PublisherSpecification[];
  subscribers: SubscriberSpecification[];
  /** conn: how many idle connections, and the global index of the first one. */
  connections: number;
  firstConnectionIndex: number;
}

export function topicFor(pattern: string, index: number): string {
  return pattern.replaceAll('%i', String(index));
}

export function planScenario(options: BenchOptions): ScenarioPlan {
  const wildcard = options.filter ?? options.topic.replaceAll('%i', '+');
  const plan: ScenarioPlan = { publishers: [], subscribers: [], connections: 0, firstConnectionIndex: 0 };
  let clientIndex = 0;
  const subscribe = (filter: string, expects: SubscriberSpecification['expects']): void => {
    plan.subscribers.push({ subscriberId: plan.subscribers.length, filter, clientIndex: clientIndex++, expects });
  };
  const publish = (topic: string): void => {
    plan.publishers.push({ publisherId: plan.publishers.length, topic, clientIndex: clientIndex++ });
  };
  switch (options.scenario) {
    case 'pub':
      for (let index = 0; index < options.clients; index++) publish(topicFor(options.topic, index));
      break;
    case 'sub':
      for (let index = 0; index < options.clients; index++) {
        subscribe(options.filter ?? topicFor(options.topic, index), 'unknown');
      }
      break;
    case 'conn':
      plan.connections = options.clients;
      break;
    case 'pairs':
      for (let index = 0; index < options.clients; index++) subscribe(topicFor(options.topic, index), [index]);
      for (let index = 0; index < options.clients; index++) publish(topicFor(options.topic, index));
      break;
    case 'fanin': {
      const subscribers = options.subscribers ?? 1;
      const publishers = options.publishers ?? options.clients;
      for (let index = 0; index < subscribers; index++) subscribe(wildcard, 'all');
      for (let index = 0; index < publishers; index++) publish(topicFor(options.topic, index));
      break;
    }
    case 'fanout': {
      const subscribers = options.subscribers ?? options.clients;
      const publishers = options.publishers ?? 1;
      const topic = topicFor(options.topic, 0);
      for (let index = 0; index < subscribers; index++) subscribe(topic, 'all');
      for (let index = 0; index < publishers; index++) publish(topic);
      break;
    }
  }
  return plan;
}

/** Round-robin split, so each worker gets a similar mix of publishers and subscribers. */
export function splitPlan(plan: ScenarioPlan, workers: number): ScenarioPlan[] {
  const parts: ScenarioPlan[] = [];
  let firstConnectionIndex = plan.firstConnectionIndex;
  for (let worker = 0; worker < workers; worker++) {
    const connections = Math.floor(plan.connections / workers) + (worker < plan.connections % workers ? 1 : 0);
    parts.push({
      publishers: plan.publishers.filter((_, index) => index % workers === worker),
      subscribers: plan.subscribers.filter((_, index) => index % workers === worker),
      connections,
      firstConnectionIndex,
    });
    firstConnectionIndex += connections;
  }
  return parts;
}
