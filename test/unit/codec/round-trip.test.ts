import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Decoder, DecodeError } from '../../../src/internal.js';
import { encode, encodePublishHeader, encodedPublishLength } from '../../../src/internal.js';
import { ProtocolVersion, type PublishPacket } from '../../../src/internal.js';
import { VERSIONS, decodeAll, samplePackets } from './fixtures.js';

for (const version of VERSIONS) {
  describe(`codec round trip, protocol level ${version}`, () => {
    for (const packet of samplePackets(version)) {
      test(`${packet.type} decodes to the packet that was encoded`, () => {
        const bytes = encode(packet, version);
        assert.deepEqual(decodeAll(bytes, version), [packet]);
      });
    }

    test('a decoded CONNECT sets the decoder protocol version', () => {
      const decoder = new Decoder();
      decoder.push(encode(samplePackets(version)[0]!, version));
      const packet = decoder.next();
      assert.ok(packet !== undefined && !(packet instanceof DecodeError));
      assert.equal(decoder.protocolVersion, version);
    });
  });
}

describe('encoder details', () => {
  test('protocol level 3 writes the protocol name MQIsdp', () => {
    const [connect] = samplePackets(ProtocolVersion.V31);
    const bytes = encode(connect!, ProtocolVersion.V31);
    assert.equal(bytes.subarray(4, 10).toString(), 'MQIsdp');
    assert.equal(bytes[10], 3);
  });

  test('3.1.1 SUBACK maps MQTT 5 failure codes to 0x80', () => {
    const bytes = encode({ type: 'suback', packetId: 1, reasonCodes: [1, 0x87, 0x8f], properties: {} }, ProtocolVersion.V311);
    assert.deepEqual([...bytes], [0x90, 5, 0, 1, 1, 0x80, 0x80]);
  });

  test('3.1.1 acks, UNSUBACK and DISCONNECT leave out reason codes and properties', () => {
    const v = ProtocolVersion.V311;
    assert.deepEqual([...encode({ type: 'puback', packetId: 9, reasonCode: 0x10, properties: { reasonString: 'x' } }, v)], [0x40, 2, 0, 9]);
    assert.deepEqual([...encode({ type: 'unsuback', packetId: 9, reasonCodes: [0x11], properties: {} }, v)], [0xb0, 2, 0, 9]);
    assert.deepEqual([...encode({ type: 'disconnect', reasonCode: 0x8e, properties: {} }, v)], [0xe0, 0]);
  });

  test('MQTT 5 acks use the short forms when the reason code is Success and there are no properties', () => {
    const v = ProtocolVersion.V5;
    assert.deepEqual([...encode({ type: 'pubrel', packetId: 1, reasonCode: 0, properties: {} }, v)], [0x62, 2, 0, 1]);
    assert.deepEqual([...encode({ type: 'puback', packetId: 1, reasonCode: 0x10, properties: {} }, v)], [0x40, 3, 0, 1, 0x10]);
    assert.deepEqual([...encode({ type: 'disconnect', reasonCode: 0, properties: {} }, v)], [0xe0, 0]);
    assert.deepEqual([...encode({ type: 'auth', reasonCode: 0, properties: {} }, v)], [0xf0, 0]);
  });

  test('MQTT 5 short forms decode with reason code 0 and no properties', () => {
    assert.deepEqual(decodeAll(Buffer.from([0x40, 2, 0, 1, 0x50, 3, 0, 2, 0x10, 0xe0, 0, 0xe0, 1, 0x04, 0xf0, 0]), ProtocolVersion.V5), [
      { type: 'puback', packetId: 1, reasonCode: 0, properties: {} },
      { type: 'pubrec', packetId: 2, reasonCode: 0x10, properties: {} },
      { type: 'disconnect', reasonCode: 0, properties: {} },
      { type: 'disconnect', reasonCode: 4, properties: {} },
      { type: 'auth', reasonCode: 0, properties: {} },
    ]);
  });

  test('each subscription identifier is written as its own property', () => {
    const packet: PublishPacket = { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, properties: { subscriptionIdentifiers: [1, 2] } };
    assert.deepEqual([...encode(packet, ProtocolVersion.V5)], [0x30, 8, 0, 1, 0x74, 4, 0x0b, 1, 0x0b, 2]);
  });

  test('properties a packet may not carry are not written', () => {
    const packet: PublishPacket = { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, properties: { sessionExpiryInterval: 5 } };
    assert.deepEqual([...encode(packet, ProtocolVersion.V5)], [0x30, 4, 0, 1, 0x74, 0]);
  });

  for (const version of VERSIONS) {
    test(`encodePublishHeader plus the payload equals encode, level ${version}`, () => {
      for (const packet of samplePackets(version)) {
        if (packet.type !== 'publish') continue;
        const whole = encode(packet, version);
        const header = encodePublishHeader(packet, version);
        assert.deepEqual(Buffer.concat([header, packet.payload]), whole);
        assert.equal(encodedPublishLength(packet, version), whole.length);
      }
    });
  }

  test('a payload of 2 MB gets a 4-byte remaining length and round trips', () => {
    const packet: PublishPacket = { type: 'publish', topic: 'big', payload: Buffer.alloc(2_100_000, 1), qos: 0, retain: false, dup: false, properties: {} };
    const bytes = encode(packet, ProtocolVersion.V311);
    assert.equal(bytes[4]! & 0x80, 0);
    assert.deepEqual(decodeAll(bytes, ProtocolVersion.V311), [packet]);
  });

  test('AUTH cannot be encoded below MQTT 5', () => {
    assert.throws(() => encode({ type: 'auth', reasonCode: 0, properties: {} }, ProtocolVersion.V311), RangeError);
  });
});
