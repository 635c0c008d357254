// Sample packets of every type, per protocol version, and small helpers shared by the codec tests.

import { ProtocolVersion, type Packet } from '../../../src/internal.js';
import { Decoder, DecodeError } from '../../../src/internal.js';

export const VERSIONS = [ProtocolVersion.V31, ProtocolVersion.V311, ProtocolVersion.V5] as const;

/** Packets that encode and decode back to themselves in `version`. */
export function samplePackets(version: ProtocolVersion): Packet[] {
  const isV5 = version === ProtocolVersion.V5;
  const v5 = <T>(value: T, otherwise: T): T => (isV5 ? value : otherwise);
  return [
    {
      type: 'connect',
      protocolName: version === ProtocolVersion.V31 ? 'MQIsdp' : 'MQTT',
      protocolVersion: version,
      clean: true,
      keepAlive: 60,
      clientId: 'client-é',
      username: 'user',
      password: Buffer.from([0, 1, 2]),
      will: {
        topic: 'last/will',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: true,
        properties: v5({ willDelayInterval: 30, payloadFormatIndicator: 1, contentType: 'text/plain', userProperties: [['k', 'v']] }, {}),
      },
      properties: v5(
        {
          sessionExpiryInterval: 3600,
          receiveMaximum: 20,
          maximumPacketSize: 1024,
          topicAliasMaximum: 10,
          requestResponseInformation: 1,
          requestProblemInformation: 0,
          authenticationMethod: 'SCRAM',
          authenticationData: Buffer.from('data'),
          userProperties: [['a', '1'], ['b', '2'], ['a', '3']],
        },
        {},
      ),
    },
    { type: 'connect', protocolName: version === ProtocolVersion.V31 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: false, keepAlive: 0, clientId: '', properties: {} },
    {
      type: 'connack',
      sessionPresent: true,
      reasonCode: 0,
      properties: v5(
        {
          sessionExpiryInterval: 10,
          assignedClientIdentifier: 'auto-1',
          serverKeepAlive: 30,
          maximumQoS: 1,
          retainAvailable: 0,
          wildcardSubscriptionAvailable: 1,
          subscriptionIdentifiersAvailable: 1,
          sharedSubscriptionAvailable: 0,
          responseInformation: 'resp',
          serverReference: 'other',
          reasonString: 'ok',
          receiveMaximum: 100,
          topicAliasMaximum: 5,
          maximumPacketSize: 65536,
        },
        {},
      ),
    },
    { type: 'connack', sessionPresent: false, reasonCode: v5(0x87, 5), properties: {} },
    { type: 'publish', topic: 'a/b/c', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false, properties: {} },
    {
      type: 'publish',
      topic: 'sensors/ünïcode',
      payload: Buffer.alloc(300, 7),
      qos: 1,
      retain: true,
      dup: true,
      packetId: 65535,
      properties: v5(
        {
          payloadFormatIndicator: 0,
          messageExpiryInterval: 120,
          topicAlias: 3,
          responseTopic: 'reply/here',
          correlationData: Buffer.from([9, 9]),
          userProperties: [['x', 'y']],
          subscriptionIdentifiers: [1, 268435455],
          contentType: 'application/json',
        },
        {},
      ),
    },
    { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId: 1, properties: {} },
    { type: 'puback', packetId: 1, reasonCode: 0, properties: {} },
    { type: 'puback', packetId: 2, reasonCode: v5(0x10, 0), properties: {} },
    { type: 'pubrec', packetId: 3, reasonCode: v5(0x80, 0), properties: v5({ reasonString: 'no', userProperties: [['r', 's']] }, {}) },
    { type: 'pubrel', packetId: 4, reasonCode: v5(0x92, 0), properties: {} },
    { type: 'pubcomp', packetId: 5, reasonCode: 0, properties: v5({ reasonString: 'done' }, {}) },
    {
      type: 'subscribe',
      packetId: 6,
      subscriptions: [
        { topicFilter: 'a/+/c', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: '$share/g/#', qos: 2, noLocal: isV5, retainAsPublished: isV5, retainHandling: v5(2, 0) },
        { topicFilter: 'x', qos: 1, noLocal: false, retainAsPublished: isV5, retainHandling: v5(1, 0) },
      ],
      properties: v5({ subscriptionIdentifiers: [42], userProperties: [['s', 't']] }, {}),
    },
    { type: 'suback', packetId: 6, reasonCodes: [0, 1, 2, 0x80], properties: v5({ reasonString: 'partly' }, {}) },
    { type: 'unsubscribe', packetId: 7, topicFilters: ['a/+/c', '#'], properties: v5({ userProperties: [['u', 'v']] }, {}) },
    { type: 'unsuback', packetId: 7, reasonCodes: v5([0, 0x11], []), properties: v5({ reasonString: 'r' }, {}) },
    { type: 'pingreq' },
    { type: 'pingresp' },
    { type: 'disconnect', reasonCode: 0, properties: {} },
    ...(isV5
      ? ([
          { type: 'disconnect', reasonCode: 0x04, properties: {} },
          { type: 'disconnect', reasonCode: 0x8e, properties: { sessionExpiryInterval: 0, reasonString: 'bye', serverReference: 's2' } },
          { type: 'auth', reasonCode: 0, properties: {} },
          { type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM', authenticationData: Buffer.from('x') } },
        ] satisfies Packet[])
      : []),
  ];
}

/** Decodes every packet in `bytes` (fed in one chunk); throws on a DecodeError. */
export function decodeAll(bytes: Buffer, version?: ProtocolVersion): Packet[] {
  const decoder = new Decoder(version === undefined ? {} : { protocolVersion: version });
  decoder.push(bytes);
  const packets: Packet[] = [];
  for (let result = decoder.next(); result !== undefined; result = decoder.next()) {
    if (result instanceof DecodeError) throw new Error(`decode error 0x${result.reasonCode.toString(16)}: ${result.message}`);
    packets.push(result);
  }
  return packets;
}

/** The first result for `bytes`: a packet, a DecodeError or undefined. */
export function decodeOne(bytes: Buffer | number[], version: ProtocolVersion = ProtocolVersion.V5): Packet | DecodeError | undefined {
  const decoder = new Decoder({ protocolVersion: version });
  decoder.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  return decoder.next();
}
