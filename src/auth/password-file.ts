// The passwords file: `username:hash` lines (hash from password-hash.ts), `#` comments and blank
// lines ignored, like mosquitto_passwd's format. Read and written by `starling passwd`, read by the
// password_file authenticator, which re-reads it when its modification time changes.

import { readFileSync, statSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isPasswordHash } from './password-hash.js';

export class PasswordFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PasswordFileError';
  }
}

/** username -> hash, in file order. */
export function parsePasswordFile(text: string, file: string): Map<string, string> {
  const entries = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const username = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !isPasswordHash(hash)) {
      throw new PasswordFileError(file, `${file}:${index + 1}: expected username:hash (a hash written by starling passwd)`);
    }
    entries.set(username, hash);
  }
  return entries;
}

export function formatPasswordFile(entries: ReadonlyMap<string, string>): string {
  return [...entries].map(([username, hash]) => `${username}:${hash}\n`).join('');
}

export async function readPasswordFile(file: string): Promise<Map<string, string>> {
  return parsePasswordFile(await readFile(file, 'utf8'), file);
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
export async function writePasswordFile(file: string, entries: ReadonlyMap<string, string>): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, formatPasswordFile(entries), { mode: 0o600 });
  await rename(temporary, file);
}

/** The file's entries, re-read when its modification time or size changes. */
export class PasswordFileCache {
  private entries = new Map<string, string>();
  private version = '';

  constructor(readonly file: string) {}

  /** Throws PasswordFileError when the file cannot be read or parsed (the last good content is kept for the next call). */
  get(username: string): string | undefined {
    this.refresh();
    return this.entries.get(username);
  }

  private refresh(): void {
    let version: string;
    try {
      const stats = statSync(this.file);
      version = `${stats.mtimeMs}:${stats.size}:${stats.ino}`;
    } catch (error) {
      throw new PasswordFileError(this.file, `cannot read the passwords file ${this.file}: ${(error as Error).message}`, { cause: error });
    }
    if (version === this.version) return;
    this.entries = parsePasswordFile(readFileSync(this.file, 'utf8'), this.file);
    this.version = version;
  }
}
