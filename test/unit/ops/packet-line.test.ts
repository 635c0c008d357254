// Trace lines: EMQX's text form and the JSON form, with passwords and authentication data never
// written, payloads per payload_encode, and one line per packet whatever the payload holds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, formatPacketLine, type Packet } from '../../../src/internal.js';

const at = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const text = { direction: 'in' as const, clientId: 'c1', peer: '127.0.0.1:5000', payloadEncode: 'text' as const, formatter: 'text' as const };

test('packet line - text form of CONNECT (password masked), PUBLISH (line breaks escaped), SUBACK, a malformed packet', () => {
  const connect: Packet = { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepAlive: 30, clientId: 'c1', username: 'u', password: Buffer.from('pw'), properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('secret') } };
  assert.equal(
    formatPacketLine(connect, text, at),
    '2025-01-02T03:04:05.678Z [in] c1@127.0.0.1:5000 CONNECT(ClientId=c1, ProtoName=MQTT, ProtoVer=5, CleanStart=1, KeepAlive=30, Username=u, Password=******, Properties={"authenticationMethod":"SCRAM-SHA-256","authenticationData":"******"})\n',
  );
  const publish: Packet = { type: 'publish', topic: 'a/b', payload: Buffer.from('one\ntwo'), qos: 0, retain: true, dup: false, properties: {} };
  assert.equal(formatPacketLine(publish, { ...text, direction: 'out' }, at), '2025-01-02T03:04:05.678Z [out] c1@127.0.0.1:5000 PUBLISH(Q=0, R=1, D=0, Topic=a/b, Payload=one\\ntwo)\n');
  assert.equal(formatPacketLine({ type: 'suback', packetId: 7, reasonCodes: [1, 0x87], properties: {} }, text, at), '2025-01-02T03:04:05.678Z [in] c1@127.0.0.1:5000 SUBACK(PacketId=7, ReasonCodes=[1,135])\n');
  assert.equal(formatPacketLine(new DecodeError(0x95, 'packet too large'), text, at), '2025-01-02T03:04:05.678Z [in] c1@127.0.0.1:5000 MALFORMED(ReasonCode=149, Reason=packet too large)\n');
});

test('packet line - JSON form, payloads in hex or hidden, a topic resolved from an alias', () => {
  const publish: Packet = { type: 'publish', topic: '', payload: Buffer.from([0xde, 0xad]), qos: 1, packetId: 3, retain: false, dup: true, properties: { topicAlias: 2 } };
  const line = formatPacketLine(publish, { ...text, formatter: 'json', payloadEncode: 'hex', topic: 'resolved/topic' }, at);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(line), {
    time: '2025-01-02T03:04:05.678Z', direction: 'in', clientid: 'c1', peername: '127.0.0.1:5000', packet: 'PUBLISH',
    qos: 1, retain: false, dup: true, topic: 'resolved/topic', packet_id: 3, payload: 'dead', properties: { topicAlias: 2 },
  });
  assert.equal(JSON.parse(formatPacketLine(publish, { ...text, formatter: 'json', payloadEncode: 'hidden' }, at)).payload, '******');
});
