// Entry point of a load-generating worker thread: one LoadAgent, driven by messages from agent-handle.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { LoadAgent, type AgentConfiguration } from './agent.js';
import { invokeAgent, type AgentRequest, type AgentResponse } from './agent-handle.js';

const port = parentPort;
if (port === null) throw new Error('src/loadgen/worker.js must run as a worker thread');
const agent = new LoadAgent(workerData as AgentConfiguration);

port.on('message', (request: AgentRequest) => {
  invokeAgent(agent, request.method, request.argument).then(
    (value) => port.postMessage({ id: request.id, value } satisfies AgentResponse),
    (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies AgentResponse),
  );
});
