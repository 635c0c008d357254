// The PostgreSQL connector against a real PostgreSQL the test starts (Debian's postgresql, as the
// `postgres` user when the tests run as root): rows written with bound parameters (a payload that
// looks like SQL stays data), batches as multi-row INSERTs, an SQL error fails only the bad row, and
// PostgreSQL stopped for a few seconds in the middle of a stream of messages loses none of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startPostgres, type TestServer } from '../helpers/servers.js';

let postgres: TestServer;

/** One query on a fresh connection (the server restarts in a test). */
async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ host: '127.0.0.1', port: postgres.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

before(async () => {
  postgres = await startPostgres();
  await query('CREATE TABLE readings (id serial PRIMARY KEY, clientid text NOT NULL, topic text, temp double precision, seq integer, raw jsonb, received_at bigint)');
  // Counts INSERT statements, to see batches become multi-row statements.
  await query('CREATE TABLE statements (n integer); INSERT INTO statements VALUES (0)');
  await query('CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE statements SET n = n + 1; RETURN NULL; END $$');
  await query('CREATE TRIGGER count_inserts AFTER INSERT ON readings FOR EACH STATEMENT EXECUTE FUNCTION count_statement()');
});

after(async () => {
  await postgres?.close();
});

async function rows(where = 'TRUE'): Promise<Array<Record<string, unknown>>> {
  return query(`SELECT clientid, topic, temp, seq, raw FROM readings WHERE ${where} ORDER BY id`);
}

async function broker(sql: string, settings: Record<string, unknown> = {}): Promise<TestBroker> {
  process.env['STARLING_TEST_PG_USER'] = 'postgres';
  return startBroker({
    connectors: {
      pg: {
        type: 'postgresql',
        enable: true,
        description: '',
        server: `127.0.0.1:${postgres.port}`,
        database: 'postgres',
        username: '${env:STARLING_TEST_PG_USER}',
        sql,
        retry_backoff_ms: 20,
        request_timeout_ms: 3000,
        ...settings,
      },
    },
    rules: { store: { sql: 'SELECT clientid, topic, payload.temp AS temp, payload.seq AS seq, payload AS raw, publish_received_at AS at FROM "db/#"', actions: ['pg'] } },
  });
}

const insert = 'INSERT INTO readings (clientid, topic, temp, seq, raw, received_at) VALUES (${clientid}, ${topic}, ${temp}, ${seq}, ${raw}, ${at})';

test('postgresql - rows from rule outputs, values bound as parameters, a bad row fails alone', async () => {
  const server = await broker(insert);
  try {
    const connector = server.broker.rules.connectors.get('pg')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const mqttClient = await mqtt.connectAsync(server.url, { clientId: "x'); DROP TABLE readings; --", reconnectPeriod: 0 });
    await mqttClient.publishAsync('db/a', JSON.stringify({ temp: 21.5, seq: 1 }), { qos: 1 });
    await mqttClient.publishAsync('db/a', JSON.stringify({ temp: 'not a number', seq: 2 }), { qos: 1 });
    await mqttClient.publishAsync('db/a', JSON.stringify({ temp: 22, seq: 3 }), { qos: 1 });
    await mqttClient.endAsync();
    await waitFor(() => connector.counters.success + connector.counters.failed === 3, 'three outputs handled');
    const written = await rows("topic = 'db/a'");
    assert.deepEqual(written.map((row) => [row['clientid'], row['temp'], row['seq']]), [
      ["x'); DROP TABLE readings; --", 21.5, 1],
      ["x'); DROP TABLE readings; --", 22, 3],
    ]);
    assert.deepEqual(written[0]!['raw'], { temp: 21.5, seq: 1 });
    assert.equal(connector.counters.failed, 1);
    assert.match(connector.lastError!, /invalid input syntax for type double precision/);
    const rule = server.broker.rules.engine.get('store')!.metrics;
    await waitFor(() => rule.actionsSuccess === 2 && rule.actionsFailed === 1, 'the rule to count two successes and one failure');
  } finally {
    await server.close();
  }
});

test('postgresql - a burst goes in multi-row INSERT batches', async () => {
  const server = await broker(insert, { batch_size: 100, batch_time_ms: 50, pool_size: 1 });
  try {
    const connector = server.broker.rules.connectors.get('pg')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const before = (await query('SELECT n FROM statements'))[0]!['n'] as number;
    const mqttClient = await mqtt.connectAsync(server.url, { clientId: 'burst', reconnectPeriod: 0 });
    await Promise.all(Array.from({ length: 300 }, (_, index) => mqttClient.publishAsync('db/burst', JSON.stringify({ temp: index, seq: index }), { qos: 0 })));
    await mqttClient.endAsync();
    await waitFor(() => connector.counters.success === 300, '300 rows', 15_000);
    const count = await query("SELECT count(*)::int AS n, count(DISTINCT seq)::int AS distinct_seq FROM readings WHERE topic = 'db/burst'");
    assert.deepEqual(count[0], { n: 300, distinct_seq: 300 });
    const statements = ((await query('SELECT n FROM statements'))[0]!['n'] as number) - before;
    assert.ok(statements >= 3 && statements < 300, `300 rows in ${statements} INSERT statements`);
  } finally {
    await server.close();
  }
});

test('postgresql - stopped for a few seconds in the middle of a stream: nothing is lost', async () => {
  const server = await broker(insert, { pool_size: 2 });
  try {
    const connector = server.broker.rules.connectors.get('pg')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const mqttClient = await mqtt.connectAsync(server.url, { clientId: 'stream', reconnectPeriod: 0 });
    let next = 0;
    const publishUpTo = async (last: number): Promise<void> => {
      for (; next <= last; next++) await mqttClient.publishAsync('db/stream', JSON.stringify({ temp: next, seq: next }), { qos: 1 });
    };
    await publishUpTo(99);
    await waitFor(() => connector.counters.success >= 50, 'the stream to be flowing');
    const stoppedAt = Date.now();
    await postgres.stop();
    await publishUpTo(199);
    await waitFor(() => connector.status === 'disconnected', 'the connector to notice');
    // Down for a few seconds while messages keep arriving, about 100 a second.
    while (Date.now() - stoppedAt < 3000) {
      await publishUpTo(next);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await postgres.start();
    await publishUpTo(next + 49);
    const total = next;
    await waitFor(() => connector.counters.success === total, `all ${total} rows once PostgreSQL is back`, 30_000);
    await mqttClient.endAsync();
    const seqs = (await query("SELECT seq FROM readings WHERE topic = 'db/stream' ORDER BY seq")).map((row) => row['seq'] as number);
    assert.deepEqual(seqs, Array.from({ length: total }, (_, index) => index));
    assert.equal(connector.counters.dropped, 0);
    assert.equal(connector.counters.failed, 0);
  } finally {
    await server.close();
  }
});
