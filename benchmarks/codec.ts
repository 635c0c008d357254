// Codec micro benchmark (not a test): encodes and decodes a stream of one million small PUBLISH
// packets and prints packets per second. Run: npx tsc -p . && node dist/benchmarks/codec.js

import { Decoder, DecodeError } from '../src/internal.js';
import { encode, encodePublishHeader } from '../src/internal.js';
import { ProtocolVersion, type PublishPacket } from '../src/internal.js';

const PACKETS = 1_000_000;
// Roughly what one socket read hands the decoder.
const CHUNK_SIZE = 64 * 1024;

function rate(label: string, count: number, startNs: bigint): void {
  const seconds = Number(process.hrtime.bigint() - startNs) / 1e9;
  console.log(`${label.padEnd(42)} ${Math.round(count / seconds).toLocaleString('en-US').padStart(12)} packets/s`);
}

function benchmark(version: ProtocolVersion, qos: 0 | 1): void {
  const payload = Buffer.from('{"temperature":21.5}');
  const packet: PublishPacket = { type: 'publish', topic: 'sensors/room-1/temperature', payload, qos, retain: false, dup: false, properties: {} };

  let start = process.hrtime.bigint();
  const encoded: Buffer[] = [];
  for (let index = 0; index < PACKETS; index++) {
    if (qos > 0) packet.packetId = (index % 65535) + 1;
    encoded.push(encode(packet, version));
  }
  rate(`encode      v${version} QoS ${qos}`, PACKETS, start);

  start = process.hrtime.bigint();
  let headerBytes = 0;
  for (let index = 0; index < PACKETS; index++) headerBytes += encodePublishHeader(packet, version).length;
  rate(`encodePublishHeader v${version} QoS ${qos}`, PACKETS, start);

  const stream = Buffer.concat(encoded);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < stream.length; offset += CHUNK_SIZE) chunks.push(stream.subarray(offset, offset + CHUNK_SIZE));

  start = process.hrtime.bigint();
  const decoder = new Decoder({ protocolVersion: version });
  let decoded = 0;
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let result = decoder.next(); result !== undefined; result = decoder.next()) {
      if (result instanceof DecodeError) throw new Error(result.message);
      decoded++;
    }
  }
  rate(`decode      v${version} QoS ${qos} (${CHUNK_SIZE / 1024} KiB chunks)`, decoded, start);
  if (decoded !== PACKETS || headerBytes === 0) throw new Error(`decoded ${decoded} of ${PACKETS}`);
}

for (const version of [ProtocolVersion.V311, ProtocolVersion.V5]) {
  benchmark(version, 0);
  benchmark(version, 1);
}
