import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Decoder, DecodeError } from '../../../src/internal.js';
import { ProtocolVersion, ReasonCode, type Packet } from '../../../src/internal.js';
import { decodeOne } from './fixtures.js';

/** A frame with the given first byte and body (remaining length under 128). */
function frame(firstByte: number, ...body: Array<number | number[]>): number[] {
  const flat = body.flat();
  assert.ok(flat.length < 128);
  return [firstByte, flat.length, ...flat];
}

function str(value: string): number[] {
  const bytes = [...Buffer.from(value, 'utf8')];
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

function raw(...bytes: number[]): number[] {
  return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
}

/** CONNECT with the given protocol name, level, flags, then `rest` (properties for v5, payload). */
function connect(name: string, level: number, flags: number, ...rest: Array<number | number[]>): number[] {
  return frame(0x10, str(name), level, flags, 0, 60, ...rest);
}

function assertError(result: Packet | DecodeError | undefined, reasonCode: number, packetType?: string): void {
  assert.ok(result instanceof DecodeError, `expected a DecodeError, got ${JSON.stringify(result)}`);
  assert.equal(result.reasonCode, reasonCode, result.message);
  if (packetType !== undefined) assert.equal(result.packetType, packetType);
}

function assertPacket(result: Packet | DecodeError | undefined): Packet {
  assert.ok(result !== undefined && !(result instanceof DecodeError), `expected a packet, got ${JSON.stringify(result)}`);
  return result;
}

const V4 = ProtocolVersion.V311;
const V5 = ProtocolVersion.V5;
const { MalformedPacket, ProtocolError, TopicNameInvalid, UnsupportedProtocolVersion, PacketTooLarge, TopicAliasInvalid } = ReasonCode;

describe('fixed header', () => {
  test('packet type 0 is malformed', () => assertError(decodeOne([0x00, 0]), MalformedPacket));

  for (const [name, firstByte] of [
    ['CONNECT', 0x11], ['PUBACK', 0x42], ['PUBREL', 0x60], ['SUBSCRIBE', 0x80], ['UNSUBSCRIBE', 0xa3], ['PINGREQ', 0xc1], ['DISCONNECT', 0xe8],
  ] as const) {
    test(`${name} with wrong reserved flags is malformed [MQTT-2.1.3-1]`, () => assertError(decodeOne([firstByte, 0]), MalformedPacket));
  }

  test('PUBLISH with QoS 3 is malformed from its first byte [MQTT-3.3.1-4]', () => assertError(decodeOne([0x36]), MalformedPacket, 'publish'));

  test('DUP set on a QoS 0 PUBLISH is malformed [MQTT-3.3.1-2]', () => assertError(decodeOne(frame(0x38, str('t'))), MalformedPacket, 'publish'));

  test('a remaining length longer than 4 bytes is malformed', () => assertError(decodeOne([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), MalformedPacket));

  test('a packet larger than maximumPacketSize is refused from its header alone', () => {
    const decoder = new Decoder({ maximumPacketSize: 100, protocolVersion: V4 });
    decoder.push(Buffer.from([0x30, 0xe8, 0x07])); // remaining length 1000, nothing else received
    assertError(decoder.next(), PacketTooLarge, 'publish');
    assert.equal(decoder.bufferedBytes, 0);
  });

  test('a packet of exactly maximumPacketSize is accepted', () => {
    const decoder = new Decoder({ maximumPacketSize: 5, protocolVersion: V4 });
    decoder.push(Buffer.from(frame(0x30, str('t'))));
    assertPacket(decoder.next());
  });

  test('AUTH on a 3.1.1 connection is malformed', () => assertError(decodeOne([0xf0, 0], V4), MalformedPacket));

  test('after an error the decoder returns undefined forever', () => {
    const decoder = new Decoder({ protocolVersion: V4 });
    decoder.push(Buffer.from([0x00, 0, 0xc0, 0]));
    assertError(decoder.next(), MalformedPacket);
    decoder.push(Buffer.from([0xc0, 0]));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.next(), undefined);
  });
});

describe('strings [MQTT-1.5.4-1] [MQTT-1.5.4-2]', () => {
  test('ill-formed UTF-8 is malformed', () => assertError(decodeOne(frame(0x30, 0, 2, 0xc3, 0x28), V4), MalformedPacket, 'publish'));
  test('a UTF-8 encoded surrogate is malformed', () => assertError(decodeOne(frame(0x30, 0, 3, 0xed, 0xa0, 0x80), V4), MalformedPacket));
  test('U+0000 in an ASCII string is malformed', () => assertError(decodeOne(frame(0x30, 0, 2, 0x61, 0x00), V4), MalformedPacket));
  test('U+0000 in a non-ASCII string is malformed', () => assertError(decodeOne(frame(0x30, 0, 3, 0xc3, 0xa9, 0x00), V4), MalformedPacket));
  test('a leading BOM is kept, not skipped [MQTT-1.5.4-3]', () => {
    const packet = assertPacket(decodeOne(frame(0x30, str('\uFEFFa')), V4));
    assert.equal(packet.type === 'publish' && packet.topic, '\uFEFFa');
  });
  test('a string longer than its packet is malformed', () => assertError(decodeOne(frame(0x30, 0, 5, 0x61), V4), MalformedPacket));
  test('bytes left over after an ack are malformed', () => assertError(decodeOne(frame(0x40, 0, 1, 0), V4), MalformedPacket, 'puback'));
  test('bytes left over after PINGREQ are malformed', () => assertError(decodeOne(frame(0xc0, 0), V4), MalformedPacket, 'pingreq'));
  test('3.1.1 DISCONNECT with a body is malformed', () => assertError(decodeOne(frame(0xe0, 0), V4), MalformedPacket, 'disconnect'));
});

describe('CONNECT', () => {
  test('an unknown protocol level is UnsupportedProtocolVersion', () => assertError(decodeOne(connect('MQTT', 6, 2, str('c'))), UnsupportedProtocolVersion, 'connect'));
  test('MQIsdp with level 4 is UnsupportedProtocolVersion', () => assertError(decodeOne(connect('MQIsdp', 4, 2, str('c'))), UnsupportedProtocolVersion, 'connect'));
  test('MQTT with level 3 is UnsupportedProtocolVersion', () => assertError(decodeOne(connect('MQTT', 3, 2, str('c'))), UnsupportedProtocolVersion, 'connect'));
  test('an unknown protocol name is a protocol error', () => assertError(decodeOne(connect('MQTX', 4, 2, str('c'))), ProtocolError, 'connect'));
  test('MQIsdp level 3 is MQTT 3.1', () => {
    const packet = assertPacket(decodeOne(connect('MQIsdp', 3, 2, str('c'))));
    assert.equal(packet.type === 'connect' && packet.protocolVersion, 3);
  });
  test('the reserved connect flag set is malformed [MQTT-3.1.2-3]', () => assertError(decodeOne(connect('MQTT', 4, 0x03, str('c'))), MalformedPacket, 'connect'));
  test('will QoS without the will flag is malformed [MQTT-3.1.2-11]', () => assertError(decodeOne(connect('MQTT', 4, 0x0a, str('c'))), MalformedPacket));
  test('will retain without the will flag is malformed [MQTT-3.1.2-13]', () => assertError(decodeOne(connect('MQTT', 4, 0x22, str('c'))), MalformedPacket));
  test('will QoS 3 is malformed', () => assertError(decodeOne(connect('MQTT', 4, 0x1e, str('c'), str('w'), raw(1))), MalformedPacket));
  test('3.1.1 password without a user name is malformed [MQTT-3.1.2-22]', () => assertError(decodeOne(connect('MQTT', 4, 0x42, str('c'), raw(1))), MalformedPacket));
  test('3.1 password without a user name is malformed', () => assertError(decodeOne(connect('MQIsdp', 3, 0x42, str('c'), raw(1))), MalformedPacket));
  test('MQTT 5 password without a user name is accepted', () => {
    const packet = assertPacket(decodeOne(connect('MQTT', 5, 0x42, 0, str('c'), raw(1))));
    assert.deepEqual(packet.type === 'connect' && packet.password, Buffer.from([1]));
  });
  test('a will property in CONNECT properties is malformed', () => assertError(decodeOne(connect('MQTT', 5, 2, [5, 0x18, 0, 0, 0, 1], str('c'))), MalformedPacket, 'connect'));
  test('a CONNECT property in will properties is malformed', () =>
    assertError(decodeOne(connect('MQTT', 5, 0x06, 0, str('c'), [5, 0x11, 0, 0, 0, 1], str('w'), raw(1))), MalformedPacket));
  test('receive maximum 0 is a protocol error', () => assertError(decodeOne(connect('MQTT', 5, 2, [3, 0x21, 0, 0], str('c'))), ProtocolError));
  test('maximum packet size 0 is a protocol error', () => assertError(decodeOne(connect('MQTT', 5, 2, [5, 0x27, 0, 0, 0, 0], str('c'))), ProtocolError));
  test('request problem information 2 is a protocol error', () => assertError(decodeOne(connect('MQTT', 5, 2, [2, 0x17, 2], str('c'))), ProtocolError));
});

describe('packet identifiers [MQTT-2.2.1-3]', () => {
  test('PUBLISH QoS 1 with packet id 0 is refused', () => assertError(decodeOne(frame(0x32, str('t'), 0, 0), V4), ProtocolError, 'publish'));
  for (const [name, firstByte] of [['PUBACK', 0x40], ['PUBREC', 0x50], ['PUBREL', 0x62], ['PUBCOMP', 0x70]] as const) {
    test(`${name} with packet id 0 is refused`, () => assertError(decodeOne(frame(firstByte, 0, 0), V4), ProtocolError));
  }
  test('SUBSCRIBE with packet id 0 is refused', () => assertError(decodeOne(frame(0x82, 0, 0, str('a'), 0), V4), ProtocolError, 'subscribe'));
  test('UNSUBSCRIBE with packet id 0 is refused', () => assertError(decodeOne(frame(0xa2, 0, 0, str('a')), V4), ProtocolError, 'unsubscribe'));
});

describe('PUBLISH topic', () => {
  test('a wildcard in the topic name is TopicNameInvalid [MQTT-3.3.2-2]', () => assertError(decodeOne(frame(0x30, str('a/+')), V4), TopicNameInvalid, 'publish'));
  test('a # in the topic name is TopicNameInvalid', () => assertError(decodeOne(frame(0x30, str('a/#')), V4), TopicNameInvalid));
  test('an empty topic name in 3.1.1 is TopicNameInvalid [MQTT-4.7.3-1]', () => assertError(decodeOne(frame(0x30, str('')), V4), TopicNameInvalid));
  test('an empty topic name in MQTT 5 without a topic alias is TopicNameInvalid', () => assertError(decodeOne(frame(0x30, str(''), 0)), TopicNameInvalid));
  test('an empty topic name in MQTT 5 with a topic alias is left to the channel', () => {
    const packet = assertPacket(decodeOne(frame(0x30, str(''), [3, 0x23, 0, 7], 0x61)));
    assert.deepEqual(packet.type === 'publish' && [packet.topic, packet.properties.topicAlias, [...packet.payload]], ['', 7, [0x61]]);
  });
  test('topic alias 0 is TopicAliasInvalid [MQTT-3.3.2-8]', () => assertError(decodeOne(frame(0x30, str('t'), [3, 0x23, 0, 0])), TopicAliasInvalid));
});

describe('SUBSCRIBE and UNSUBSCRIBE', () => {
  test('SUBSCRIBE without filters is a protocol error [MQTT-3.8.3-3]', () => assertError(decodeOne(frame(0x82, 0, 1), V4), ProtocolError, 'subscribe'));
  test('MQTT 5 SUBSCRIBE without filters is a protocol error', () => assertError(decodeOne(frame(0x82, 0, 1, 0)), ProtocolError));
  test('3.1.1 subscription options with reserved bits set are malformed [MQTT-3.8.3-4]', () => assertError(decodeOne(frame(0x82, 0, 1, str('a'), 0x04), V4), MalformedPacket));
  test('MQTT 5 subscription options with reserved bits set are malformed', () => assertError(decodeOne(frame(0x82, 0, 1, 0, str('a'), 0x40)), MalformedPacket));
  test('subscription QoS 3 is malformed', () => assertError(decodeOne(frame(0x82, 0, 1, 0, str('a'), 0x03)), MalformedPacket));
  test('retain handling 3 is malformed', () => assertError(decodeOne(frame(0x82, 0, 1, 0, str('a'), 0x30)), MalformedPacket));
  test('invalid topic filters are kept for the broker to answer per filter', () => {
    const packet = assertPacket(decodeOne(frame(0x82, 0, 1, str('a/#/b'), 1), V4));
    assert.equal(packet.type === 'subscribe' && packet.subscriptions[0]?.topicFilter, 'a/#/b');
  });
  test('UNSUBSCRIBE without filters is a protocol error [MQTT-3.10.3-2]', () => assertError(decodeOne(frame(0xa2, 0, 1), V4), ProtocolError, 'unsubscribe'));
  test('a second subscription identifier in SUBSCRIBE is a protocol error', () => assertError(decodeOne(frame(0x82, 0, 1, [4, 0x0b, 1, 0x0b, 2], str('a'), 0)), ProtocolError));
});

describe('MQTT 5 properties', () => {
  const puback = (...properties: number[]): number[] => frame(0x40, 0, 1, 0, properties.length, properties);
  test('an unknown property identifier is malformed', () => assertError(decodeOne(puback(0x05, 1)), MalformedPacket, 'puback'));
  test('a property the packet may not carry is malformed (2.2.2.2)', () => assertError(decodeOne(puback(0x11, 0, 0, 0, 1)), MalformedPacket));
  test('a property present twice is a protocol error', () => assertError(decodeOne(puback(0x1f, ...str('a'), 0x1f, ...str('b'))), ProtocolError));
  test('a property length beyond the packet is malformed', () => assertError(decodeOne(frame(0x40, 0, 1, 0, 9, 0x1f, 0, 0)), MalformedPacket));
  test('a property value running past the property length is malformed', () => assertError(decodeOne(frame(0x40, 0, 1, 0, 2, 0x1f, 0, 0)), MalformedPacket));
  test('user properties may repeat and keep their order', () => {
    const packet = assertPacket(decodeOne(puback(0x26, ...str('k'), ...str('1'), 0x26, ...str('a'), ...str('2'), 0x26, ...str('k'), ...str('3'))));
    assert.deepEqual(packet.type === 'puback' && packet.properties.userProperties, [['k', '1'], ['a', '2'], ['k', '3']]);
  });
  test('PUBLISH may carry several subscription identifiers', () => {
    const packet = assertPacket(decodeOne(frame(0x30, str('t'), [4, 0x0b, 1, 0x0b, 2])));
    assert.deepEqual(packet.type === 'publish' && packet.properties.subscriptionIdentifiers, [1, 2]);
  });
  test('subscription identifier 0 is a protocol error', () => assertError(decodeOne(frame(0x30, str('t'), [2, 0x0b, 0])), ProtocolError));
  test('payload format indicator 2 is a protocol error', () => assertError(decodeOne(frame(0x30, str('t'), [2, 0x01, 2])), ProtocolError));
  test('maximum QoS 2 in CONNACK is a protocol error', () => assertError(decodeOne(frame(0x20, 0, 0, [2, 0x24, 2])), ProtocolError, 'connack'));
  test('retain available 5 in CONNACK is a protocol error', () => assertError(decodeOne(frame(0x20, 0, 0, [2, 0x25, 5])), ProtocolError));
  test('reserved CONNACK acknowledge flags are malformed [MQTT-3.2.2-1]', () => assertError(decodeOne(frame(0x20, 2, 0, 0)), MalformedPacket));
});
