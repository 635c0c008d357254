// Command-line flag parsing for `starling` subcommands, and the UsageError they raise.
// Hand-rolled rather than node:util parseArgs because boolean settings take an optional value
// (`--log-pretty`, `--log-pretty false`, `--no-log-pretty`), which parseArgs cannot express.

import { didYouMean } from '../config/config-error.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The command whose --help explains the mistake. */
    readonly helpCommand = 'starling',
  ) {
    super(message);
  }
}

export interface FlagSpec {
  /** Flags that take a value, without the leading dashes. */
  readonly valued: Iterable<string>;
  /** Flags that are true when given alone and also accept an explicit `true`/`false`. */
  readonly boolean: Iterable<string>;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean>;
  positionals: string[];
}

const shortFlags: Readonly<Record<string, string>> = { '-h': 'help', '-v': 'version' };

export function parseFlags(args: readonly string[], spec: FlagSpec, command = 'starling'): ParsedArgs {
  const valued = new Set(spec.valued);
  const boolean = new Set(spec.boolean);
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];

  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    const short = shortFlags[arg];
    if (!arg.startsWith('--') && short === undefined) {
      if (arg.startsWith('-') && arg.length > 1) throw new UsageError(`unknown flag ${arg}`, command);
      positionals.push(arg);
      continue;
    }

    const equals = arg.indexOf('=');
    let name = short ?? (equals === -1 ? arg.slice(2) : arg.slice(2, equals));
    let value: string | boolean | undefined = equals === -1 || short !== undefined ? undefined : arg.slice(equals + 1);
    if (name.startsWith('no-') && boolean.has(name.slice(3)) && value === undefined) {
      name = name.slice(3);
      value = false;
    }

    if (boolean.has(name)) {
      const next = args[index + 1];
      if (value === undefined && (next === 'true' || next === 'false')) {
        value = next;
        index++;
      }
      flags[name] = value ?? true;
    } else if (valued.has(name)) {
      if (value === undefined) {
        value = args[index + 1];
        index++;
      }
      if (value === undefined) throw new UsageError(`--${name} needs a value`, command);
      flags[name] = value;
    } else {
      const known = [...valued, ...boolean].map((flag) => `--${flag}`);
      throw new UsageError(`unknown flag --${name}${didYouMean(`--${name}`, known)}`, command);
    }
  }
  return { flags, positionals };
}
