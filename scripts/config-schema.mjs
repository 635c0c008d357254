// Prints the configuration's JSON Schema (draft 2020-12), derived from src/config (npm run docs:schema,
// after a build). `--camel` prints it with the camelCase keys createBroker() takes.
import { configJsonSchema } from '../dist/src/config/json-schema.js';

const keys = process.argv.includes('--camel') ? 'camel' : 'snake';
process.stdout.write(`${JSON.stringify(configJsonSchema({ keys }), null, 2)}\n`);
