// The coordinator's view of a LoadAgent: the same calls whether the agent runs in this thread or in a
// worker thread (then each call is a message with an id, answered by src/loadgen/worker.ts).

import { Worker } from 'node:worker_threads';
import { LoadAgent, type AgentConfiguration, type AgentProgress, type AgentResult, type ConnectReport, type PublisherRange } from './agent.js';

export interface AgentHandle {
  connectSubscribers(): Promise<ConnectReport>;
  connectPublishers(): Promise<ConnectReport>;
  openConnections(): Promise<ConnectReport>;
  startPublishing(): Promise<void>;
  beginMeasure(): Promise<void>;
  endMeasure(): Promise<void>;
  progress(): Promise<AgentProgress>;
  publisherRanges(): Promise<PublisherRange[]>;
  collect(ranges: PublisherRange[]): Promise<AgentResult>;
  close(): Promise<void>;
}

export type AgentMethod = keyof AgentHandle;

export interface AgentRequest {
  id: number;
  method: AgentMethod;
  argument?: unknown;
}

export type AgentResponse = { id: number; value: unknown } | { id: number; error: string };

/** Calls a method of a LoadAgent by name; shared by the in-thread handle and the worker entry. */
export async function invokeAgent(agent: LoadAgent, method: AgentMethod, argument: unknown): Promise<unknown> {
  switch (method) {
    case 'connectSubscribers': return agent.connectSubscribers();
    case 'connectPublishers': return agent.connectPublishers();
    case 'openConnections': return agent.openConnections();
    case 'startPublishing': return agent.startPublishing();
    case 'beginMeasure': return agent.beginMeasure();
    case 'endMeasure': return agent.endMeasure();
    case 'progress': return agent.progress();
    case 'publisherRanges': return agent.publisherRanges();
    case 'collect': return agent.collect(argument as PublisherRange[]);
    case 'close': return agent.close();
  }
}

function handleOver(call: (method: AgentMethod, argument?: unknown) => Promise<unknown>, dispose: () => Promise<void>): AgentHandle {
  return {
    connectSubscribers: () => call('connectSubscribers') as Promise<ConnectReport>,
    connectPublishers: () => call('connectPublishers') as Promise<ConnectReport>,
    openConnections: () => call('openConnections') as Promise<ConnectReport>,
    startPublishing: () => call('startPublishing') as Promise<void>,
    beginMeasure: () => call('beginMeasure') as Promise<void>,
    endMeasure: () => call('endMeasure') as Promise<void>,
    progress: () => call('progress') as Promise<AgentProgress>,
    publisherRanges: () => call('publisherRanges') as Promise<PublisherRange[]>,
    collect: (ranges) => call('collect', ranges) as Promise<AgentResult>,
    close: async () => {
      try {
        await call('close');
      } finally {
        await dispose();
      }
    },
  };
}

export function createLocalAgent(configuration: AgentConfiguration): AgentHandle {
  const agent = new LoadAgent(configuration);
  return handleOver((method, argument) => invokeAgent(agent, method, argument), async () => {});
}

export function createWorkerAgent(configuration: AgentConfiguration): AgentHandle {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: configuration });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const failAll = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (response: AgentResponse) => {
    const waiter = pending.get(response.id);
    pending.delete(response.id);
    if (waiter === undefined) return;
    if ('error' in response) waiter.reject(new Error(response.error));
    else waiter.resolve(response.value);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`bench worker exited with code ${code}`)));
  const call = (method: AgentMethod, argument?: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const request: AgentRequest = { id, method, argument };
      worker.postMessage(request);
    });
  return handleOver(call, async () => {
    await worker.terminate();
  });
}
