// Runs `starling ...` (bin/starling.js) as a child process, as an operator would, for the CLI tests.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/starling.js, from dist/test/helpers/ (compiled) */
const STARLING_BIN = fileURLToPath(new URL('../../../bin/starling.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command with `stdin` (default: empty) and the given extra environment. */
export function starling(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  // The test's own STARLING_* variables are not the command's business; the test passes what it means.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STARLING_'))), ...options.env };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [STARLING_BIN, ...args], { timeout: 20_000, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}
