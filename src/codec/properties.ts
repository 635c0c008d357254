// MQTT 5 properties (section 2.2.2), table driven: each identifier's wire type, the packets that
// may carry it and the value checks; one reader and one writer walk the table.

import { PropertyId, ReasonCode } from './constants.js';
import { DecodeError } from './decode-error.js';
import {
  binaryDataLength,
  malformed,
  protocolError,
  utf8StringLength,
  variableByteIntegerLength,
  type Reader,
  type Writer,
} from './primitives.js';
import type { Properties, UserProperties } from './types.js';

/** Where a property list sits; one bit each in a property's `allowedIn` mask. */
export const PropertyContext = {
  Connect: 1 << 0,
  Connack: 1 << 1,
  Publish: 1 << 2,
  Will: 1 << 3,
  Puback: 1 << 4,
  Pubrec: 1 << 5,
  Pubrel: 1 << 6,
  Pubcomp: 1 << 7,
  Subscribe: 1 << 8,
  Suback: 1 << 9,
  Unsubscribe: 1 << 10,
  Unsuback: 1 << 11,
  Disconnect: 1 << 12,
  Auth: 1 << 13,
} as const;
export type PropertyContext = (typeof PropertyContext)[keyof typeof PropertyContext];

const WireType = {
  Byte: 0,
  TwoByteInteger: 1,
  FourByteInteger: 2,
  VariableByteInteger: 3,
  Utf8String: 4,
  BinaryData: 5,
  Utf8StringPair: 6,
} as const;
type WireType = (typeof WireType)[keyof typeof WireType];

interface PropertyDefinition {
  readonly id: PropertyId;
  readonly key: keyof Properties;
  readonly wireType: WireType;
  readonly allowedIn: number;
  /** Only 0 or 1 is a valid value. */
  readonly isFlag?: boolean;
  /** 0 is a Protocol Error (or `zeroReasonCode`). */
  readonly nonZero?: boolean;
  readonly zeroReasonCode?: number;
}

const C = PropertyContext;
const PUBLISH_AND_WILL = C.Publish | C.Will;
const ACKS = C.Puback | C.Pubrec | C.Pubrel | C.Pubcomp;
const EVERY_PACKET = 0x3fff;

// Ordered by identifier: the writer emits properties in this order.
const DEFINITIONS: readonly PropertyDefinition[] = [
  { id: PropertyId.PayloadFormatIndicator, key: 'payloadFormatIndicator', wireType: WireType.Byte, allowedIn: PUBLISH_AND_WILL, isFlag: true },
  { id: PropertyId.MessageExpiryInterval, key: 'messageExpiryInterval', wireType: WireType.FourByteInteger, allowedIn: PUBLISH_AND_WILL },
  { id: PropertyId.ContentType, key: 'contentType', wireType: WireType.Utf8String, allowedIn: PUBLISH_AND_WILL },
  { id: PropertyId.ResponseTopic, key: 'responseTopic', wireType: WireType.Utf8String, allowedIn: PUBLISH_AND_WILL },
  { id: PropertyId.CorrelationData, key: 'correlationData', wireType: WireType.BinaryData, allowedIn: PUBLISH_AND_WILL },
  { id: PropertyId.SubscriptionIdentifier, key: 'subscriptionIdentifiers', wireType: WireType.VariableByteInteger, allowedIn: C.Publish | C.Subscribe, nonZero: true },
  { id: PropertyId.SessionExpiryInterval, key: 'sessionExpiryInterval', wireType: WireType.FourByteInteger, allowedIn: C.Connect | C.Connack | C.Disconnect },
  { id: PropertyId.AssignedClientIdentifier, key: 'assignedClientIdentifier', wireType: WireType.Utf8String, allowedIn: C.Connack },
  { id: PropertyId.ServerKeepAlive, key: 'serverKeepAlive', wireType: WireType.TwoByteInteger, allowedIn: C.Connack },
  { id: PropertyId.AuthenticationMethod, key: 'authenticationMethod', wireType: WireType.Utf8String, allowedIn: C.Connect | C.Connack | C.Auth },
  { id: PropertyId.AuthenticationData, key: 'authenticationData', wireType: WireType.BinaryData, allowedIn: C.Connect | C.Connack | C.Auth },
  { id: PropertyId.RequestProblemInformation, key: 'requestProblemInformation', wireType: WireType.Byte, allowedIn: C.Connect, isFlag: true },
  { id: PropertyId.WillDelayInterval, key: 'willDelayInterval', wireType: WireType.FourByteInteger, allowedIn: C.Will },
  { id: PropertyId.RequestResponseInformation, key: 'requestResponseInformation', wireType: WireType.Byte, allowedIn: C.Connect, isFlag: true },
  { id: PropertyId.ResponseInformation, key: 'responseInformation', wireType: WireType.Utf8String, allowedIn: C.Connack },
  { id: PropertyId.ServerReference, key: 'serverReference', wireType: WireType.Utf8String, allowedIn: C.Connack | C.Disconnect },
  { id: PropertyId.ReasonString, key: 'reasonString', wireType: WireType.Utf8String, allowedIn: C.Connack | ACKS | C.Suback | C.Unsuback | C.Disconnect | C.Auth },
  { id: PropertyId.ReceiveMaximum, key: 'receiveMaximum', wireType: WireType.TwoByteInteger, allowedIn: C.Connect | C.Connack, nonZero: true },
  { id: PropertyId.TopicAliasMaximum, key: 'topicAliasMaximum', wireType: WireType.TwoByteInteger, allowedIn: C.Connect | C.Connack },
  // [MQTT-3.3.2-8] a Topic Alias of 0 is not permitted.
  { id: PropertyId.TopicAlias, key: 'topicAlias', wireType: WireType.TwoByteInteger, allowedIn: C.Publish, nonZero: true, zeroReasonCode: ReasonCode.TopicAliasInvalid },
  { id: PropertyId.MaximumQoS, key: 'maximumQoS', wireType: WireType.Byte, allowedIn: C.Connack, isFlag: true },
  { id: PropertyId.RetainAvailable, key: 'retainAvailable', wireType: WireType.Byte, allowedIn: C.Connack, isFlag: true },
  { id: PropertyId.UserProperty, key: 'userProperties', wireType: WireType.Utf8StringPair, allowedIn: EVERY_PACKET },
  { id: PropertyId.MaximumPacketSize, key: 'maximumPacketSize', wireType: WireType.FourByteInteger, allowedIn: C.Connect | C.Connack, nonZero: true },
  { id: PropertyId.WildcardSubscriptionAvailable, key: 'wildcardSubscriptionAvailable', wireType: WireType.Byte, allowedIn: C.Connack, isFlag: true },
  { id: PropertyId.SubscriptionIdentifierAvailable, key: 'subscriptionIdentifiersAvailable', wireType: WireType.Byte, allowedIn: C.Connack, isFlag: true },
  { id: PropertyId.SharedSubscriptionAvailable, key: 'sharedSubscriptionAvailable', wireType: WireType.Byte, allowedIn: C.Connack, isFlag: true },
];

const BY_ID: Array<PropertyDefinition | undefined> = [];
for (const definition of DEFINITIONS) BY_ID[definition.id] = definition;

// Per context, only the definitions that context may carry, so the writer checks few keys.
const BY_CONTEXT = new Map<number, readonly PropertyDefinition[]>();
for (const context of Object.values(PropertyContext)) {
  BY_CONTEXT.set(context, DEFINITIONS.filter((definition) => (definition.allowedIn & context) !== 0));
}

type MutableProperties = Record<string, unknown>;

/** Reads a Property Length and the properties after it; the packet's reader must be positioned there. */
export function readProperties(reader: Reader, context: PropertyContext): Properties {
  const length = reader.readVariableByteInteger();
  const properties: MutableProperties = {};
  if (length === 0) return properties;
  const end = reader.position + length;
  if (end > reader.end) throw malformed('property length exceeds the packet');
  const packetEnd = reader.end;
  reader.end = end;
  while (reader.position < end) {
    const id = reader.readVariableByteInteger();
    const definition = BY_ID[id];
    if (definition === undefined) throw malformed(`unknown property identifier 0x${id.toString(16)}`);
    // 2.2.2.2: an identifier not valid for its packet type makes a Malformed Packet.
    if ((definition.allowedIn & context) === 0) throw malformed(`property ${definition.key} is not allowed in this packet`);
    const key = definition.key;
    const value = readValue(reader, definition.wireType);
    if (definition.nonZero === true && value === 0) {
      throw new DecodeError(definition.zeroReasonCode ?? ReasonCode.ProtocolError, `property ${key} is 0`);
    }
    if (definition.isFlag === true && value !== 0 && value !== 1) {
      throw protocolError(`property ${key} is ${String(value)}, expected 0 or 1`);
    }
    const existing = properties[key];
    if (definition.wireType === WireType.Utf8StringPair) {
      if (existing === undefined) properties[key] = [value];
      else (existing as UserProperties).push(value as [string, string]);
    } else if (definition.id === PropertyId.SubscriptionIdentifier) {
      if (existing === undefined) properties[key] = [value];
      else if (context === PropertyContext.Publish) (existing as number[]).push(value as number);
      else throw protocolError('subscription identifier present twice');
    } else if (existing !== undefined) {
      throw protocolError(`property ${key} present twice`);
    } else {
      properties[key] = value;
    }
  }
  reader.end = packetEnd;
  return properties;
}

function readValue(reader: Reader, wireType: WireType): unknown {
  switch (wireType) {
    case WireType.Byte:
      return reader.readByte();
    case WireType.TwoByteInteger:
      return reader.readTwoByteInteger();
    case WireType.FourByteInteger:
      return reader.readFourByteInteger();
    case WireType.VariableByteInteger:
      return reader.readVariableByteInteger();
    case WireType.Utf8String:
      return reader.readUtf8String();
    case WireType.BinaryData:
      return reader.readBinaryData();
    case WireType.Utf8StringPair:
      return [reader.readUtf8String(), reader.readUtf8String()];
  }
}

/**
 * Bytes of the property list's content (without the Property Length prefix). Properties the
 * context may not carry are ignored, here and in writeProperties.
 */
export function propertiesLength(properties: Properties, context: PropertyContext): number {
  const definitions = BY_CONTEXT.get(context)!;
  const values = properties as MutableProperties;
  let length = 0;
  for (let index = 0; index < definitions.length; index++) {
    const definition = definitions[index]!;
    const value = values[definition.key];
    if (value === undefined) continue;
    switch (definition.wireType) {
      case WireType.Byte:
        length += 2;
        break;
      case WireType.TwoByteInteger:
        length += 3;
        break;
      case WireType.FourByteInteger:
        length += 5;
        break;
      case WireType.VariableByteInteger:
        for (const identifier of value as number[]) length += 1 + variableByteIntegerLength(identifier);
        break;
      case WireType.Utf8String:
        length += 1 + utf8StringLength(value as string);
        break;
      case WireType.BinaryData:
        length += 1 + binaryDataLength(value as Buffer);
        break;
      case WireType.Utf8StringPair:
        for (const [name, pairValue] of value as UserProperties) {
          length += 1 + utf8StringLength(name) + utf8StringLength(pairValue);
        }
        break;
    }
  }
  return length;
}

/** Writes the Property Length (`length`, from propertiesLength) and the properties in identifier order. */
export function writeProperties(writer: Writer, properties: Properties, context: PropertyContext, length: number): void {
  writer.writeVariableByteInteger(length);
  if (length === 0) return;
  const definitions = BY_CONTEXT.get(context)!;
  const values = properties as MutableProperties;
  for (let index = 0; index < definitions.length; index++) {
    const definition = definitions[index]!;
    const value = values[definition.key];
    if (value === undefined) continue;
    switch (definition.wireType) {
      case WireType.Byte:
        writer.writeByte(definition.id);
        writer.writeByte(value as number);
        break;
      case WireType.TwoByteInteger:
        writer.writeByte(definition.id);
        writer.writeTwoByteInteger(value as number);
        break;
      case WireType.FourByteInteger:
        writer.writeByte(definition.id);
        writer.writeFourByteInteger(value as number);
        break;
      case WireType.VariableByteInteger:
        // One property per subscription identifier.
        for (const identifier of value as number[]) {
          writer.writeByte(definition.id);
          writer.writeVariableByteInteger(identifier);
        }
        break;
      case WireType.Utf8String:
        writer.writeByte(definition.id);
        writer.writeUtf8String(value as string);
        break;
      case WireType.BinaryData:
        writer.writeByte(definition.id);
        writer.writeBinaryData(value as Buffer);
        break;
      case WireType.Utf8StringPair:
        for (const [name, pairValue] of value as UserProperties) {
          writer.writeByte(definition.id);
          writer.writeUtf8String(name);
          writer.writeUtf8String(pairValue);
        }
        break;
    }
  }
}

/** A property list's bytes on the wire: the Property Length prefix plus the content. */
export function propertyListLength(contentLength: number): number {
  return variableByteIntegerLength(contentLength) + contentLength;
}
