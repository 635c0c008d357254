// The HTTP webhook connector (EMQX's http action): each output becomes a request (method, URL,
// headers, body from templates) over an undici pool of keep-alive connections. 2xx is success;
// 5xx, 408 and 429 are retried with backoff; other answers fail the output; a refused or broken
// connection marks the connector disconnected and buffers until the server answers again.
// With batch_size > 1 the rendered bodies of a batch go as one JSON array.

import { Buffer } from 'node:buffer';

import { Pool } from 'undici';
import type { Logger } from '../../log.js';
import { jsonDecode, type Value, type ValueMap } from '../sql/values.js';
import { parseTemplate, render, renderString, type Template } from '../template.js';
import { BufferedConnector, WriteError, type DurableBuffer } from './buffered-connector.js';
import { bufferOptions, hostAndPort, type ConnectorSettings } from './config.js';
import { probeTcp } from './probe.js';
import { resolveSecrets } from './secrets.js';
import { DefinitionError } from '../definitions.js';

export interface WebhookItem {
  body: string | Buffer;
  headers: Record<string, string>;
}

const DISCONNECTED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

export class WebhookConnector extends BufferedConnector<WebhookItem> {
  private readonly url: URL;
  private readonly method: string;
  private readonly body: Template;
  private readonly headers: Array<[string, Template]>;
  private pool: Pool | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<WebhookItem>) {
    super(name, 'webhook', bufferOptions(settings), logger, durable);
    const url = resolveSecrets(settings['url'] as string, 'url');
    try {
      this.url = new URL(url);
    } catch {
      throw new DefinitionError('url', `not a URL: ${JSON.stringify(url)}`);
    }
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new DefinitionError('url', 'expected an http:// or https:// URL');
    this.method = (settings['method'] as string).toUpperCase();
    this.body = parseTemplate((settings['body'] as string | undefined) || '${.}');
    const headers = (settings['headers'] as Record<string, string> | undefined) ?? {};
    this.headers = Object.entries(headers).map(([header, value]) => [header.toLowerCase(), parseTemplate(resolveSecrets(value, `headers.${header}`))]);
    if (!this.headers.some(([header]) => header === 'content-type')) this.headers.push(['content-type', parseTemplate('application/json')]);
  }

  protected render(output: ValueMap): WebhookItem {
    const headers: Record<string, string> = {};
    for (const [header, template] of this.headers) headers[header] = renderString(template, output);
    return { body: render(this.body, output), headers };
  }

  protected async connect(): Promise<void> {
    const { host, port } = hostAndPort(this.url.host, this.url.protocol === 'https:' ? 443 : 80, 'url');
    await probeTcp(host, port, this.options.requestTimeoutMs);
    this.pool ??= new Pool(this.url.origin, { connections: this.options.inflight, keepAliveTimeout: 30_000, headersTimeout: this.options.requestTimeoutMs, bodyTimeout: this.options.requestTimeoutMs });
  }

  protected async write(items: WebhookItem[]): Promise<void> {
    const pool = this.pool;
    if (pool === undefined) throw new WriteError('disconnected', 'not connected');
    const body = items.length === 1 ? items[0]!.body : `[${items.map((item) => asJson(item.body)).join(',')}]`;
    let response;
    try {
      response = await pool.request({ path: `${this.url.pathname}${this.url.search}`, method: this.method as 'POST', headers: items[0]!.headers, body: this.method === 'GET' ? undefined : body });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as { cause?: NodeJS.ErrnoException }).cause?.code;
      throw new WriteError(code !== undefined && DISCONNECTED_CODES.has(code) ? 'disconnected' : 'retry', `${this.method} ${this.url.href}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.body.text();
    const status = response.statusCode;
    if (status >= 200 && status < 300) return;
    const kind = status >= 500 || status === 408 || status === 429 ? 'retry' : 'fatal';
    throw new WriteError(kind, `${this.method} ${this.url.href} answered ${status}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
  }

  protected async disconnect(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}

/** A rendered body as an element of a JSON array: itself when it is JSON, else as a string. */
function asJson(body: string | Buffer): string {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    jsonDecode(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}


