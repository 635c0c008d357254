// Where `starling ctl` runs a command: on a broker's management listener (--url with an API key), on
// the running broker through its admin socket, or on the data directory itself when no broker
// listens there. All run the same management API request (src/api/); only a running broker applies
// a change to its connected clients at once.
//
//   --url URL / STARLING_API_URL            that management listener, with --api-key KEY:SECRET
//                                           (or STARLING_API_KEY); nothing else is tried
//   --socket PATH / STARLING_ADMIN_SOCKET   the broker, or "broker not reachable at PATH (...)"
//   otherwise                               the socket the config names (admin_socket), else
//                                           <data-dir>/starling.sock; when nothing listens there
//                                           (no file, or one a killed broker left), the data directory

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdminUnreachable, sendAdminRequest, sendHttpRequest, type AdminRequest, type AdminResponse } from '../admin/client.js';
import { defaultConfig } from '../config/defaults.js';
import { configuredSocketPath, defaultSocketPath } from '../admin/socket-path.js';
import { UserDatabase } from '../auth/users.js';
import { AdminDatabase } from '../admin/admins.js';
import { readConfigFile } from '../config/load.js';
import type { LmdbStore } from '../store/lmdb/lmdb-store.js';
import { DATA_FILE } from '../store/lmdb/layout.js';

/** One ctl invocation: the admin request, and how to print a successful answer's body. */
export interface CtlCommand {
  request: AdminRequest;
  print(body: unknown): string;
  /** For answers in parts (a trace file read in chunks): the request for the next part, or undefined when done. */
  next?(body: unknown): AdminRequest | undefined;
  /** What to print (on standard output, exit code 1) for a refusal this command describes itself; undefined: the usual error line. */
  refused?(status: number, body: unknown): string | undefined;
}

/** A ctl failure: printed as one `starling ctl: ...` line, exit code 1. */
export class CtlError extends Error {}

type Flags = Record<string, string | boolean>;

interface Target {
  /** The admin socket to try, and whether the user insisted on it. */
  socket?: { path: string; forced: boolean };
  /** The data directory to fall back on, or why there is none. */
  dataDir: string | CtlError;
}

export async function runCtlCommand(command: CtlCommand, flags: Flags, env: NodeJS.ProcessEnv = process.env): Promise<AdminResponse> {
  const url = typeof flags['url'] === 'string' ? flags['url'] : env['STARLING_API_URL'];
  if (url !== undefined && url !== '') return runOverHttp(url, command, flags, env);
  const target = findTarget(flags, env);
  if (target.socket !== undefined) {
    const { path, forced } = target.socket;
    try {
      return await sendAdminRequest(path, command.request);
    } catch (error) {
      if (!(error instanceof AdminUnreachable)) throw error;
      if (forced || !error.nobodyListening) throw new CtlError(`broker not reachable at ${path} (${error.reason})`);
    }
  }
  if (target.dataDir instanceof CtlError) throw target.dataDir;
  return withStore(target.dataDir, (store) => runOnStore(store, command.request));
}

async function runOverHttp(url: string, command: CtlCommand, flags: Flags, env: NodeJS.ProcessEnv): Promise<AdminResponse> {
  const apiKey = typeof flags['api-key'] === 'string' ? flags['api-key'] : env['STARLING_API_KEY'];
  if (apiKey === undefined || !apiKey.includes(':')) throw new CtlError('--url needs --api-key KEY:SECRET (or STARLING_API_KEY): make one with `starling ctl api_keys add NAME`');
  try {
    new URL(url);
  } catch {
    throw new CtlError(`--url: not a URL: ${url} (e.g. http://127.0.0.1:18083)`);
  }
  try {
    return await sendHttpRequest(url, apiKey, command.request);
  } catch (error) {
    if (error instanceof AdminUnreachable) throw new CtlError(`broker not reachable at ${url} (${error.reason})`);
    throw error;
  }
}

/** Runs the request in this process on a stopped broker's store, through the same API application. */
async function runOnStore(store: LmdbStore, request: AdminRequest): Promise<AdminResponse> {
  // Lazily: a command sent to a running broker needs none of the API's modules.
  const [{ createApiApp }, { createApiContext }, { createLogger }] = await Promise.all([import('../api/app.js'), import('../api/context.js'), import('../log.js')]);
  const defaults = defaultConfig();
  const context = createApiContext({
    logger: createLogger({ logLevel: 'warn', logPretty: false }, process.stderr),
    admin: { users: new UserDatabase(store), admins: new AdminDatabase(store.records, () => store.flushed()), records: store.records, actor: 'ctl' },
    flushed: () => store.flushed(),
    lockout: defaults.lockout,
    management: undefined,
  });
  const app = await createApiApp(context, { trusted: true });
  try {
    const response = await app.inject({ method: request.method, url: request.path, ...(request.body === undefined ? {} : { payload: request.body as object }) });
    return { status: response.statusCode, body: response.body === '' ? undefined : (JSON.parse(response.body) as unknown) };
  } finally {
    await app.close();
  }
}

function findTarget(flags: Flags, env: NodeJS.ProcessEnv): Target {
  const forcedPath = typeof flags['socket'] === 'string' ? flags['socket'] : env['STARLING_ADMIN_SOCKET'];
  const dataDirFlag = flags['data-dir'];
  const configFile = flags['config'];
  let target: Target;
  if (typeof dataDirFlag === 'string') {
    target = { socket: { path: defaultSocketPath(dataDirFlag), forced: false }, dataDir: resolve(dataDirFlag) };
  } else if (typeof configFile === 'string') {
    const config = readConfigFile(configFile);
    const dataDir = config.dataDir ?? './data';
    const durability = config.durability ?? 'sync';
    const path = configuredSocketPath({ adminSocket: config.adminSocket, dataDir, durability });
    target = {
      dataDir:
        durability === 'memory'
          ? new CtlError(`${configFile} sets durability: memory, so the broker keeps no users, rules or bans on disk; set admin_socket there to manage a running broker, or use the library (broker.users, broker.authorization.records)`)
          : resolve(dataDir),
    };
    if (path !== undefined) target.socket = { path, forced: false };
  } else {
    target = { socket: { path: defaultSocketPath('./data'), forced: false }, dataDir: resolve('./data') };
  }
  // `false` or empty (as for the broker's admin_socket): no socket, the data directory only.
  if (forcedPath === 'false' || forcedPath === '') delete target.socket;
  else if (forcedPath !== undefined) target.socket = { path: resolve(forcedPath), forced: true };
  return target;
}

async function withStore<T>(dataDir: string, body: (store: LmdbStore) => Promise<T>): Promise<T> {
  if (!existsSync(dataDir)) {
    throw new CtlError(`data directory ${dataDir} does not exist (start the broker once, or pass --data-dir / --config)`);
  }
  if (!existsSync(resolve(dataDir, DATA_FILE))) {
    throw new CtlError(`${dataDir} holds no Starling store (${DATA_FILE}); pass the broker's --data-dir or --config`);
  }
  const { LmdbStore } = await import('../store/lmdb/lmdb-store.js'); // lazily: the native module only when needed
  const store = new LmdbStore({ path: dataDir, durability: 'sync', batchIntervalMs: 10 });
  await store.openRecords();
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}
