import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { Decoder, DecodeError } from '../../../src/internal.js';
import { encode } from '../../../src/internal.js';
import { ProtocolVersion, type Packet } from '../../../src/internal.js';
import { samplePackets } from './fixtures.js';

const V5 = ProtocolVersion.V5;

function drain(decoder: Decoder, into: Packet[]): void {
  for (let result = decoder.next(); result !== undefined; result = decoder.next()) {
    if (result instanceof DecodeError) throw new Error(result.message);
    into.push(result);
  }
}

/** Feeds `bytes` cut at `cuts` (sorted offsets) and drains after every chunk. */
function decodeInChunks(bytes: Buffer, cuts: number[]): Packet[] {
  const decoder = new Decoder({ protocolVersion: V5 });
  const packets: Packet[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    decoder.push(bytes.subarray(start, cut));
    drain(decoder, packets);
    start = cut;
  }
  assert.equal(decoder.bufferedBytes, 0);
  return packets;
}

const packets = samplePackets(V5);
const stream = Buffer.concat(packets.map((packet) => encode(packet, V5)));

describe('framing', () => {
  test('many packets in one chunk all come out, in order', () => {
    assert.deepEqual(decodeInChunks(stream, []), packets);
  });

  test('a stream fed byte by byte yields the same packets', () => {
    const cuts = Array.from({ length: stream.length - 1 }, (_, index) => index + 1);
    assert.deepEqual(decodeInChunks(stream, cuts), packets);
  });

  test('a stream cut at random places yields the same packets', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        cuts.sort((a, b) => a - b);
        assert.deepEqual(decodeInChunks(stream, cuts), packets);
      }),
      { numRuns: 300 },
    );
  });

  test('chunks pushed before draining are decoded in order', () => {
    const decoder = new Decoder({ protocolVersion: V5 });
    const middle = Math.floor(stream.length / 2);
    decoder.push(stream.subarray(0, middle));
    decoder.push(stream.subarray(middle, middle + 1));
    decoder.push(stream.subarray(middle + 1));
    const out: Packet[] = [];
    drain(decoder, out);
    assert.deepEqual(out, packets);
  });

  test('bufferedBytes counts the bytes of an incomplete packet', () => {
    const decoder = new Decoder({ protocolVersion: V5 });
    const bytes = encode({ type: 'publish', topic: 't', payload: Buffer.alloc(10), qos: 0, retain: false, dup: false, properties: {} }, V5);
    decoder.push(bytes.subarray(0, 5));
    assert.equal(decoder.next(), undefined);
    assert.equal(decoder.bufferedBytes, 5);
    decoder.push(bytes.subarray(5));
    assert.equal((decoder.next() as Packet).type, 'publish');
    assert.equal(decoder.bufferedBytes, 0);
  });

  test('a payload is a slice of the input chunk, not a copy', () => {
    const input = Buffer.concat([stream]); // its own ArrayBuffer
    const decoder = new Decoder({ protocolVersion: V5 });
    decoder.push(input);
    const out: Packet[] = [];
    drain(decoder, out);
    const publishes = out.filter((packet) => packet.type === 'publish');
    assert.ok(publishes.length > 0);
    for (const packet of publishes) assert.equal(packet.payload.buffer, input.buffer);
  });

  test('binary properties and will payloads are slices of the input', () => {
    const input = Buffer.concat([stream]);
    const decoder = new Decoder({ protocolVersion: V5 });
    decoder.push(input);
    const connect = decoder.next() as Packet;
    assert.ok(connect.type === 'connect' && connect.will !== undefined && connect.password !== undefined);
    assert.equal(connect.will.payload.buffer, input.buffer);
    assert.equal(connect.password.buffer, input.buffer);
    assert.equal(connect.properties.authenticationData?.buffer, input.buffer);
  });

  test('a packet larger than the maximum is refused when its header arrives in pieces', () => {
    const decoder = new Decoder({ maximumPacketSize: 1000, protocolVersion: V5 });
    decoder.push(Buffer.from([0x30, 0x80]));
    assert.equal(decoder.next(), undefined);
    decoder.push(Buffer.from([0x80, 0x01])); // remaining length 16384
    const result = decoder.next();
    assert.ok(result instanceof DecodeError);
    assert.equal(result.reasonCode, 0x95);
  });
});
