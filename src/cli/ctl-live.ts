// What the ctl commands about a running broker's state share: which flags they take, paging flags
// turned into the API's `page`/`limit`, and the line that says a list goes on past its page.

import { UsageError } from './args.js';

export type Flags = Record<string, string | boolean>;

/** Flags about which broker to reach (ctl-target.ts), accepted by every command. */
const TARGET_FLAGS = ['data-dir', 'config', 'socket', 'url', 'api-key', 'help'];

/** Refuses flags the command does not take (a typo'd filter must not silently list everything). */
export function onlyFlags(flags: Flags, allowed: readonly string[], command: string): void {
  for (const flag of Object.keys(flags)) {
    if (!TARGET_FLAGS.includes(flag) && !allowed.includes(flag)) throw new UsageError(`--${flag} is not an option of ${command}`, 'starling ctl');
  }
}

/** `page=..&limit=..` from --page and --limit (default: the first page of 1000). */
export function pageQuery(flags: Flags): string {
  const number = (name: string, fallback: number, maximum: number): number => {
    const value = flags[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !/^[1-9]\d*$/.test(value) || Number(value) > maximum) {
      throw new UsageError(`--${name} takes a whole number from 1 to ${maximum}, got "${String(value)}"`, 'starling ctl');
    }
    return Number(value);
  };
  return `page=${number('page', 1, Number.MAX_SAFE_INTEGER)}&limit=${number('limit', 1000, 10_000)}`;
}

/** A paged answer of the API. */
export interface PageAnswer<T> {
  data: T[];
  meta: { page: number; limit: number; count?: number; hasnext: boolean };
}

/** The lines of a page, and a last line when more pages follow. */
export function printPage<T>(answer: PageAnswer<T>, flags: Flags, line: (item: T) => string): string {
  if (flags['json'] === true) return `${JSON.stringify(answer.data)}\n`;
  const lines = answer.data.map((item) => `${line(item)}\n`).join('');
  const { page, limit, count, hasnext } = answer.meta;
  if (!hasnext) return lines;
  return `${lines}(page ${page} of ${count === undefined ? 'more' : Math.ceil(count / limit)}, ${limit} a page: --page ${page + 1} for the next)\n`;
}

export function checkArguments(args: readonly string[], count: number, usage: string): void {
  if (args.length !== count) throw new UsageError(usage, 'starling ctl');
}
