// The InfluxDB 1.x connector: each output becomes one line of line protocol from the `write_syntax`
// template (measurement,tag=${t} field=${v},n=${n}i ${timestamp}), and a batch is one POST to
// /write?db=...&precision=... (the HTTP API Debian's influxdb 1.6 serves). Keys, tags and strings are
// escaped as line protocol requires. 204 is success; 4xx (a bad line) fails the batch's outputs;
// 5xx is retried; a refused connection buffers until /ping answers again.

import { Buffer } from 'node:buffer';

import { Pool } from 'undici';
import type { Logger } from '../../log.js';
import { jsonEncode, textOf, toJsString, type Value, type ValueMap } from '../sql/values.js';
import { parseTemplate, renderString, renderValue, type Template } from '../template.js';
import { BufferedConnector, WriteError, type DurableBuffer } from './buffered-connector.js';
import { bufferOptions, type ConnectorSettings } from './config.js';
import { resolveSecrets } from './secrets.js';
import { DefinitionError } from '../definitions.js';

interface FieldTemplate {
  key: Template;
  value: Template;
  /** `${x}i`: written as an integer. */
  integer: boolean;
  /** `"${x}"`: written as a string. */
  quoted: boolean;
}

interface LineTemplate {
  measurement: Template;
  tags: Array<[Template, Template]>;
  fields: FieldTemplate[];
  timestamp: Template | undefined;
}

/** Splits at `separator` outside ${...} and double quotes, honouring backslash escapes. */
function splitOutside(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let braces = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[++index]!;
      continue;
    }
    if (char === '$' && text[index + 1] === '{') braces++;
    else if (char === '}' && braces > 0) braces--;
    else if (char === '"') quoted = !quoted;
    if (char === separator && braces === 0 && !quoted) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
}

export function parseLineTemplate(source: string): LineTemplate {
  const sections = splitOutside(source.trim(), ' ').filter((part) => part !== '');
  if (sections.length < 2 || sections.length > 3) throw new DefinitionError('write_syntax', 'expected "measurement[,tag=value...] field=value[,field=value...] [timestamp]"');
  const [head, fieldText, timestampText] = sections as [string, string, string | undefined];
  const [measurement, ...tagTexts] = splitOutside(head, ',');
  const pair = (text: string, what: string): [string, string] => {
    const at = splitOutside(text, '=');
    if (at.length !== 2) throw new DefinitionError('write_syntax', `expected key=value in the ${what}, got ${JSON.stringify(text)}`);
    return [at[0]!, at[1]!];
  };
  return {
    measurement: parseTemplate(measurement!),
    tags: tagTexts.map((tag) => pair(tag, 'tags')).map(([key, value]) => [parseTemplate(key), parseTemplate(value)]),
    fields: splitOutside(fieldText, ',').map((field) => {
      const [key, raw] = pair(field, 'fields');
      const quoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2;
      const integer = !quoted && /\}i$/.test(raw);
      const value = quoted ? raw.slice(1, -1) : integer ? raw.slice(0, -1) : raw;
      return { key: parseTemplate(key), value: parseTemplate(value), integer, quoted };
    }),
    timestamp: timestampText === undefined ? undefined : parseTemplate(timestampText),
  };
}

const escapeName = (text: string): string => text.replace(/[,= \\]/g, (char) => `\\${char}`);
const escapeMeasurement = (text: string): string => text.replace(/[, \\]/g, (char) => `\\${char}`);
const escapeString = (text: string): string => `"${text.replace(/["\\]/g, (char) => `\\${char}`)}"`;

function fieldValue(field: FieldTemplate, output: ValueMap): string | undefined {
  if (field.quoted) return escapeString(renderString(field.value, output));
  const value: Value = renderValue(field.value, output);
  if (value === undefined || value === null) return undefined;
  if (field.integer) {
    const number = typeof value === 'number' ? value : Number(toJsString(value));
    return Number.isFinite(number) ? `${Math.trunc(number)}i` : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const text = textOf(value);
    // A template that is more than one placeholder, or a literal number, is written as it renders.
    if (field.value.single === undefined && /^-?\d+(\.\d+)?([eE][-+]?\d+)?i?$/.test(text)) return text;
    return escapeString(text);
  }
  return escapeString(jsonEncode(value));
}

export function renderLine(template: LineTemplate, output: ValueMap): string {
  let line = escapeMeasurement(renderString(template.measurement, output));
  for (const [key, value] of template.tags) {
    const text = renderString(value, output);
    if (text !== '' && text !== 'undefined') line += `,${escapeName(renderString(key, output))}=${escapeName(text)}`;
  }
  const fields: string[] = [];
  for (const field of template.fields) {
    const value = fieldValue(field, output);
    if (value !== undefined) fields.push(`${escapeName(renderString(field.key, output))}=${value}`);
  }
  if (fields.length === 0) throw new Error('no field has a value');
  line += ` ${fields.join(',')}`;
  if (template.timestamp !== undefined) {
    const timestamp = renderString(template.timestamp, output);
    if (!/^-?\d+$/.test(timestamp)) throw new Error(`the timestamp is not an integer: ${JSON.stringify(timestamp)}`);
    line += ` ${timestamp}`;
  }
  return line;
}

export class InfluxConnector extends BufferedConnector<string> {
  private readonly url: URL;
  private readonly template: LineTemplate;
  private readonly writePath: string;
  private readonly headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  private pool: Pool | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<string>) {
    super(name, 'influxdb', bufferOptions(settings), logger, durable);
    const server = settings['server'] as string;
    try {
      this.url = new URL(/^[a-z]+:\/\//.test(server) ? server : `http://${server}`);
    } catch {
      throw new DefinitionError('server', `not a URL or host:port: ${JSON.stringify(server)}`);
    }
    this.template = parseLineTemplate(settings['write_syntax'] as string);
    const query = new URLSearchParams({ db: settings['database'] as string, precision: settings['precision'] as string });
    this.writePath = `/write?${query.toString()}`;
    if (typeof settings['username'] === 'string') {
      const password = typeof settings['password'] === 'string' ? resolveSecrets(settings['password'], 'password') : '';
      this.headers['authorization'] = `Basic ${Buffer.from(`${resolveSecrets(settings['username'], 'username')}:${password}`).toString('base64')}`;
    }
  }

  protected render(output: ValueMap): string {
    return renderLine(this.template, output);
  }

  private connectionPool(): Pool {
    return (this.pool ??= new Pool(this.url.origin, { connections: this.options.inflight, headersTimeout: this.options.requestTimeoutMs, bodyTimeout: this.options.requestTimeoutMs }));
  }

  protected async connect(): Promise<void> {
    const response = await this.connectionPool().request({ path: '/ping', method: 'GET' }).catch(async (error: unknown) => {
      await this.disconnect();
      throw error;
    });
    await response.body.dump();
    if (response.statusCode !== 204 && response.statusCode !== 200) throw new Error(`/ping answered ${response.statusCode}`);
  }

  protected async write(lines: string[]): Promise<void> {
    let response;
    try {
      response = await this.connectionPool().request({ path: this.writePath, method: 'POST', headers: this.headers, body: lines.join('\n') });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new WriteError(code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' ? 'disconnected' : 'retry', `influxdb: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.body.text();
    if (response.statusCode === 204 || response.statusCode === 200) return;
    throw new WriteError(response.statusCode >= 500 ? 'retry' : 'fatal', `influxdb /write answered ${response.statusCode}: ${text.slice(0, 200)}`);
  }

  protected async disconnect(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
