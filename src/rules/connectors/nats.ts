// The NATS connector (@nats-io/transport-node): each output is published to the subject its template
// renders (iot.${clientid}) with the payload template's text; a batch is confirmed by one flush (a
// round trip to the server), so success means the server has the messages. A closed connection
// marks it disconnected and buffers until it can connect again.

import { Buffer } from 'node:buffer';

import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../log.js';
import type { ValueMap } from '../sql/values.js';
import { parseTemplate, render, renderString, type Template } from '../template.js';
import { BufferedConnector, WriteError, type DurableBuffer } from './buffered-connector.js';
import { bufferOptions, type ConnectorSettings } from './config.js';
import { resolveSecrets } from './secrets.js';

interface NatsItem {
  subject: string;
  payload: string | Buffer;
}

const SUBJECT = /^[^\s*>]+$/;

export class NatsConnector extends BufferedConnector<NatsItem> {
  private readonly servers: string[];
  private readonly subject: Template;
  private readonly payload: Template;
  private readonly credentials: { user?: string; pass?: string; token?: string };
  private connection: NatsConnection | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<NatsItem>) {
    super(name, 'nats', bufferOptions(settings), logger, durable);
    const servers = settings['servers'] as string | string[];
    this.servers = (Array.isArray(servers) ? servers : servers.split(',')).map((server) => server.trim());
    this.subject = parseTemplate(settings['subject'] as string);
    this.payload = parseTemplate((settings['payload'] as string | undefined) || '${.}');
    this.credentials = {};
    if (typeof settings['username'] === 'string') this.credentials.user = resolveSecrets(settings['username'], 'username');
    if (typeof settings['password'] === 'string') this.credentials.pass = resolveSecrets(settings['password'], 'password');
    if (typeof settings['token'] === 'string') this.credentials.token = resolveSecrets(settings['token'], 'token');
  }

  protected render(output: ValueMap): NatsItem {
    const subject = renderString(this.subject, output);
    if (!SUBJECT.test(subject)) throw new Error(`not a subject to publish to: ${JSON.stringify(subject)}`);
    return { subject, payload: render(this.payload, output) };
  }

  protected async connect(): Promise<void> {
    const current = this.connection;
    if (current !== undefined && !current.isClosed()) {
      await current.flush();
      return;
    }
    const connection = await connect({ servers: this.servers, reconnect: false, timeout: this.options.requestTimeoutMs, name: `starling-connector-${this.name}`, ...this.credentials });
    this.connection = connection;
    void connection.closed().then(() => {
      if (this.connection === connection) this.lostConnection();
    });
  }

  protected async write(items: NatsItem[]): Promise<void> {
    const connection = this.connection;
    if (connection === undefined || connection.isClosed()) throw new WriteError('disconnected', 'nats: not connected');
    try {
      for (const item of items) connection.publish(item.subject, typeof item.payload === 'string' ? item.payload : new Uint8Array(item.payload));
      await connection.flush();
    } catch (error) {
      throw new WriteError(connection.isClosed() ? 'disconnected' : 'retry', `nats: ${(error as Error).message}`, { cause: error });
    }
  }

  protected async disconnect(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }
}
