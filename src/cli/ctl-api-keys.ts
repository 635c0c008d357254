// `starling ctl api_keys add|list|del|enable|disable`: API keys for scripts and Prometheus (basic auth
// `key:secret` on the management listeners). Works on a running broker and on a stopped one's data
// directory, like ctl admins; the secret is printed once, by add.

import { UsageError } from './args.js';
import type { CtlCommand } from './ctl-target.js';

const COMMAND = 'starling ctl api_keys';

export const apiKeysUsage = `Usage: starling ctl api_keys <action> [options]

Manages the API keys of the management API (HTTP basic auth KEY:SECRET). Works while the broker runs
and while it is stopped.

Actions:
  add NAME          make a key; prints its key and secret (the secret is never shown again)
                    [--role administrator|viewer] [--description TEXT] [--expires RFC3339-DATE]
  list              list keys (no secrets)   [--json]
  del NAME          delete a key
  enable NAME       enable a key
  disable NAME      disable a key (requests with it get 401)
`;

type Flags = Record<string, string | boolean>;

/** A key as the API answers it. */
interface ApiKeyAnswer {
  name: string;
  api_key: string;
  api_secret?: string;
  enable: boolean;
  expired_at: string;
  expired: boolean;
  role: string;
  desc: string;
}

export function apiKeysCommand(action: string | undefined, args: string[], flags: Flags): CtlCommand {
  for (const flag of ['description', 'expires']) {
    if (flags[flag] !== undefined && action !== 'add') throw new UsageError(`--${flag} is only for add`, COMMAND);
  }
  if (flags['role'] !== undefined && action !== 'add') throw new UsageError('--role is only for add', COMMAND);
  const [name, ...extra] = args;
  if (action === 'list') {
    if (name !== undefined) throw new UsageError('list takes no NAME', COMMAND);
    return {
      request: { method: 'GET', path: '/api/v5/api_key' },
      print: (keys) => (flags['json'] === true ? `${JSON.stringify(keys)}\n` : (keys as ApiKeyAnswer[]).map(describeKey).join('')),
    };
  }
  if (name === undefined || extra.length > 0) throw new UsageError(`${action ?? 'an action'} takes exactly one NAME`, COMMAND);
  const path = `/api/v5/api_key/${encodeURIComponent(name)}`;
  switch (action) {
    case 'add': {
      const body: Record<string, unknown> = { name };
      for (const [flag, field] of [['role', 'role'], ['description', 'desc'], ['expires', 'expired_at']] as const) {
        if (flags[flag] === true) throw new UsageError(`--${flag} needs a value`, COMMAND);
        if (typeof flags[flag] === 'string') body[field] = flags[flag];
      }
      return {
        request: { method: 'POST', path: '/api/v5/api_key', body },
        print: (key) => `api_key: ${(key as ApiKeyAnswer).api_key}\napi_secret: ${(key as ApiKeyAnswer).api_secret ?? ''}\n`,
      };
    }
    case 'del':
      return { request: { method: 'DELETE', path }, print: () => 'ok\n' };
    case 'enable':
    case 'disable':
      return { request: { method: 'PUT', path, body: { enable: action === 'enable' } }, print: () => 'ok\n' };
    default:
      throw new UsageError(action === undefined ? 'missing action: add, list, del, enable or disable' : `unknown action "${action}" (expected: add, list, del, enable, disable)`, COMMAND);
  }
}

function describeKey(key: ApiKeyAnswer): string {
  const state = key.expired ? 'expired' : key.enable ? 'enabled' : 'disabled';
  const expiry = key.expired_at === 'infinity' ? '' : `  expires ${key.expired_at}`;
  return `${key.name}  ${key.api_key}  ${key.role}  ${state}${expiry}${key.desc === '' ? '' : `  ${key.desc}`}\n`;
}
