// The MySQL connector against a real MariaDB the test starts (Debian's mariadb-server, as the `mysql`
// user when the tests run as root): rows written with bound parameters, batches as multi-row
// INSERTs, a row the server refuses failing alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'mysql2/promise';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startMariadb, type TestServer } from '../helpers/servers.js';

let mariadb: TestServer;

async function query(sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const connection = await createConnection({ host: '127.0.0.1', port: mariadb.port, user: 'root', multipleStatements: true });
  try {
    const [rows] = await connection.query(sql, values);
    return rows as Array<Record<string, unknown>>;
  } finally {
    await connection.end();
  }
}

before(async () => {
  mariadb = await startMariadb();
  await query('CREATE DATABASE iot; CREATE TABLE iot.events (id INT AUTO_INCREMENT PRIMARY KEY, clientid VARCHAR(64) NOT NULL, kind VARCHAR(16), temp DOUBLE, note TEXT) ENGINE=InnoDB');
});

after(async () => {
  await mariadb?.close();
});

test('mysql - rows from rule outputs in batches, values bound (quotes stay data), a refused row fails alone', async () => {
  const server = await startBroker({
    connectors: {
      maria: {
        type: 'mysql',
        enable: true,
        description: '',
        server: `127.0.0.1:${mariadb.port}`,
        database: 'iot',
        username: 'root',
        password: '',
        sql: "INSERT INTO events (clientid, kind, temp, note) VALUES (${clientid}, '${kind}', ${temp}, ${note})",
        batch_size: 50,
        batch_time_ms: 50,
        retry_backoff_ms: 20,
      },
    },
    rules: { log: { sql: 'SELECT clientid, payload.kind AS kind, payload.temp AS temp, payload.note AS note FROM "maria/#"', actions: ['mysql:maria'] } },
  });
  try {
    const connector = server.broker.rules.connectors.get('maria')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const client = await mqtt.connectAsync(server.url, { clientId: 'm-1', reconnectPeriod: 0 });
    await Promise.all(Array.from({ length: 120 }, (_, index) => client.publishAsync('maria/x', JSON.stringify({ kind: 'reading', temp: index, note: `it's "${index}"` }), { qos: 0 })));
    await waitFor(() => connector.counters.success === 120, '120 rows', 15_000);
    const written = await query("SELECT count(*) AS n, min(temp) AS low, max(temp) AS high FROM iot.events WHERE kind = 'reading'");
    assert.deepEqual({ ...written[0] }, { n: 120, low: 0, high: 119 });
    const note = await query('SELECT note FROM iot.events WHERE temp = 7');
    assert.equal(note[0]!['note'], 'it\'s "7"');
    // kind longer than VARCHAR(16): MariaDB refuses it (strict mode), the others of the batch still go in.
    await client.publishAsync('maria/x', JSON.stringify({ kind: 'x'.repeat(40), temp: 1000 }), { qos: 1 });
    await client.publishAsync('maria/x', JSON.stringify({ kind: 'late', temp: 1001 }), { qos: 1 });
    await waitFor(() => connector.counters.failed === 1 && connector.counters.success === 121, 'one refused, one more written');
    assert.match(connector.lastError!, /Data too long/);
    assert.deepEqual((await query("SELECT temp FROM iot.events WHERE kind = 'late'")).map((row) => row['temp']), [1001]);
    await client.endAsync();
  } finally {
    await server.close();
  }
});
