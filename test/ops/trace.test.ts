// Packet traces over real MQTT.js clients: what the file holds for a traced client id (CONNECT,
// CONNACK, SUBSCRIBE, SUBACK, PUBLISH in and out, PUBACK both ways, with their fields), the size
// cap and the end time (each said in the file and the API), a topic trace that keeps only its
// topic's packets, an address trace, payload encodings and the JSON form, the chunked read and the
// zip download, refusals, and `starling ctl trace` over the admin socket.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startManagedBroker, type ManagedBroker } from '../helpers/management.js';
import { starling } from '../helpers/ctl.js';
import { waitFor } from '../helpers/wait.js';

async function connect(url: string, clientId: string, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, { clientId, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** The whole trace file through the chunked read (small chunks, so several requests). */
async function readTrace(server: ManagedBroker, token: string, name: string, chunk = 300): Promise<string> {
  let position = 0;
  let text = '';
  for (;;) {
    const answer = await server.call('GET', `/api/v5/trace/${name}/log?bytes=${chunk}&position=${position}`, { token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    if (answer.body.items === '') return text;
    text += answer.body.items;
    assert.ok(answer.body.meta.position > position);
    position = answer.body.meta.position;
  }
}

/** Waits until the trace file (as the API reads it) holds a line matching `pattern`. */
async function traceHas(server: ManagedBroker, token: string, name: string, pattern: RegExp): Promise<string> {
  let text = '';
  const deadline = Date.now() + 5000;
  while (!pattern.test(text)) {
    if (Date.now() > deadline) assert.fail(`trace ${name} has no line matching ${pattern}:\n${text}`);
    text = await readTrace(server, token, name);
  }
  return text;
}

test('trace - a client id trace holds CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH in and out and PUBACK both ways with their fields; other clients are not traced', async () => {
  const server = await startManagedBroker();
  const token = await server.adminToken();
  const clients: mqtt.MqttClient[] = [];
  try {
    const started = await server.call('POST', '/api/v5/trace', { token, body: { name: 'c1-trace', type: 'clientid', clientid: 'c1' } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.status, 'running');
    assert.equal(started.body.clientid, 'c1');
    assert.equal(started.body.payload_encode, 'text');

    const c1 = await connect(server.url, 'c1', { username: 'alice', password: 'secret-password' });
    clients.push(c1);
    const other = await connect(server.url, 'other');
    clients.push(other);
    await c1.subscribeAsync('t/1', { qos: 1 });
    await other.subscribeAsync('t/1', { qos: 1 });
    const received = new Promise<Buffer>((resolve) => c1.once('message', (_topic, payload) => resolve(payload)));
    await c1.publishAsync('t/1', 'hello trace', { qos: 1 });
    assert.equal((await received).toString(), 'hello trace');
    await other.publishAsync('t/1', 'from other', { qos: 1 });

    const text = await traceHas(server, token, 'c1-trace', /\[in\] c1@127\.0\.0\.1:\d+ PUBACK\(PacketId=\d+, ReasonCode=0\)[\s\S]*\[in\] c1@.* PUBACK/);
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^\S+Z \[trace\] trace c1-trace started: clientid c1$/);
    const packets = lines.slice(1).map((line) => /^(\S+) \[(in|out)\] (\S+)@(\S+) ([A-Z]+)\((.*)\)$/.exec(line));
    for (const [index, match] of packets.entries()) assert.ok(match !== null, `line ${index + 2} is not a packet line: ${lines[index + 1]}`);
    for (const match of packets) {
      assert.ok(!Number.isNaN(Date.parse(match![1]!)));
      assert.equal(match![3], 'c1');
    }
    const sequence = packets.map((match) => `${match![2]} ${match![5]}`);
    assert.deepEqual(sequence.slice(0, 4), ['in CONNECT', 'out CONNACK', 'in SUBSCRIBE', 'out SUBACK']);
    // Its own message in and out, the other client's message out to c1, and the acknowledgements both ways.
    for (const expected of ['in PUBLISH', 'out PUBACK', 'out PUBLISH', 'in PUBACK']) assert.ok(sequence.includes(expected), `${expected} in ${sequence.join(', ')}`);
    const fieldsOf = (direction: string, type: string) => packets.filter((match) => match![2] === direction && match![5] === type).map((match) => match![6]!);
    assert.match(fieldsOf('in', 'CONNECT')[0]!, /^ClientId=c1, ProtoName=MQTT, ProtoVer=5, CleanStart=1, KeepAlive=60, Username=alice, Password=\*\*\*\*\*\*/);
    assert.ok(!text.includes('secret-password'), 'the password is never written');
    assert.match(fieldsOf('out', 'CONNACK')[0]!, /^SessionPresent=0, ReasonCode=0, Properties=\{.*"receiveMaximum":32/);
    assert.match(fieldsOf('in', 'SUBSCRIBE')[0]!, /^PacketId=\d+, TopicFilters=\[\{"topic":"t\/1","qos":1,"nl":0,"rap":0,"rh":0\}\]/);
    assert.match(fieldsOf('out', 'SUBACK')[0]!, /^PacketId=\d+, ReasonCodes=\[1\]/);
    assert.match(fieldsOf('in', 'PUBLISH')[0]!, /^Q=1, R=0, D=0, Topic=t\/1, PacketId=\d+, Payload=hello trace$/);
    assert.deepEqual(
      fieldsOf('out', 'PUBLISH').map((fields) => fields.replace(/PacketId=\d+/, 'PacketId=N')),
      ['Q=1, R=0, D=0, Topic=t/1, PacketId=N, Payload=hello trace', 'Q=1, R=0, D=0, Topic=t/1, PacketId=N, Payload=from other'],
    );
    // The acknowledgement c1 got for its own PUBLISH carries that PUBLISH's packet id.
    const publishId = /PacketId=(\d+)/.exec(fieldsOf('in', 'PUBLISH')[0]!)![1];
    assert.ok(fieldsOf('out', 'PUBACK').includes(`PacketId=${publishId}, ReasonCode=0`));
    assert.ok(!/\] other@/.test(text), 'the other client is not traced');

    // The file on disk is what the API reads, and the listing counts its packet bytes.
    const list = await server.call('GET', '/api/v5/trace', { token });
    const [listed] = list.body;
    const file = readFileSync(join(server.dataDir, 'trace', 'c1-trace.log'), 'utf8');
    assert.equal(file, text);
    assert.equal(listed.log_size[server.broker.config.nodeName], Buffer.byteLength(text) - Buffer.byteLength(`${lines[0]}\n`));
  } finally {
    for (const client of clients) await client.endAsync();
    await server.close();
  }
});

test('trace - the size cap stops the trace, and the file and the API say so; the end time stops it too', async () => {
  const server = await startManagedBroker();
  const token = await server.adminToken();
  const client = await connect(server.url, 'capped');
  const timed = await connect(server.url, 'timed');
  try {
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body: { name: 'cap', type: 'clientid', clientid: 'capped', max_bytes: 1000 } })).status, 200);
    const endAt = new Date(Date.now() + 1500).toISOString();
    // EMQX takes epoch seconds too.
    const epoch = Math.floor(Date.now() / 1000) + 3600;
    const inSeconds = await server.call('POST', '/api/v5/trace', { token, body: { name: 'epoch', type: 'clientid', clientid: 'nobody', start_at: epoch - 3600, end_at: epoch } });
    assert.deepEqual([inSeconds.status, inSeconds.body.end_at], [200, new Date(epoch * 1000).toISOString()]);
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body: { name: 'timed', type: 'clientid', clientid: 'timed', end_at: endAt } })).status, 200);
    // Each PUBLISH and its PUBACK take about 200 bytes of lines: the cap is reached within ten.
    for (let index = 0; index < 10; index++) await client.publishAsync('cap/t', `message ${index} ${'x'.repeat(40)}`, { qos: 1 });
    await timed.publishAsync('timed/t', 'before the end', { qos: 1 });

    const cap = (await server.call('GET', '/api/v5/trace', { token })).body.find((trace: { name: string }) => trace.name === 'cap');
    assert.equal(cap.status, 'stopped');
    assert.equal(cap.stop_reason, 'max_bytes');
    assert.equal(cap.max_bytes, 1000);
    const packetBytes = cap.log_size[server.broker.config.nodeName];
    assert.ok(packetBytes <= 1000 && packetBytes > 700, `${packetBytes} bytes of packet lines`);
    const text = await readTrace(server, token, 'cap');
    const lines = text.trimEnd().split('\n');
    assert.match(lines.at(-1)!, /\[trace\] trace cap stopped: the file reached its size cap of 1000 bytes$/);
    assert.ok(lines.some((line) => line.includes('Payload=message 0 ')));
    assert.ok(!lines.some((line) => line.includes('Payload=message 9 ')), 'nothing after the cap');

    await waitFor(() => server.broker.tracing.get('timed').status === 'stopped', 'the timed trace to stop at its end time', 5000);
    await timed.publishAsync('timed/t', 'after the end', { qos: 1 });
    const timedTrace = (await server.call('GET', '/api/v5/trace', { token })).body.find((trace: { name: string }) => trace.name === 'timed');
    assert.equal(timedTrace.stop_reason, 'end_at');
    assert.equal(timedTrace.end_at, endAt);
    const timedText = await readTrace(server, token, 'timed');
    assert.ok(timedText.includes('Payload=before the end'));
    assert.ok(!timedText.includes('after the end'));
    assert.match(timedText.trimEnd().split('\n').at(-1)!, new RegExp(`trace timed stopped: its end time ${endAt.replaceAll('.', '\\.')} was reached$`));
  } finally {
    await client.endAsync();
    await timed.endAsync();
    await server.close();
  }
});

test('trace - a topic trace keeps only the PUBLISH, SUBSCRIBE and UNSUBSCRIBE packets of its topic, from every client; an address trace follows a client by its IP', async () => {
  const server = await startManagedBroker();
  const token = await server.adminToken();
  const clients: mqtt.MqttClient[] = [];
  try {
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body: { name: 'topic-a', type: 'topic', topic: 'a/#', formatter: 'json', payload_encode: 'hex' } })).status, 200);
    const [first, second] = [await connect(server.url, 'first'), await connect(server.url, 'second', { protocolVersion: 4 })];
    clients.push(first!, second!);
    await second!.subscribeAsync(['a/+', 'b/1'], { qos: 0 });
    await first!.publishAsync('a/1', 'to a', { qos: 1 });
    await first!.publishAsync('b/1', 'to b', { qos: 1 });
    await second!.publishAsync('a/2', Buffer.from([0, 1, 2, 255]), { qos: 0 });
    await second!.unsubscribeAsync('b/1');
    await second!.unsubscribeAsync('a/+');

    let lines: Array<Record<string, unknown>> = [];
    const deadline = Date.now() + 5000;
    while (!lines.some((line) => line['packet'] === 'UNSUBSCRIBE' && (line['topic_filters'] as string[])[0] === 'a/+')) {
      if (Date.now() > deadline) assert.fail(`no UNSUBSCRIBE a/+ in ${JSON.stringify(lines)}`);
      lines = (await readTrace(server, token, 'topic-a')).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    }
    const packets = lines.filter((line) => line['packet'] !== undefined);
    assert.deepEqual(
      packets.map((line) => `${line['clientid']} ${line['direction']} ${line['packet']} ${String(line['topic'] ?? JSON.stringify(line['topic_filters']))}`),
      [
        'second in SUBSCRIBE [{"topic":"a/+","qos":0,"nl":0,"rap":0,"rh":0},{"topic":"b/1","qos":0,"nl":0,"rap":0,"rh":0}]',
        'first in PUBLISH a/1',
        'second out PUBLISH a/1',
        'second in PUBLISH a/2',
        'second out PUBLISH a/2',
        'second in UNSUBSCRIBE ["a/+"]',
      ],
    );
    // payload_encode hex
    assert.equal(packets[1]!['payload'], Buffer.from('to a').toString('hex'));
    assert.equal(packets[3]!['payload'], '000102ff');
    assert.ok(!lines.some((line) => JSON.stringify(line).includes('b/1"') && line['packet'] === 'PUBLISH'));
    assert.ok(!lines.some((line) => ['CONNECT', 'PUBACK', 'PINGREQ', 'SUBACK'].includes(line['packet'] as string)));

    // An address trace, with the payload hidden: the client at 127.0.0.1 that connects next is followed.
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body: { name: 'by-ip', type: 'ip_address', ip_address: '127.0.0.1', payload_encode: 'hidden' } })).status, 200);
    const third = await connect(server.url, 'third');
    clients.push(third);
    await third.publishAsync('c/1', 'hidden payload', { qos: 1 });
    const text = await traceHas(server, token, 'by-ip', /\[out\] third@127\.0\.0\.1:\d+ PUBACK/);
    assert.match(text, /\[in\] third@127\.0\.0\.1:\d+ CONNECT\(ClientId=third/);
    assert.match(text, /\[in\] third@127\.0\.0\.1:\d+ PUBLISH\(Q=1, R=0, D=0, Topic=c\/1, PacketId=\d+, Payload=\*\*\*\*\*\*\)/);
    assert.ok(!text.includes('hidden payload'));
  } finally {
    for (const client of clients) await client.endAsync();
    await server.close();
  }
});

test('trace - stop, download (a zip holding the file, as EMQX), delete; refusals name the field', async () => {
  const server = await startManagedBroker();
  const token = await server.adminToken();
  const directory = await mkdtemp(join(tmpdir(), 'starling-trace-zip-'));
  const client = await connect(server.url, 'zipped');
  try {
    const body = { name: 'zip-me', type: 'clientid', clientid: 'zipped' };
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body })).status, 200);
    await client.publishAsync('z/1', 'zipped payload', { qos: 1 });
    await traceHas(server, token, 'zip-me', /\[out\] zipped@\S+ PUBACK/);
    const stop = await server.call('PUT', '/api/v5/trace/zip-me/stop', { token });
    assert.deepEqual([stop.status, stop.body], [200, { enable: false, name: 'zip-me' }]);
    await client.publishAsync('z/1', 'after the stop', { qos: 1 });

    const response = await fetch(`${server.api}/api/v5/trace/zip-me/download`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/x-zip');
    assert.equal(response.headers.get('content-disposition'), 'attachment; filename=zip-me.zip');
    const zip = join(directory, 'zip-me.zip');
    await writeFile(zip, Buffer.from(await response.arrayBuffer()));
    const unzipped = await new Promise<{ listing: string; content: string }>((resolve, reject) => {
      execFile('unzip', ['-l', zip], (listError, listing) => {
        if (listError !== null) return reject(listError);
        execFile('unzip', ['-p', zip], (error, content) => (error === null ? resolve({ listing, content }) : reject(error)));
      });
    });
    assert.match(unzipped.listing, new RegExp(`${server.broker.config.nodeName.replaceAll('.', '\\.')}-trace_zip-me\\.log`));
    assert.equal(unzipped.content, readFileSync(join(server.dataDir, 'trace', 'zip-me.log'), 'utf8'));
    assert.match(unzipped.content, /Payload=zipped payload/);
    assert.match(unzipped.content, /trace zip-me stopped on request\n$/);
    assert.ok(!unzipped.content.includes('after the stop'));

    const refused = async (request: object, status: number, code: string, message: RegExp): Promise<void> => {
      const answer = await server.call('POST', '/api/v5/trace', { token, body: request });
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.equal(answer.body.code, code);
      assert.match(answer.body.message, message);
    };
    await refused(body, 409, 'ALREADY_EXISTS', /^zip-me Already Exists$/);
    await refused({ name: 'bad name', type: 'clientid', clientid: 'x' }, 400, 'INVALID_PARAMS', /^name: /);
    await refused({ name: 'no-client', type: 'clientid' }, 400, 'INVALID_PARAMS', /^required clientid field$/);
    await refused({ name: 'bad-topic', type: 'topic', topic: 'a/#/b' }, 400, 'INVALID_PARAMS', /^topic: a\/#\/b is not a valid topic filter$/);
    await refused({ name: 'bad-ip', type: 'ip_address', ip_address: '10.0.0' }, 400, 'INVALID_PARAMS', /^ip_address: /);
    await refused({ name: 'past', type: 'clientid', clientid: 'x', end_at: '2001-01-01T00:00:00Z' }, 400, 'INVALID_PARAMS', /^end_at time has already passed$/);
    await refused({ name: 'small', type: 'clientid', clientid: 'x', max_bytes: 10 }, 400, 'BAD_REQUEST', /^body\.max_bytes: /);
    await refused({ name: 'extra', type: 'clientid', clientid: 'x', level: 'debug' }, 400, 'BAD_REQUEST', /unknown field "level"/);
    assert.equal((await server.call('POST', '/api/v5/trace', { token, body: { name: 'again', type: 'clientid', clientid: 'dup' } })).status, 200);
    await refused({ name: 'twice', type: 'clientid', clientid: 'dup' }, 409, 'DUPLICATE_CONDITION', /^again Duplication Condition$/);

    const deleted = await server.call('DELETE', '/api/v5/trace/zip-me', { token });
    assert.equal(deleted.status, 204);
    assert.throws(() => readFileSync(join(server.dataDir, 'trace', 'zip-me.log')), /ENOENT/);
    const missing = await server.call('DELETE', '/api/v5/trace/zip-me', { token });
    assert.deepEqual([missing.status, missing.body], [404, { code: 'NOT_FOUND', message: 'zip-me NOT FOUND' }]);
    assert.equal((await server.call('GET', '/api/v5/trace/zip-me/log', { token })).status, 404);
    assert.equal((await server.call('DELETE', '/api/v5/trace', { token })).status, 204);
    assert.deepEqual((await server.call('GET', '/api/v5/trace', { token })).body, []);
  } finally {
    await client.endAsync();
    await rm(directory, { recursive: true, force: true });
    await server.close();
  }
});

test('trace - starling ctl trace start, list (--json), log and stop over the admin socket; ctl trace and log level over the HTTP API with an API key', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'starling-trace-ctl-'));
  const socket = join(dataDir, 'admin.sock');
  const server = await startManagedBroker({ adminSocket: socket, dataDir });
  const ctl = (args: string[]) => starling(['ctl', ...args, '--socket', socket]);
  const client = await connect(server.url, 'from-ctl');
  try {
    const started = await ctl(['trace', 'start', 'ctl-trace', 'client', 'from-ctl', '120', '--payload-encode', 'text']);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^trace ctl-trace running: ctl-trace {2}clientid from-ctl {2}running {2}\S+ \.\. \S+ {2}0\/10485760 bytes\n$/);
    const trace = server.broker.tracing.get('ctl-trace');
    assert.equal(trace.definition.endAt - trace.definition.startAt, 120_000);
    await client.publishAsync('ctl/t', 'traced by ctl', { qos: 1 });
    await waitFor(() => trace.bytes > 0, 'a traced packet');

    const list = await ctl(['trace', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const [listed] = JSON.parse(list.stdout) as Array<{ name: string; status: string; clientid: string }>;
    assert.deepEqual([listed!.name, listed!.status, listed!.clientid], ['ctl-trace', 'running', 'from-ctl']);
    const log = await ctl(['trace', 'log', 'ctl-trace']);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /\[in\] from-ctl@127\.0\.0\.1:\d+ PUBLISH\(Q=1, R=0, D=0, Topic=ctl\/t, PacketId=\d+, Payload=traced by ctl\)/);
    assert.equal(log.stdout, readFileSync(join(dataDir, 'trace', 'ctl-trace.log'), 'utf8'));

    const stopped = await ctl(['trace', 'stop', 'ctl-trace']);
    assert.deepEqual([stopped.code, stopped.stdout], [0, 'trace ctl-trace stopped\n']);
    assert.match((await ctl(['trace', 'list'])).stdout, /^ctl-trace {2}clientid from-ctl {2}stopped \(request\) {2}/);
    const unknown = await ctl(['trace', 'stop', 'nope']);
    assert.deepEqual([unknown.code, unknown.stderr], [1, 'starling ctl: nope NOT FOUND\n']);
    const usage = await ctl(['trace', 'start', 'x', 'planet', 'mars']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown trace type "planet"/);

    // Through the HTTP API with an API key (--url), as from another machine: a viewer key lists, only an administrator's changes.
    const token = await server.adminToken();
    const keyOf = async (name: string, role: string): Promise<string> => {
      const made = await server.call('POST', '/api/v5/api_key', { token, body: { name, role } });
      return `${made.body.api_key as string}:${made.body.api_secret as string}`;
    };
    const overHttp = (args: string[], apiKey: string) => starling(['ctl', ...args, '--url', server.api, '--api-key', apiKey]);
    const viewer = await keyOf('viewer-key', 'viewer');
    assert.match((await overHttp(['trace', 'list'], viewer)).stdout, /^ctl-trace {2}clientid from-ctl {2}stopped/);
    // (The test broker's logger is silent, whatever its configuration says.)
    assert.deepEqual(await overHttp(['log', 'level'], viewer), { code: 0, stdout: `${server.broker.logger.level}\n`, stderr: '' });
    const refused = await overHttp(['log', 'level', 'debug'], viewer);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^starling ctl: /);
    const administrator = await keyOf('admin-key', 'administrator');
    assert.deepEqual(await overHttp(['log', 'level', 'debug'], administrator), { code: 0, stdout: 'log level: debug\n', stderr: '' });
    assert.equal(server.broker.logger.level, 'debug');
    assert.deepEqual(await overHttp(['trace', 'delete', 'ctl-trace'], administrator), { code: 0, stdout: 'trace ctl-trace deleted\n', stderr: '' });
  } finally {
    await client.endAsync();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
