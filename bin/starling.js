#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled TypeScript (npm run build).
import('../dist/src/cli/main.js').then((cli) => cli.main(process.argv.slice(2))).catch((error) => {
  console.error(error);
  process.exit(1);
});
