// Credentials in connector settings need not be written in the config file: `${env:NAME}` reads an
// environment variable and `${file:/path}` a file (its trailing newline dropped), when the connector
// starts. Anything else is taken as written.

import { readFileSync } from 'node:fs';
import { DefinitionError } from '../definitions.js';

const REFERENCE = /\$\{(env|file):([^}]+)\}/g;

/** Replaces `${env:NAME}` and `${file:/path}` in a setting; throws DefinitionError naming the field. */
export function resolveSecrets(value: string, field: string, environment: NodeJS.ProcessEnv = process.env): string {
  return value.replace(REFERENCE, (_whole, kind: string, reference: string) => {
    if (kind === 'env') {
      const found = environment[reference];
      if (found === undefined) throw new DefinitionError(field, `environment variable ${reference} is not set`);
      return found;
    }
    try {
      return readFileSync(reference, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new DefinitionError(field, `cannot read ${reference}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  });
}
