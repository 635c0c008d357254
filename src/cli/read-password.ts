// Reading a password for `starling ctl users` and `starling passwd`: from --password, from standard
// input (--password-stdin, or whenever stdin is not a terminal), or prompted twice without echo.

import { createInterface } from 'node:readline';
import { UsageError } from './args.js';

export async function readPassword(flags: Record<string, string | boolean>, command: string): Promise<string> {
  const given = flags['password'];
  if (given === true) throw new UsageError('--password needs a value', command);
  if (typeof given === 'string') {
    if (flags['password-stdin'] === true) throw new UsageError('use --password or --password-stdin, not both', command);
    return given;
  }
  if (flags['password-stdin'] === true || !process.stdin.isTTY) return readStdin();
  const first = await prompt('Password: ');
  const second = await prompt('Reenter password: ');
  if (first !== second) throw new PasswordMismatch();
  return first;
}

export class PasswordMismatch extends Error {
  constructor() {
    super('the passwords do not match');
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // The first line, without its line ending (so `echo secret | starling ...` works).
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text: string) => {
      if (text.startsWith(question)) process.stderr.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
