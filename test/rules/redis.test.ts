// The Redis connector against a real redis-server the test starts: HSET with a map spread by
// map_to_redis_hset_args, LPUSH, PUBLISH and XADD templates; a command the server refuses
// (WRONGTYPE) fails that output only; batches go as pipelines.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startRedis, type TestServer } from '../helpers/servers.js';

let redis: TestServer;
let client: Redis;

before(async () => {
  redis = await startRedis();
  client = new Redis({ host: '127.0.0.1', port: redis.port });
});

after(async () => {
  client?.disconnect();
  await redis?.close();
});

function connector(command: string | string[]) {
  return { type: 'redis' as const, enable: true, description: '', server: `127.0.0.1:${redis.port}`, command, retry_backoff_ms: 20, batch_size: 20 };
}

test('redis - HSET, LPUSH, PUBLISH and XADD from templates; a refused command fails alone', async () => {
  const subscriber = new Redis({ host: '127.0.0.1', port: redis.port });
  const published: string[] = [];
  await subscriber.subscribe('readings');
  subscriber.on('message', (_channel, message) => published.push(message));
  const server = await startBroker({
    connectors: {
      hash: connector('HSET device:${clientid} ${fields}'),
      list: connector(['LPUSH', 'log:${clientid}', '${payload}']),
      pub: connector('PUBLISH readings ${payload}'),
      stream: connector('XADD stream:readings * client ${clientid} temp ${payload.temp}'),
    },
    rules: {
      toRedis: {
        sql: 'SELECT clientid, payload, map_to_redis_hset_args(payload) AS fields FROM "redis/#"',
        actions: ['hash', 'list', 'pub', 'redis:stream'],
      },
    },
  });
  try {
    const connectors = ['hash', 'list', 'pub', 'stream'].map((name) => server.broker.rules.connectors.get(name)!.connector!);
    await waitFor(() => connectors.every((each) => each.status === 'connected'), 'the connectors to connect');
    const mqttClient = await mqtt.connectAsync(server.url, { clientId: 'r1', reconnectPeriod: 0 });
    for (let temp = 20; temp < 25; temp++) await mqttClient.publishAsync('redis/t', JSON.stringify({ temp, unit: 'C' }), { qos: 1 });
    await waitFor(() => connectors.every((each) => each.counters.success === 5), 'five writes on each');
    assert.deepEqual(await client.hgetall('device:r1'), { temp: '24', unit: 'C' });
    assert.deepEqual((await client.lrange('log:r1', 0, -1)).map((item) => (JSON.parse(item) as { temp: number }).temp), [24, 23, 22, 21, 20]);
    await waitFor(() => published.length === 5, 'five PUBLISHed');
    const stream = await client.xrange('stream:readings', '-', '+');
    assert.deepEqual(stream.map(([, fields]) => fields), [20, 21, 22, 23, 24].map((temp) => ['client', 'r1', 'temp', String(temp)]));
    // device:r2 holds a string, so HSET on it is refused; the other connectors still write.
    await client.set('device:r2', 'not a hash');
    const second = await mqtt.connectAsync(server.url, { clientId: 'r2', reconnectPeriod: 0 });
    await second.publishAsync('redis/t', JSON.stringify({ temp: 30 }), { qos: 1 });
    await waitFor(() => connectors[0]!.counters.failed === 1 && connectors[1]!.counters.success === 6, 'HSET refused, LPUSH written');
    assert.match(connectors[0]!.lastError!, /WRONGTYPE/);
    await Promise.all([mqttClient.endAsync(), second.endAsync()]);
  } finally {
    subscriber.disconnect();
    await server.close();
  }
});
