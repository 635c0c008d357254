// EMQX's built-in-database authorization views over Starling's one ordered list of store ACL rules
// (operations.ts): EMQX keeps rules per username, per client id and for all clients; Starling keeps
// one list, first match wins, where each rule may name a username, a client id, both or neither.
// Here a "username subject" is the rules naming only that username, a "client subject" those naming
// only that client id, and "all" those naming neither; rules naming both show only in Starling's own
// /api/v5/acl/rules. Rules added through these views go to the end of the list; replacing a subject's
// rules deletes its old ones and appends the new ones.

import { addRule, AdminError, deleteRule, listRules, type AdminContext, type RuleEntry } from './operations.js';
import type { AclAction, AclPermission } from '../config/types.js';

export type SubjectKind = 'username' | 'clientid';

/** Whose rules: one username's, one client id's, or those for every client. */
export type Subject = { kind: SubjectKind; name: string } | { kind: 'all' };

/** A rule as EMQX writes it; Starling's rules apply to every QoS and to retained and live messages alike. */
export interface SubjectRule {
  topic: string;
  permission: AclPermission;
  action: AclAction;
  qos?: readonly number[];
  retain?: boolean | 'all' | 'true' | 'false';
}

export function isRuleOf(rule: RuleEntry, subject: Subject): boolean {
  if (subject.kind === 'all') return rule.username === undefined && rule.clientId === undefined;
  if (subject.kind === 'username') return rule.username === subject.name && rule.clientId === undefined;
  return rule.clientId === subject.name && rule.username === undefined;
}

/** Each username (or client id) that has rules of its own, with them, in the order of its first rule. */
export function subjectsOf(context: AdminContext, kind: SubjectKind): Array<{ name: string; rules: RuleEntry[] }> {
  const byName = new Map<string, RuleEntry[]>();
  for (const rule of listRules(context)) {
    const name = kind === 'username' ? rule.username : rule.clientId;
    const other = kind === 'username' ? rule.clientId : rule.username;
    if (name === undefined || other !== undefined) continue;
    let rules = byName.get(name);
    if (rules === undefined) byName.set(name, (rules = []));
    rules.push(rule);
  }
  return [...byName].map(([name, rules]) => ({ name, rules }));
}

export function rulesOf(context: AdminContext, subject: Subject): RuleEntry[] {
  return listRules(context).filter((rule) => isRuleOf(rule, subject));
}

/** Checks EMQX rules against what Starling's rules can say; `field` names them in refusals (e.g. body.0.rules). */
export function checkSubjectRules(rules: readonly SubjectRule[], field: string): void {
  rules.forEach((rule, index) => {
    const at = `${field}.${index}`;
    if (rule.topic.startsWith('eq ')) throw new AdminError(400, `${at}.topic: EMQX's "eq <topic>" (a filter matched literally) is not supported by Starling's rules`);
    const qos = rule.qos === undefined ? [0, 1, 2] : [...new Set(rule.qos)].sort();
    if (qos.join() !== '0,1,2') throw new AdminError(400, `${at}.qos: Starling's rules apply to every QoS; only [0, 1, 2] (the default) is accepted`);
    if (rule.retain !== undefined && rule.retain !== 'all') {
      throw new AdminError(400, `${at}.retain: Starling's rules apply to retained and other messages alike; only "all" (the default) is accepted`);
    }
  });
}

/** Adds rules for subjects that have none yet (409 if one has); each subject's rules go to the end of the list, in order. */
export async function addSubjects(context: AdminContext, kind: SubjectKind, subjects: ReadonlyArray<{ name: string; rules: readonly SubjectRule[] }>): Promise<void> {
  subjects.forEach((subject, index) => checkSubjectRules(subject.rules, `body.${index}.rules`));
  const existing = new Set(subjectsOf(context, kind).map((subject) => subject.name));
  for (const subject of subjects) {
    if (existing.has(subject.name)) throw new AdminError(409, `${kind === 'username' ? 'User' : 'Client'} '${subject.name}' already exist`, 'ALREADY_EXISTS');
  }
  for (const subject of subjects) await appendRules(context, { kind, name: subject.name }, subject.rules);
}

/** Replaces a subject's rules: the old ones are deleted, the new ones appended in order. */
export async function replaceRules(context: AdminContext, subject: Subject, rules: readonly SubjectRule[], field = 'body.rules'): Promise<void> {
  checkSubjectRules(rules, field);
  for (const rule of rulesOf(context, subject)) await deleteRule(context, rule.id);
  await appendRules(context, subject, rules);
}

/** Deletes a subject's rules; 404 when a username or client id has none ("all" may be empty). */
export async function deleteSubjectRules(context: AdminContext, subject: Subject): Promise<void> {
  const rules = rulesOf(context, subject);
  if (rules.length === 0 && subject.kind !== 'all') throw new AdminError(404, subject.kind === 'username' ? 'Username Not Found' : 'ClientID Not Found');
  for (const rule of rules) await deleteRule(context, rule.id);
}

async function appendRules(context: AdminContext, subject: Subject, rules: readonly SubjectRule[]): Promise<void> {
  for (const rule of rules) {
    const entry = { permission: rule.permission, action: rule.action, topic: rule.topic };
    if (subject.kind === 'username') await addRule(context, { ...entry, username: subject.name });
    else if (subject.kind === 'clientid') await addRule(context, { ...entry, clientId: subject.name });
    else await addRule(context, entry);
  }
}
