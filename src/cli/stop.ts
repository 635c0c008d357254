// `starling stop`: asks a running broker, over its admin socket, to shut down as on SIGTERM (MQTT 5
// clients get DISCONNECT 0x8B, the store is flushed). Finds the broker as `starling ctl` does.

import { parseFlags, UsageError } from './args.js';
import { CtlError, runCtlCommand } from './ctl-target.js';

const COMMAND = 'starling stop';

const usage = `Usage: starling stop [--data-dir DIR | --config FILE | --socket PATH]

Stops the broker that runs on the data directory (its admin socket <data-dir>/starling.sock, or the
config's admin_socket), gracefully: MQTT 5 clients get DISCONNECT 0x8B and the store is flushed.
Exits 0 once the broker accepted the request, 1 when no broker runs there.
`;

export async function stopCommand(args: string[]): Promise<void> {
  const { flags, positionals } = parseFlags(args, { valued: ['data-dir', 'config', 'socket'], boolean: ['help'] }, COMMAND);
  if (flags['help'] === true) {
    process.stdout.write(usage);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, COMMAND);
  try {
    const response = await runCtlCommand({ request: { method: 'POST', path: '/api/v5/stop' }, print: () => '' }, flags);
    if (response.status >= 400) {
      const message = (response.body as { message?: unknown } | null)?.message;
      throw new CtlError(typeof message === 'string' ? message : `the broker refused (HTTP ${response.status})`);
    }
    process.stdout.write('stopping\n');
  } catch (error) {
    if (!(error instanceof CtlError)) throw error;
    process.stderr.write(`starling stop: ${error.message}\n`);
    process.exitCode = 1;
  }
}
