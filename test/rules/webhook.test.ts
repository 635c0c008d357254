// The webhook connector against an HTTP server the test runs: templated method, headers and body;
// retries with backoff when the server answers 500; buffering while it is down and delivery, in
// order and complete, once it is back; a bounded buffer that drops (and counts) the oldest; JSON
// array batches; status and counters in the metrics registry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { freePort } from '../helpers/free-port.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP server whose answers the test scripts (default 200). */
class HookServer {
  readonly received: Received[] = [];
  answers: number[] = [];
  private server: Server | undefined;

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const status = this.answers.shift() ?? 200;
        if (status === 200) this.received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        response.writeHead(status).end(status === 200 ? 'ok' : 'try again');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function brokerWithHook(port: number, settings: Record<string, unknown> = {}): Promise<TestBroker> {
  process.env['STARLING_TEST_HOOK_TOKEN'] = 'sekret';
  return startBroker({
    connectors: {
      hook: {
        type: 'webhook',
        enable: true,
        description: '',
        url: `http://127.0.0.1:${port}/ingest/\${env:STARLING_TEST_HOOK_TOKEN}`,
        method: 'post',
        headers: { authorization: 'Bearer ${env:STARLING_TEST_HOOK_TOKEN}', 'x-client': '${clientid}' },
        body: '{"client": "${clientid}", "n": ${payload.n}}',
        retry_backoff_ms: 20,
        retry_backoff_max_ms: 100,
        max_retries: 5,
        request_timeout_ms: 2000,
        pool_size: 1,
        ...settings,
      },
    },
    rules: { forward: { id: 'forward', sql: 'SELECT clientid, payload FROM "hook/#"', actions: ['webhook:hook'], enable: true, description: '' } },
  });
}

async function publishNumbers(server: TestBroker, from: number, to: number): Promise<void> {
  const client = await mqtt.connectAsync(server.url, { clientId: 'dev-1', reconnectPeriod: 0 });
  for (let n = from; n <= to; n++) await client.publishAsync('hook/x', JSON.stringify({ n }), { qos: 1 });
  await client.endAsync();
}

test('webhook - templated URL, headers and body; 500 is retried with backoff until it succeeds', async () => {
  const port = await freePort();
  const hook = new HookServer(port);
  await hook.start();
  const server = await brokerWithHook(port);
  try {
    const connector = server.broker.rules.connectors.get('hook')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    hook.answers = [500, 500];
    await publishNumbers(server, 1, 1);
    await waitFor(() => hook.received.length === 1, 'the request to get through', 20_000);
    const [request] = hook.received;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/ingest/sekret');
    assert.equal(request!.headers['authorization'], 'Bearer sekret');
    assert.equal(request!.headers['x-client'], 'dev-1');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request!.body), { client: 'dev-1', n: 1 });
    assert.equal(connector.counters.retried, 2);
    assert.equal(connector.counters.success, 1);
    const rule = server.broker.rules.engine.get('forward')!.metrics;
    await waitFor(() => rule.actionsSuccess === 1, 'the rule to count the success');
    assert.equal(server.broker.metrics.value('connectors.retried', { connector: 'hook' }), 2);
    assert.equal(server.broker.metrics.value('connectors.status', { connector: 'hook', status: 'connected' }), 1);
  } finally {
    await server.close();
    await hook.stop();
  }
});

test('webhook - while the server is down outputs are buffered; once it is back every one is delivered, in order', async () => {
  const port = await freePort();
  const hook = new HookServer(port);
  await hook.start();
  const server = await brokerWithHook(port);
  try {
    const connector = server.broker.rules.connectors.get('hook')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    await publishNumbers(server, 1, 3);
    await waitFor(() => hook.received.length === 3, 'the first three');
    await hook.stop();
    await publishNumbers(server, 4, 20);
    await waitFor(() => connector.status === 'disconnected', 'the connector to notice the server is down');
    await waitFor(() => connector.queued === 17, 'seventeen outputs buffered');
    await hook.start();
    await waitFor(() => hook.received.length === 20, 'all twenty after the server came back', 15_000);
    assert.deepEqual(hook.received.map((request) => (JSON.parse(request.body) as { n: number }).n), Array.from({ length: 20 }, (_, index) => index + 1));
    assert.equal(connector.counters.dropped, 0);
    assert.equal(connector.counters.failed, 0);
    assert.equal(connector.status, 'connected');
  } finally {
    await server.close();
    await hook.stop();
  }
});

test('webhook - the buffer is bounded: past buffer_size the oldest outputs are dropped and counted', async () => {
  const port = await freePort();
  const hook = new HookServer(port);
  const server = await brokerWithHook(port, { buffer_size: 5 });
  try {
    const connector = server.broker.rules.connectors.get('hook')!.connector!;
    await waitFor(() => connector.status === 'disconnected', 'the connector to find no server');
    await publishNumbers(server, 1, 12);
    await waitFor(() => connector.counters.dropped === 7, 'seven dropped');
    assert.equal(connector.queued, 5);
    const rule = server.broker.rules.engine.get('forward')!.metrics;
    assert.equal(rule.actionsFailedOutOfService, 7);
    await hook.start();
    await waitFor(() => hook.received.length === 5, 'the five kept', 15_000);
    assert.deepEqual(hook.received.map((request) => (JSON.parse(request.body) as { n: number }).n), [8, 9, 10, 11, 12]);
    assert.equal(server.broker.metrics.value('connectors.dropped', { connector: 'hook' }), 7);
  } finally {
    await server.close();
    await hook.stop();
  }
});

test('webhook - batch_size > 1 sends the bodies of a batch as one JSON array; a 400 fails the outputs without retry', async () => {
  const port = await freePort();
  const hook = new HookServer(port);
  await hook.start();
  const server = await brokerWithHook(port, { batch_size: 50, batch_time_ms: 200 });
  try {
    const connector = server.broker.rules.connectors.get('hook')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    await publishNumbers(server, 1, 10);
    await waitFor(() => connector.counters.success === 10, 'ten written');
    const numbers = hook.received.flatMap((request) => (JSON.parse(request.body) as Array<{ n: number }>).map((item) => item.n));
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(hook.received.length < 10, `${hook.received.length} requests for ten outputs`);
    hook.answers = [400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400];
    await publishNumbers(server, 11, 12);
    await waitFor(() => connector.counters.failed === 2, 'two failed');
    assert.equal(connector.counters.retried, 0);
    assert.match(connector.lastError!, /answered 400/);
  } finally {
    await server.close();
    await hook.stop();
  }
});

test('webhook - a durable buffer keeps outputs waiting for a down server across a broker restart', async () => {
  const port = await freePort();
  const hook = new HookServer(port);
  let server = await startBroker({
    durability: 'sync',
    connectors: { hook: { type: 'webhook', enable: true, description: '', url: `http://127.0.0.1:${port}/in`, method: 'post', body: '${payload.n}', durable_buffer: true, pool_size: 1 } },
    rules: { forward: { sql: 'SELECT payload FROM "hook/#"', actions: ['hook'] } },
  });
  try {
    const connector = server.broker.rules.connectors.get('hook')!.connector!;
    await waitFor(() => connector.status === 'disconnected', 'the connector to find no server');
    await publishNumbers(server, 1, 5);
    await waitFor(() => connector.queued === 5, 'five buffered');
    server = await server.restart();
    const restored = server.broker.rules.connectors.get('hook')!.connector!;
    assert.equal(restored.queued, 5, 'the five came back from the store');
    await hook.start();
    await waitFor(() => hook.received.length === 5, 'the five after the restart', 15_000);
    assert.deepEqual(hook.received.map((request) => request.body), ['1', '2', '3', '4', '5']);
    await waitFor(() => server.broker.authorization!.records.list('connector_buffer').length === 0, 'the store to let them go');
  } finally {
    await server.close();
    await hook.stop();
  }
});
