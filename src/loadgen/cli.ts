// `starling bench <scenario> [options]`: parses flags, runs the scenario with a live progress line on stderr,
// prints the summary (or JSON with --json). Also re-exports runScenario for benchmarks/run.ts and library users.

import { BenchUsageError, USAGE, parseBenchArguments } from './options.js';
import { formatSummary } from './report.js';
import { runScenario } from './run-scenario.js';

export { runScenario } from './run-scenario.js';
export type { BenchResult, LatencySummary } from './run-scenario.js';
export { defaultOptions, parseBenchArguments, type BenchOptions, type Scenario } from './options.js';

export async function benchCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBenchArguments(argv);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`starling bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { options } = parsed;
  const interactive = process.stderr.isTTY === true;
  const onProgress = options.quiet
    ? undefined
    : (line: string): void => {
        process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`);
      };
  try {
    const result = await runScenario(options, { onProgress });
    if (interactive && onProgress !== undefined) process.stderr.write('\n');
    process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatSummary(result)}\n`);
    const lostIdleConnections = options.scenario === 'conn' && result.lostConnections > 0;
    const failed = result.connect.failed > 0 || lostIdleConnections || (options.qos > 0 && result.lost > 0);
    return failed ? 1 : 0;
  } catch (error) {
    if (interactive) process.stderr.write('\n');
    process.stderr.write(`starling bench: ${(error as Error).message}\n`);
    return 1;
  }
}
