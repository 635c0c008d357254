// The ACL rules file (YAML or JSON): a list of rules, or `{rules: [...]}` with the same snake_case
// rule fields as the config file. Reloaded when the file changes (polled with fs.watchFile, which
// survives editors that replace the file) and on SIGHUP; a file that does not parse keeps the rules
// that were loaded before, and the error is logged.

import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkAclRules } from '../config/security-schema.js';
import type { AclRuleConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { ruleTopicError } from './acl.js';

/** How often the file's modification time is checked. */
const WATCH_INTERVAL_MS = 500;

/** Reads and checks a rules file; throws an Error naming the file and the problem. */
export function readAclFile(path: string): AclRuleConfig[] {
  const text = readFileSync(path, 'utf8');
  const extension = extname(path).toLowerCase();
  const data: unknown = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  if (data === null || data === undefined) return [];
  const list = Array.isArray(data) ? data : (data as { rules?: unknown }).rules;
  if (list === undefined) throw new Error(`${path}: expected a list of rules or {rules: [...]}`);
  const rules = checkAclRules(list, 'rules', `in ${path}`, 'snake');
  rules.forEach((rule, index) => {
    const error = ruleTopicError(rule.topic);
    if (error !== undefined) throw new Error(`${path}: rules[${index}].topic: ${error}`);
  });
  return rules;
}

export class AclFile {
  private rules: AclRuleConfig[] = [];
  private readonly onSighup = (): void => void this.reload('SIGHUP');
  private readonly onChange = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.reload('file changed');
  };

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly changed: () => void,
  ) {
    // The first read must succeed: a broker that cannot read its rules should not start.
    this.rules = readAclFile(path);
    watchFile(path, { interval: WATCH_INTERVAL_MS, persistent: false }, this.onChange);
    process.on('SIGHUP', this.onSighup);
  }

  get current(): readonly AclRuleConfig[] {
    return this.rules;
  }

  reload(why: string): boolean {
    try {
      this.rules = readAclFile(this.path);
    } catch (error) {
      this.logger.error({ file: this.path, err: error }, 'ACL file not reloaded; keeping the previous rules');
      return false;
    }
    this.logger.info({ file: this.path, rules: this.rules.length, why }, 'ACL file reloaded');
    this.changed();
    return true;
  }

  close(): void {
    unwatchFile(this.path, this.onChange);
    process.off('SIGHUP', this.onSighup);
  }
}
