// The `starling` command: dispatches to a subcommand and turns usage errors into exit code 2.

import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { ctlCommand } from './ctl.js';
import { passwdCommand } from './passwd.js';
import { stopCommand } from './stop.js';

export const usage = `Usage: starling <command> [options]

Commands:
  start        run the broker (starling start --help for its options)
  stop         stop a running broker gracefully, through its admin socket (starling stop --help)
  bench        load-test a broker (starling bench --help)
  ctl          manage users, administrators, API keys, ACL rules, bans, rules and connectors: starling ctl users|admins|api_keys|acl|banned|rules|connectors ... (starling ctl --help)
  passwd       write a passwords file: starling passwd FILE USERNAME (starling passwd --help)

Options:
  -h, --help     show this help
  -v, --version  print the version
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(usage);
        return;
      case '-v':
      case '--version':
        process.stdout.write(`${version()}\n`);
        return;
      case 'start': {
        // Loaded on demand: `starling ctl` and `starling passwd` never load the broker (with its rule engine).
        const { startCommand } = await import('./start.js');
        await startCommand(rest);
        return;
      }
      case 'stop':
        await stopCommand(rest);
        return;
      case 'ctl':
        await ctlCommand(rest);
        return;
      case 'passwd':
        await passwdCommand(rest);
        return;
      case 'bench': {
        // Loaded on demand: `starling start` never pays for the load generator.
        const { benchCommand } = await import('../loadgen/cli.js');
        process.exitCode = await benchCommand(rest);
        return;
      }
      default:
        throw new UsageError(
          command.startsWith('-') ? `unknown option ${command}` : `unknown command "${command}"`,
        );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`starling: ${error.message}\nRun '${error.helpCommand} --help' for usage.\n`);
    process.exitCode = 2;
  }
}

function version(): string {
  // dist/src/cli/main.js -> package.json at the package root.
  const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return packageJson.version;
}
