// The benchmark's minimal decoder and encoder: frames split anywhere, checked against mqtt-packet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import {
  FrameDecoder,
  MalformedFrameError,
  publishPacketId,
  publishPayloadOffset,
  readConnack,
  readSubackCodes,
  type FrameSink,
} from '../../../src/loadgen/frame-decoder.js';
import { PAYLOAD_HEADER_SIZE, readPublisherId, readSentAt, readSequence, writePayloadHeader, writePublisherId } from '../../../src/loadgen/payload.js';
import { PacketType, encodeConnect, encodePublishTemplate, encodeSubscribe, writeAcknowledgement, type ProtocolVersion } from '../../../src/loadgen/wire.js';

interface Frame {
  type: number;
  flags: number;
  body: Buffer;
}

class RecordingSink implements FrameSink {
  readonly frames: Frame[] = [];
  onFrame(type: number, flags: number, buffer: Buffer, start: number, end: number): void {
    this.frames.push({ type, flags, body: Buffer.from(buffer.subarray(start, end)) });
  }
}

function parseWithMqttPacket(bytes: Buffer, protocolVersion: ProtocolVersion): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion });
  const packets: mqttPacket.Packet[] = [];
  parser.on('packet', (packet) => packets.push(packet));
  parser.on('error', (error) => {
    throw error;
  });
  parser.parse(bytes);
  return packets;
}

test('decoder - frames split at every byte boundary come out whole and in order', () => {
  const stream = Buffer.concat([
    mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
    mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(300, 7), qos: 1, messageId: 9, retain: false, dup: false }),
    mqttPacket.generate({ cmd: 'pingresp' }),
  ]);
  for (let split = 1; split < stream.length; split++) {
    const sink = new RecordingSink();
    const decoder = new FrameDecoder(sink);
    decoder.push(stream.subarray(0, split));
    decoder.push(stream.subarray(split));
    assert.deepEqual(sink.frames.map((frame) => frame.type), [PacketType.Connack, PacketType.Publish, PacketType.Pingresp]);
    assert.equal(sink.frames[1]!.body.length, 2 + 3 + 2 + 300);
    assert.equal(decoder.pendingBytes, 0);
  }
});

test('decoder - a remaining length of more than 4 bytes is malformed', () => {
  const decoder = new FrameDecoder(new RecordingSink());
  assert.throws(() => decoder.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), MalformedFrameError);
});

for (const protocolVersion of [4, 5] as const) {
  test(`decoder - PUBLISH from mqtt-packet: packet id and payload found (v${protocolVersion})`, () => {
    const payload = Buffer.alloc(40);
    writePayloadHeader(payload, 0, 1234.5, 77);
    writePublisherId(payload, 0, 3);
    const bytes = mqttPacket.generate(
      {
        cmd: 'publish', topic: 'bench/3', payload, qos: 2, messageId: 513, retain: false, dup: false,
        ...(protocolVersion === 5 ? { properties: { userProperties: { a: 'b' } } } : {}),
      },
      { protocolVersion },
    );
    const sink = new RecordingSink();
    new FrameDecoder(sink).push(bytes);
    const frame = sink.frames[0]!;
    const qos = (frame.flags >> 1) & 3;
    assert.equal(qos, 2);
    assert.equal(publishPacketId(frame.body, 0), 513);
    const offset = publishPayloadOffset(frame.body, 0, qos, protocolVersion);
    assert.equal(frame.body.length - offset, 40);
    assert.equal(readSentAt(frame.body, offset), 1234.5);
    assert.equal(readSequence(frame.body, offset), 77);
    assert.equal(readPublisherId(frame.body, offset), 3);
  });

  test(`encoder - CONNECT, SUBSCRIBE and PUBLISH parse with mqtt-packet (v${protocolVersion})`, () => {
    const [connect] = parseWithMqttPacket(
      encodeConnect({ clientId: 'bench-1', protocolVersion, keepAlive: 30, cleanStart: true, username: 'u', password: 'p' }),
      protocolVersion,
    );
    assert.equal(connect?.cmd, 'connect');
    if (connect?.cmd === 'connect') {
      assert.equal(connect.clientId, 'bench-1');
      assert.equal(connect.keepalive, 30);
      assert.equal(connect.username, 'u');
      assert.equal(connect.protocolVersion, protocolVersion);
    }
    const [subscribe] = parseWithMqttPacket(encodeSubscribe(1, 'bench/+', 1, protocolVersion), protocolVersion);
    assert.equal(subscribe?.cmd, 'subscribe');
    if (subscribe?.cmd === 'subscribe') assert.deepEqual([subscribe.subscriptions[0]?.topic, subscribe.subscriptions[0]?.qos], ['bench/+', 1]);
    const template = encodePublishTemplate('bench/7', 1, protocolVersion, Buffer.alloc(PAYLOAD_HEADER_SIZE));
    template.bytes.writeUInt16BE(42, template.packetIdOffset);
    const [publish] = parseWithMqttPacket(template.bytes, protocolVersion);
    assert.equal(publish?.cmd, 'publish');
    if (publish?.cmd === 'publish') {
      assert.equal(publish.topic, 'bench/7');
      assert.equal(publish.messageId, 42);
      assert.equal(publish.payload.length, PAYLOAD_HEADER_SIZE);
    }
  });
}

test('encoder - acknowledgements parse with mqtt-packet, PUBREL with flags 0010', () => {
  const bytes = Buffer.alloc(16);
  let offset = 0;
  for (const type of [PacketType.Puback, PacketType.Pubrec, PacketType.Pubrel, PacketType.Pubcomp]) {
    offset = writeAcknowledgement(bytes, offset, type, 300);
  }
  const packets = parseWithMqttPacket(bytes, 4);
  assert.deepEqual(packets.map((packet) => packet.cmd), ['puback', 'pubrec', 'pubrel', 'pubcomp']);
  assert.equal(bytes[8], 0x62);
});

test('decoder - v5 CONNACK Receive Maximum is read among other properties', () => {
  const bytes = mqttPacket.generate(
    { cmd: 'connack', reasonCode: 0, sessionPresent: true, properties: { assignedClientIdentifier: 'x', receiveMaximum: 20, userProperties: { k: 'v' } } } as mqttPacket.IConnackPacket,
    { protocolVersion: 5 },
  );
  const sink = new RecordingSink();
  new FrameDecoder(sink).push(bytes);
  const frame = sink.frames[0]!;
  const connack = readConnack(frame.body, 0, frame.body.length, 5);
  assert.deepEqual(connack, { sessionPresent: true, reasonCode: 0, receiveMaximum: 20 });
});

test('decoder - SUBACK codes for v3.1.1 and v5', () => {
  for (const protocolVersion of [4, 5] as const) {
    const bytes = mqttPacket.generate({ cmd: 'suback', messageId: 1, granted: [1, 0x80] }, { protocolVersion });
    const sink = new RecordingSink();
    new FrameDecoder(sink).push(bytes);
    const frame = sink.frames[0]!;
    assert.deepEqual(readSubackCodes(frame.body, 0, frame.body.length, protocolVersion), [1, 0x80]);
  }
});
