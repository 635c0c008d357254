// The configuration as the management API shows it: keys spelled as in a config file (snake_case),
// authenticator types as a file names them, and every secret replaced by "******": passwords, key
// passphrases, JWT secrets, tokens, credentials (in any section, including those other modules add),
// HTTP header values, and the password part of a URL.

import { snakeName } from '../config/schema.js';

export const MASK = '******';

/** Key names (snake_case) whose values are secrets wherever they appear: `password`, `key_passphrase`, `secret`, `db_password`... (not `password_hash` or `token_ttl`). */
const SECRET_KEY = /(^|_)(password|passphrase|secret|token|credentials?|private_key|api_secret)$/i;
/** Objects whose values may each be a secret (HTTP headers carry bearer tokens and API keys). */
const MASKED_MAPS = new Set(['headers']);
/** Objects whose keys are data, not setting names: left as they are. */
const DATA_MAPS = MASKED_MAPS;

const fileTypeNames: Readonly<Record<string, string>> = { passwordFile: 'password_file' };

/** A deep copy of `config` in the file's spelling, secrets masked. */
export function shownConfig(config: object): Record<string, unknown> {
  return shown(config, undefined) as Record<string, unknown>;
}

/** One value of the configuration (a key's `from`/`to` in a reload answer), shown the same way. */
export function shownValue(key: string, value: unknown): unknown {
  return shown(value, snakeName(key));
}

function shown(value: unknown, key: string | undefined): unknown {
  if (value === undefined) return null;
  if (key !== undefined && SECRET_KEY.test(key) && value !== null && value !== '') return MASK;
  if (typeof value === 'string') return key === 'type' ? (fileTypeNames[value] ?? value) : maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => shown(item, undefined));
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value)) return MASK;
  const result: Record<string, unknown> = {};
  for (const [name, nested] of Object.entries(value)) {
    if (nested === undefined) continue;
    if (key !== undefined && DATA_MAPS.has(key)) {
      result[name] = MASKED_MAPS.has(key) ? MASK : shown(nested, undefined);
      continue;
    }
    const shownName = snakeName(name);
    result[shownName] = shown(nested, shownName);
  }
  return result;
}

/** `https://user:secret@host/path` -> `https://user:******@host/path`; other text unchanged. */
function maskUrlPassword(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = MASK;
    return url.toString();
  } catch {
    return text;
  }
}
