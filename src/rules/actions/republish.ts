// The `republish` action: publishes a message built from the rule's output through the broker itself
// (topic, QoS, retain, payload, user properties and MQTT properties from templates), with origin
// `rule:<id>`. Loops are cut as EMQX cuts them, and then some: a rule never republishes a message it
// republished itself, and a chain of republishes between rules stops after MAX_REPUBLISH_DEPTH hops.

import { Buffer } from 'node:buffer';

import { isValidTopicName } from '../../codec/validate.js';
import type { Properties, QoS, UserProperties } from '../../codec/types.js';
import { createMessage, type Message } from '../../core/message.js';
import type { Logger } from '../../log.js';
import type { RepublishArgs } from '../definitions.js';
import type { RuleMetrics } from '../metrics.js';
import { isBinary, isMap, toJsString, type Value, type ValueMap } from '../sql/values.js';
import { parseTemplate, render, renderString, renderValue, type Template } from '../template.js';
import type { ActionContext, RuleAction } from './action.js';

export const MAX_REPUBLISH_DEPTH = 16;
const ORIGINAL_USER_PROPERTIES = new Set(["${pub_props.'User-Property'}", "${.pub_props.'User-Property'}"]);

export interface RepublishTarget {
  /** Routes a message (the broker's own publish: no ACL, no client). */
  publish(message: Message): void;
  logger: Logger;
}

/** How many republishes led to each message the rule engine published (absent: none). */
const republishDepth = new WeakMap<Message, number>();

export class RepublishAction implements RuleAction {
  readonly name = 'republish';
  private readonly topic: Template;
  private readonly qos: Template | number;
  private readonly retain: Template | boolean;
  private readonly payload: Template;
  private readonly userProperties: 'original' | Template | undefined;
  private readonly properties: Array<[string, Template]>;

  constructor(
    args: RepublishArgs,
    private readonly target: RepublishTarget,
  ) {
    this.topic = parseTemplate(args.topic);
    this.qos = typeof args.qos === 'number' ? args.qos : parseTemplate(args.qos);
    this.retain = typeof args.retain === 'boolean' ? args.retain : parseTemplate(args.retain);
    this.payload = parseTemplate(args.payload === '' ? '${.}' : args.payload);
    this.userProperties = ORIGINAL_USER_PROPERTIES.has(args.userProperties) ? 'original' : args.userProperties.startsWith('${') ? parseTemplate(args.userProperties) : undefined;
    this.properties = Object.entries(args.mqttProperties).map(([name, template]) => [name, parseTemplate(template)]);
  }

  run(output: ValueMap, context: ActionContext, metrics: RuleMetrics): void {
    const origin = `rule:${context.ruleId}`;
    const depth = context.trigger === undefined ? 0 : (republishDepth.get(context.trigger) ?? 0);
    if (context.trigger?.origin === origin || depth >= MAX_REPUBLISH_DEPTH) {
      metrics.actionsDiscarded++;
      this.target.logger.warn({ rule: context.ruleId, topic: context.trigger?.topic, depth }, 'republish loop detected: message not republished');
      return;
    }
    const topic = renderString(this.topic, output);
    if (!isValidTopicName(topic)) {
      metrics.actionFailed(false);
      this.target.logger.warn({ rule: context.ruleId, topic }, 'republish: the rendered topic is not a valid topic name');
      return;
    }
    const properties: Properties = this.mqttProperties(output);
    const user = this.userPropertiesOf(output, context);
    if (user !== undefined && user.length > 0) properties.userProperties = user;
    const rendered = render(this.payload, output);
    const message = createMessage(
      { topic, payload: typeof rendered === 'string' ? Buffer.from(rendered) : rendered, qos: qosOf(this.qos, output), retain: retainOf(this.retain, output), properties },
      undefined,
      origin,
    );
    republishDepth.set(message, depth + 1);
    this.target.publish(message);
    metrics.actionSucceeded();
  }

  private mqttProperties(output: ValueMap): Properties {
    const properties: Properties = {};
    for (const [name, template] of this.properties) {
      const text = renderString(template, output);
      const integer = /^\d+$/.test(text) ? Number(text) : undefined;
      switch (name) {
        case 'Payload-Format-Indicator':
          if (integer !== undefined) properties.payloadFormatIndicator = integer;
          break;
        case 'Message-Expiry-Interval':
          if (integer !== undefined) properties.messageExpiryInterval = integer;
          break;
        case 'Content-Type':
          properties.contentType = text;
          break;
        case 'Response-Topic':
          if (isValidTopicName(text)) properties.responseTopic = text;
          break;
        case 'Correlation-Data':
          properties.correlationData = Buffer.from(text);
          break;
      }
    }
    return properties;
  }

  private userPropertiesOf(output: ValueMap, context: ActionContext): UserProperties | undefined {
    if (this.userProperties === undefined) return undefined;
    const value: Value = this.userProperties === 'original' ? originalUserProperties(context) : renderValue(this.userProperties, output);
    return toUserProperties(value);
  }
}

function originalUserProperties(context: ActionContext): Value {
  const properties = context.columns['pub_props'];
  return isMap(properties) ? properties['User-Property'] : undefined;
}

/** A map, or a list of [key, value] pairs or {key, value} maps, as MQTT user properties. */
function toUserProperties(value: Value): UserProperties | undefined {
  if (isMap(value)) return Object.keys(value).map((key) => [key, toJsString(value[key])]);
  if (Array.isArray(value)) {
    const pairs: UserProperties = [];
    for (const entry of value) {
      if (Array.isArray(entry) && entry.length === 2) pairs.push([toJsString(entry[0]), toJsString(entry[1])]);
      else if (isMap(entry) && entry['key'] !== undefined) pairs.push([toJsString(entry['key']), toJsString(entry['value'])]);
    }
    return pairs;
  }
  return undefined;
}

function qosOf(qos: Template | number, output: ValueMap): QoS {
  if (typeof qos === 'number') return qos as QoS;
  const value = renderValue(qos, output);
  const number = typeof value === 'number' ? value : isBinary(value) ? Number(toJsString(value)) : Number.NaN;
  return number === 1 || number === 2 ? number : 0;
}

function retainOf(retain: Template | boolean, output: ValueMap): boolean {
  if (typeof retain === 'boolean') return retain;
  const value = renderValue(retain, output);
  return value === true || value === 'true' || value === 1;
}

