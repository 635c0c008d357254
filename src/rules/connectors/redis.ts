// The Redis connector (ioredis): each output becomes one command from the `command` template
// (HSET ${clientid} temp ${payload.temp}, LPUSH, PUBLISH, XADD ...); a batch goes as one pipeline. An
// argument that is a single placeholder whose value is a list (map_to_redis_hset_args) is spread into
// several arguments. A command the server refuses fails that output only; a lost connection buffers.

import { Buffer } from 'node:buffer';

import { Redis } from 'ioredis';
import type { Logger } from '../../log.js';
import { bytesOf, type ValueMap } from '../sql/values.js';
import { parseTemplate, render, renderValue, type Template } from '../template.js';
import { BufferedConnector, WriteError, type DurableBuffer } from './buffered-connector.js';
import { bufferOptions, hostAndPort, type ConnectorSettings } from './config.js';
import { resolveSecrets } from './secrets.js';
import { toText } from '../sql/values.js';
import { DefinitionError } from '../definitions.js';

type Argument = string | Buffer;

export class RedisConnector extends BufferedConnector<Argument[]> {
  private readonly command: Template[];
  private readonly settings: { host: string; port: number; username: string | undefined; password: string | undefined; db: number };
  private client: Redis | undefined;

  constructor(name: string, settings: ConnectorSettings, logger: Logger, durable?: DurableBuffer<Argument[]>) {
    super(name, 'redis', bufferOptions(settings), logger, durable);
    const command = settings['command'] as string | string[];
    const words = Array.isArray(command) ? command : command.trim().split(/\s+/);
    if (words.length === 0 || words[0] === '') throw new DefinitionError('command', 'expected a Redis command, e.g. HSET ${clientid} temp ${payload.temp}');
    this.command = words.map((word) => parseTemplate(word));
    const { host, port } = hostAndPort(settings['server'] as string, 6379, 'server');
    this.settings = {
      host,
      port,
      username: typeof settings['username'] === 'string' ? resolveSecrets(settings['username'], 'username') : undefined,
      password: typeof settings['password'] === 'string' ? resolveSecrets(settings['password'], 'password') : undefined,
      db: typeof settings['database'] === 'number' ? settings['database'] : 0,
    };
  }

  protected render(output: ValueMap): Argument[] {
    const args: Argument[] = [];
    for (const template of this.command) {
      const value = template.single === undefined ? undefined : renderValue(template, output);
      if (Array.isArray(value)) {
        for (const item of value) args.push(typeof item === 'string' ? item : Buffer.isBuffer(item) ? item : bytesOf(toText(item)).toString('utf8'));
      } else args.push(render(template, output));
    }
    return args;
  }

  protected async connect(): Promise<void> {
    if (this.client?.status === 'ready') {
      await this.client.ping();
      return;
    }
    this.client?.disconnect();
    const client = new Redis({
      ...this.settings,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.options.requestTimeoutMs,
      // Reconnection is the health check's job, so a write never waits on a dead connection.
      retryStrategy: () => null,
    });
    client.on('error', (error) => this.logger.debug({ err: error }, 'redis connection error'));
    client.on('end', () => this.lostConnection());
    this.client = client;
    await client.connect();
    await client.ping();
  }

  protected async write(items: Argument[][]): Promise<Array<Error | undefined>> {
    const client = this.client;
    if (client === undefined || client.status !== 'ready') throw new WriteError('disconnected', 'redis: not connected');
    let results: Array<[Error | null, unknown]> | null;
    try {
      const pipeline = client.pipeline();
      // call(): any command by name, also ones ioredis has no method for.
      for (const [name, ...args] of items) void pipeline.call(String(name), ...args);
      results = await pipeline.exec();
    } catch (error) {
      throw new WriteError(client.status === 'ready' ? 'retry' : 'disconnected', `redis: ${(error as Error).message}`, { cause: error });
    }
    if (results === null) throw new WriteError('disconnected', 'redis: the pipeline was not run');
    if (client.status !== 'ready' && results.every(([error]) => error !== null)) throw new WriteError('disconnected', 'redis: connection lost');
    return results.map(([error]) => (error === null ? undefined : error));
  }

  protected async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    client?.disconnect();
  }
}
