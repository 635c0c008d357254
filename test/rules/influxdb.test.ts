// The InfluxDB connector against a real influxd 1.x the test starts (Debian's influxdb): line
// protocol rendered from write_syntax (escaped tags, integer and string fields, timestamps), written
// in batches to /write, read back with InfluxQL.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { startInfluxdb, type TestServer } from '../helpers/servers.js';

let influx: TestServer;

async function influxQuery(q: string): Promise<{ results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }> }> {
  const response = await fetch(`http://127.0.0.1:${influx.port}/query?db=iot`, { method: 'POST', body: new URLSearchParams({ q }) });
  return (await response.json()) as never;
}

before(async () => {
  influx = await startInfluxdb();
  await influxQuery('CREATE DATABASE iot');
});

after(async () => {
  await influx?.close();
});

test('influxdb - line protocol from write_syntax, batched to /write, read back', async () => {
  const server = await startBroker({
    connectors: {
      tsdb: {
        type: 'influxdb',
        enable: true,
        description: '',
        server: `http://127.0.0.1:${influx.port}`,
        database: 'iot',
        precision: 'ms',
        write_syntax: 'temperature,device=${clientid},site=${payload.site} value=${payload.temp},count=${payload.n}i,label="${payload.label}" ${ts}',
        batch_size: 100,
        batch_time_ms: 50,
      },
    },
    rules: { series: { sql: 'SELECT clientid, payload, publish_received_at + payload.n AS ts FROM "influx/#"', actions: ['tsdb'] } },
  });
  try {
    const connector = server.broker.rules.connectors.get('tsdb')!.connector!;
    await waitFor(() => connector.status === 'connected', 'the connector to connect');
    const client = await mqtt.connectAsync(server.url, { clientId: 'sensor 1', reconnectPeriod: 0 });
    for (let n = 0; n < 50; n++) await client.publishAsync('influx/t', JSON.stringify({ temp: 20 + n / 10, n, site: 'north,east', label: `reading "${n}"` }), { qos: 0 });
    await client.endAsync();
    await waitFor(() => connector.counters.success === 50, '50 points', 15_000);
    const result = await influxQuery('SELECT value, "count", label, device, site FROM temperature ORDER BY time');
    const series = result.results[0]!.series![0]!;
    assert.deepEqual(series.columns, ['time', 'value', 'count', 'label', 'device', 'site']);
    assert.equal(series.values.length, 50);
    assert.deepEqual(series.values[3]!.slice(1), [20.3, 3, 'reading "3"', 'sensor 1', 'north,east']);
    assert.equal(connector.counters.failed, 0);
  } finally {
    await server.close();
  }
});
