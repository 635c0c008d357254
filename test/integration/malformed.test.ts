// Raw bytes that break the protocol, and the broker's answer to each, byte by byte: MQTT 5 gets a
// DISCONNECT (or a CONNACK before the session) with the spec's reason code, then the connection
// closes; MQTT 3.1.1 gets a closed connection. After every case another client is still served.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait.js';
import { RawClient, connectPacket, frame, hex, properties, publishPacket, splitFrames, stringField } from '../helpers/raw-client.js';

const MAX_PACKET_SIZE = 1024;

/** DISCONNECT with a reason code and no properties (the CONNECT asked for no problem information). */
function disconnect(reasonCode: number): Buffer {
  return Buffer.from([0xe0, 0x01, reasonCode]);
}

/** MQTT 5 CONNACK refusing the connection, without properties. */
function connackV5(reasonCode: number): Buffer {
  return Buffer.from([0x20, 0x03, 0x00, reasonCode, 0x00]);
}

const NOTHING = Buffer.alloc(0);

describe('malformed packets', () => {
  let server: TestBroker;
  const clients: RawClient[] = [];
  let sequence = 0;

  /** Error-level log lines: an exception inside the broker while handling bytes ('internal error'). */
  const brokerErrors: string[] = [];
  const logger = pino({ level: process.env.STARLING_TEST_LOG ?? 'error' }, {
    write(line: string) {
      if ((JSON.parse(line) as { level: number }).level >= 50) brokerErrors.push(line);
      else process.stdout.write(line);
    },
  });

  before(async () => {
    server = await startBroker({ maxPacketSize: MAX_PACKET_SIZE, logger });
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await server.close();
  });

  async function open(): Promise<RawClient> {
    const client = await RawClient.open(server.port);
    clients.push(client);
    return client;
  }

  /** A raw client past a successful CONNECT/CONNACK in the given protocol version. */
  async function connected(version: 4 | 5): Promise<RawClient> {
    const client = await open();
    const connack = await client.handshake(connectPacket({ clientId: `raw-${version}-${++sequence}`, level: version }));
    assert.equal(connack[3], 0x00, `CONNACK accepted, got ${hex(connack)}`);
    return client;
  }

  /** Sends `bytes`, then expects exactly `answer` and a closed connection. */
  async function expectAnswer(client: RawClient, bytes: Buffer | readonly number[], answer: Buffer): Promise<void> {
    client.write(bytes);
    const received = await client.closed(5000);
    assert.equal(hex(received), hex(answer));
  }

  /** The broker logged no internal error and keeps serving everyone else: a fresh MQTT.js client publishes and receives. */
  async function assertStillServing(): Promise<void> {
    assert.deepEqual(brokerErrors, [], 'errors the broker logged');
    const topic = `malformed/alive/${++sequence}`;
    const client = await mqtt.connectAsync(server.url, { clientId: `alive-${sequence}`, reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      await client.subscribeAsync(topic, { qos: 1 });
      const received = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
      await client.publishAsync(topic, 'still here', { qos: 1 });
      assert.equal(await received, 'still here');
    } finally {
      await client.endAsync();
    }
  }

  interface Case {
    name: string;
    /** Bytes sent after the CONNACK, per protocol version; a version left out does not apply. */
    v5?: Buffer;
    v4?: Buffer;
    /** Expected MQTT 5 DISCONNECT reason code. */
    reasonCode: number;
  }

  const cases: Case[] = [
    {
      name: 'a Remaining Length longer than four bytes is malformed [MQTT-1.5.5-1]',
      v5: Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      v4: Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      reasonCode: 0x81,
    },
    {
      name: 'SUBSCRIBE with fixed header flags 0 is malformed [MQTT-3.8.1-1]',
      v5: frame(0x80, [0x00, 0x01], properties(), stringField('a'), [0x00]),
      v4: frame(0x80, [0x00, 0x01], stringField('a'), [0x00]),
      reasonCode: 0x81,
    },
    {
      name: 'PUBREL with fixed header flags 0 is malformed [MQTT-3.6.1-1]',
      v5: Buffer.from([0x60, 0x02, 0x00, 0x01]),
      v4: Buffer.from([0x60, 0x02, 0x00, 0x01]),
      reasonCode: 0x81,
    },
    {
      name: 'a topic that is not well-formed UTF-8 is malformed [MQTT-1.5.4-1]',
      v5: publishPacket({ topic: Buffer.from([0x61, 0xc3, 0x28]), propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ topic: Buffer.from([0x61, 0xc3, 0x28]), payload: 'x' }),
      reasonCode: 0x81,
    },
    {
      name: 'a topic containing U+0000 is malformed [MQTT-1.5.4-2]',
      v5: publishPacket({ topic: Buffer.from([0x61, 0x00, 0x62]), propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ topic: Buffer.from([0x61, 0x00, 0x62]), payload: 'x' }),
      reasonCode: 0x81,
    },
    {
      name: "a PUBLISH topic with '+' is an invalid topic name [MQTT-3.3.2-2]",
      v5: publishPacket({ topic: 'a/+/c', propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ topic: 'a/+/c', payload: 'x' }),
      reasonCode: 0x90,
    },
    {
      name: "a PUBLISH topic with '#' is an invalid topic name [MQTT-3.3.2-2]",
      v5: publishPacket({ topic: 'a/#', propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ topic: 'a/#', payload: 'x' }),
      reasonCode: 0x90,
    },
    {
      name: 'a QoS 1 PUBLISH with packet identifier 0 is a protocol error [MQTT-2.2.1-3]',
      v5: publishPacket({ firstByte: 0x32, topic: 'a', packetId: 0, propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ firstByte: 0x32, topic: 'a', packetId: 0, payload: 'x' }),
      reasonCode: 0x82,
    },
    {
      name: 'a PUBLISH with QoS 3 is malformed [MQTT-3.3.1-4]',
      v5: publishPacket({ firstByte: 0x36, topic: 'a', packetId: 1, propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ firstByte: 0x36, topic: 'a', packetId: 1, payload: 'x' }),
      reasonCode: 0x81,
    },
    {
      name: 'a QoS 0 PUBLISH with DUP set is malformed [MQTT-3.3.1-2]',
      v5: publishPacket({ firstByte: 0x38, topic: 'a', propertyBytes: [], payload: 'x' }),
      v4: publishPacket({ firstByte: 0x38, topic: 'a', payload: 'x' }),
      reasonCode: 0x81,
    },
    {
      name: 'a Payload Format Indicator given twice is a protocol error (3.3.2.3.2)',
      v5: publishPacket({ topic: 'a', propertyBytes: [0x01, 0x00, 0x01, 0x00], payload: 'x' }),
      reasonCode: 0x82,
    },
    {
      name: 'a Session Expiry Interval in a PUBLISH is malformed (2.2.2.2)',
      v5: publishPacket({ topic: 'a', propertyBytes: [0x11, 0x00, 0x00, 0x00, 0x0a], payload: 'x' }),
      reasonCode: 0x81,
    },
    {
      name: `a packet over the broker's Maximum Packet Size (${MAX_PACKET_SIZE}) is too large (3.2.2.3.6)`,
      v5: publishPacket({ topic: 'a', propertyBytes: [], payload: Buffer.alloc(MAX_PACKET_SIZE, 0x61) }),
      v4: publishPacket({ topic: 'a', payload: Buffer.alloc(MAX_PACKET_SIZE, 0x61) }),
      reasonCode: 0x95,
    },
    {
      name: 'a second CONNECT is a protocol error [MQTT-3.1.0-2]',
      v5: connectPacket({ clientId: 'again', level: 5 }),
      v4: connectPacket({ clientId: 'again', level: 4 }),
      reasonCode: 0x82,
    },
  ];

  for (const testCase of cases) {
    if (testCase.v5 !== undefined) {
      const bytes = testCase.v5;
      const title = `malformed - ${testCase.name}: MQTT 5 gets DISCONNECT 0x${testCase.reasonCode.toString(16)} and is closed`;
      test(title, async () => {
        const client = await connected(5);
        await expectAnswer(client, bytes, disconnect(testCase.reasonCode));
        await assertStillServing();
      });
    }
    if (testCase.v4 !== undefined) {
      const bytes = testCase.v4;
      test(`malformed - ${testCase.name}: MQTT 3.1.1 is closed without an answer`, async () => {
        const client = await connected(4);
        await expectAnswer(client, bytes, NOTHING);
        await assertStillServing();
      });
    }
  }

  test('malformed - a reserved CONNECT flag set: MQTT 5 gets CONNACK 0x81 and is closed [MQTT-3.1.2-3]', async () => {
    const client = await open();
    await expectAnswer(client, connectPacket({ clientId: 'reserved-5', level: 5, flags: 0x03 }), connackV5(0x81));
    await assertStillServing();
  });

  test('malformed - a reserved CONNECT flag set: MQTT 3.1.1 is closed without a CONNACK [MQTT-3.1.2-3]', async () => {
    const client = await open();
    await expectAnswer(client, connectPacket({ clientId: 'reserved-4', level: 4, flags: 0x03 }), NOTHING);
    await assertStillServing();
  });

  test('malformed - an MQTT 5 CONNECT property unknown or not allowed in CONNECT gets CONNACK 0x81 and is closed (2.2.2.2)', async () => {
    const unknown = await open();
    await expectAnswer(unknown, connectPacket({ clientId: 'unknown-property', level: 5, propertyBytes: [0x7f, 0x00] }), connackV5(0x81));
    // Topic Alias (0x23) belongs to PUBLISH.
    const misplaced = await open();
    await expectAnswer(misplaced, connectPacket({ clientId: 'misplaced-property', level: 5, propertyBytes: [0x23, 0x00, 0x01] }), connackV5(0x81));
    await assertStillServing();
  });

  test('malformed - protocol level 6 gets an Unsupported Protocol Version CONNACK and is closed [MQTT-3.1.2-2]', async () => {
    const client = await open();
    client.write(connectPacket({ clientId: 'level-6', level: 6 }));
    const received = hex(await client.closed(5000));
    // 3.1.1 framing (return code 1) or MQTT 5 framing (0x84): the broker cannot know which the client reads.
    assert.ok(
      received === hex(Buffer.from([0x20, 0x02, 0x00, 0x01])) || received === hex(connackV5(0x84)),
      `expected CONNACK 'unacceptable protocol version', got ${received}`,
    );
    await assertStillServing();
  });

  test("malformed - protocol name 'MQIsdp' with level 4 gets return code 1 and is closed [MQTT-3.1.2-1]", async () => {
    const client = await open();
    await expectAnswer(client, connectPacket({ clientId: 'wrong-name', level: 4, protocolName: 'MQIsdp' }), Buffer.from([0x20, 0x02, 0x00, 0x01]));
    await assertStillServing();
  });

  test('malformed - a first packet that is not CONNECT closes the connection without an answer [MQTT-3.1.0-1]', async () => {
    const pingFirst = await open();
    await expectAnswer(pingFirst, [0xc0, 0x00], NOTHING);
    const publishFirst = await open();
    await expectAnswer(publishFirst, publishPacket({ topic: 'a', payload: 'x' }), NOTHING);
    await assertStillServing();
  });

  test('malformed - garbage bytes instead of CONNECT close the connection without an answer', async () => {
    const random = mulberry32(0x6a7ba6e);
    const garbage = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
    garbage[0] = 0x00; // reserved packet type 0 [MQTT-2.1.3-1]
    const client = await open();
    await expectAnswer(client, garbage, NOTHING);
    await assertStillServing();
  });

  test('malformed - 200 random byte strings after a valid CONNECT: each is answered or closed, the broker keeps serving', async () => {
    const random = mulberry32(0x5eed);
    const inputs = Array.from({ length: 200 }, () => {
      const length = 1 + Math.floor(random() * 48);
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      return bytes;
    });
    const failures: string[] = [];
    // All at once: inputs that leave a frame incomplete each wait out a 1.5 s keep-alive.
    const BATCH = 200;
    for (let start = 0; start < inputs.length; start += BATCH) {
      await Promise.all(
        inputs.slice(start, start + BATCH).map(async (bytes, offset) => {
          const index = start + offset;
          const version = index % 2 === 0 ? 5 : 4;
          const client = await open();
          // Keep-alive 1 s: bytes that leave a frame incomplete end in a keep-alive timeout (1.5 s).
          await client.handshake(connectPacket({ clientId: `fuzz-${index}`, level: version, keepAlive: 1 }));
          client.write(bytes);
          client.write([0xc0, 0x00]); // PINGREQ: a broker still reading this connection answers it
          const answered = (): boolean => client.isClosed || splitFrames(client.receivedBytes).frames.some((f) => f[0] === 0xd0);
          try {
            await waitFor(answered, 'an answer or a close', 4000);
          } catch {
            failures.push(`#${index} v${version} ${hex(bytes)} -> ${hex(client.receivedBytes)}`);
          } finally {
            client.destroy();
          }
        }),
      );
    }
    assert.deepEqual(failures, [], 'inputs the broker neither answered nor closed on');
    await waitFor(() => server.broker.registry.connectedCount === 0, 'every fuzz connection to be gone', 5000);
    await assertStillServing();
  });
  test('malformed - 300 mutated valid packets after CONNECT and SUBSCRIBE: answered or closed, never an internal error', async () => {
    const random = mulberry32(0xf022);
    const failures: string[] = [];
    const BATCH = 150;
    const COUNT = 300;
    for (let start = 0; start < COUNT; start += BATCH) {
      await Promise.all(
        Array.from({ length: Math.min(BATCH, COUNT - start) }, async (_, offset) => {
          const index = start + offset;
          const version = index % 3 === 0 ? 4 : 5;
          const templates = version === 5 ? TEMPLATES_V5 : TEMPLATES_V4;
          const template = templates[Math.floor(random() * templates.length)]!;
          const mutated = Buffer.from(template);
          const flips = 1 + Math.floor(random() * 3);
          for (let flip = 0; flip < flips; flip++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
          const client = await open();
          await client.handshake(connectPacket({ clientId: `mutant-${index}`, level: version, keepAlive: 1 }));
          // A subscription to everything the templates publish, so mutated PUBLISH packets are also delivered.
          client.write(version === 5 ? frame(0x82, [0x00, 0x01], properties(), stringField('fuzz/#'), [0x02]) : frame(0x82, [0x00, 0x01], stringField('fuzz/#'), [0x02]));
          client.write(mutated);
          client.write([0xc0, 0x00]);
          const answered = (): boolean => client.isClosed || splitFrames(client.receivedBytes).frames.some((f) => f[0] === 0xd0);
          try {
            await waitFor(answered, 'an answer or a close', 4000);
          } catch {
            failures.push(`#${index} v${version} ${hex(mutated)} -> ${hex(client.receivedBytes)}`);
          } finally {
            client.destroy();
          }
        }),
      );
    }
    assert.deepEqual(failures, [], 'inputs the broker neither answered nor closed on');
    await waitFor(() => server.broker.registry.connectedCount === 0, 'every mutant connection to be gone', 5000);
    await assertStillServing();
  });
});

/** Valid packets of many kinds and fields, for mutation. */
const TEMPLATES_V5: readonly Buffer[] = [
  publishPacket({
    firstByte: 0x33,
    topic: 'fuzz/a',
    packetId: 7,
    // Payload Format Indicator, Message Expiry, Content Type, Response Topic, Correlation Data, User Property, Topic Alias
    propertyBytes: [0x01, 0x01, 0x02, 0, 0, 0, 10, 0x03, 0, 4, 0x74, 0x65, 0x78, 0x74, 0x08, 0, 6, ...Buffer.from('fuzz/r'), 0x09, 0, 2, 1, 2,
      0x26, 0, 1, 0x6b, 0, 1, 0x76, 0x23, 0, 1],
    payload: 'payload',
  }),
  publishPacket({ firstByte: 0x34, topic: 'fuzz/b', packetId: 9, propertyBytes: [], payload: 'qos2' }),
  publishPacket({ firstByte: 0x30, topic: '', propertyBytes: [0x23, 0, 1], payload: 'alias only' }),
  frame(0x82, [0x00, 0x02], properties(0x0b, 0x05, 0x26, 0, 1, 0x6b, 0, 1, 0x76), stringField('fuzz/+/x'), [0x2e], stringField('$share/g/fuzz/#'), [0x01]),
  frame(0xa2, [0x00, 0x03], properties(0x26, 0, 1, 0x6b, 0, 1, 0x76), stringField('fuzz/#'), stringField('other')),
  Buffer.from([0x40, 0x04, 0x00, 0x05, 0x10, 0x00]),
  Buffer.from([0x50, 0x02, 0x00, 0x06]),
  Buffer.from([0x62, 0x04, 0x00, 0x09, 0x00, 0x00]),
  Buffer.from([0x70, 0x03, 0x00, 0x01, 0x92]),
  frame(0xe0, [0x04], properties(0x11, 0, 0, 0, 5, 0x1f, 0, 3, 0x62, 0x79, 0x65)),
  frame(0xf0, [0x19], properties(0x15, 0, 1, 0x78)),
];

const TEMPLATES_V4: readonly Buffer[] = [
  publishPacket({ firstByte: 0x33, topic: 'fuzz/a', packetId: 7, payload: 'payload' }),
  publishPacket({ firstByte: 0x34, topic: 'fuzz/b', packetId: 9, payload: 'qos2' }),
  frame(0x82, [0x00, 0x02], stringField('fuzz/+/x'), [0x01], stringField('fuzz/#'), [0x02]),
  frame(0xa2, [0x00, 0x03], stringField('fuzz/#')),
  Buffer.from([0x40, 0x02, 0x00, 0x05]),
  Buffer.from([0x62, 0x02, 0x00, 0x09]),
  Buffer.from([0xe0, 0x00]),
];

/** A small seeded PRNG, so a failing input can be reproduced from the test alone. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
