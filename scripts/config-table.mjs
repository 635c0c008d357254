// Rewrites the configuration table in README.md from the schema (npm run docs:config, after a build).
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../dist/src/config/schema.js';

const start = '<!-- config-table:start -->';
const end = '<!-- config-table:end -->';
const readme = readFileSync('README.md', 'utf8');
const from = readme.indexOf(start);
const to = readme.indexOf(end);
if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
writeFileSync('README.md', `${readme.slice(0, from + start.length)}\n${configReference()}\n${readme.slice(to)}`);
