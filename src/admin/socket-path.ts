// Where the admin socket is: `admin_socket` when set (false: no endpoint), else `<data_dir>/starling.sock`
// for a broker with a data directory. Shared by `starling start` and `starling ctl` so both agree.

import { join, resolve } from 'node:path';
import type { BrokerConfig } from '../config/types.js';

export const SOCKET_FILE = 'starling.sock';

/** sockaddr_un.sun_path holds 108 bytes on Linux, with the terminating NUL (104 on macOS). */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export function defaultSocketPath(dataDir: string): string {
  return join(resolve(dataDir), SOCKET_FILE);
}

/** The socket `starling start` listens on for this configuration, or undefined for none. */
export function configuredSocketPath(config: Pick<BrokerConfig, 'adminSocket' | 'dataDir' | 'durability'>): string | undefined {
  if (config.adminSocket === false) return undefined;
  if (config.adminSocket !== undefined) return resolve(config.adminSocket);
  return config.durability === 'memory' ? undefined : defaultSocketPath(config.dataDir);
}

/**
 * Why a path cannot be a Unix socket, or undefined. Node silently truncates a longer path when it
 * binds or connects, which would put the socket somewhere else.
 */
export function checkSocketPath(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  return bytes > MAX_SOCKET_PATH_BYTES ? `the path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} a Unix socket path may have` : undefined;
}
