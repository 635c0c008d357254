// One rule (or a new one): its SQL, with the parser's refusal shown at its line and column, its
// description, state and actions; saved with POST /api/v5/rules or PUT /api/v5/rules/{id}; the SQL
// tested on a sample input; the rule's counters (GET /api/v5/rules/{id}/metrics) and their reset.

import { useState } from 'preact/hooks';
import { api, segment } from '../api.js';
import { checked, ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { isSqlError, SqlField } from '../components/sql-field.js';
import { count, dateTime } from '../format.js';
import { useRequest } from '../hooks.js';
import { navigate } from '../router.js';
import { RULE_COUNTERS, type Connector, type Rule, type RuleMetrics } from '../rules-api.js';
import { ActionsEditor } from './rule-actions.js';
import { SqlTester } from './rule-test.js';
import { CONFIG_FILE_HINT } from './rules.js';

const NEW_RULE: Rule = {
  id: '',
  sql: 'SELECT\n  payload.temperature AS temperature, clientid\nFROM\n  "sensors/+/temp"\nWHERE\n  payload.temperature > 30',
  from: [],
  actions: [],
  enable: true,
  description: '',
  created_at: null,
  last_modified_at: null,
  origin: 'store',
};

/** `id` undefined: a new rule. */
export function RulePage({ id }: { id: string | undefined }) {
  const path = id === undefined ? undefined : `/rules/${segment(id)}`;
  const rule = useRequest(() => (path === undefined ? Promise.resolve(NEW_RULE) : api.get<Rule>(path)), [path]);
  const connectors = useRequest(() => api.get<Connector[]>('/connectors'), [], { every: 10_000 });
  const fromConfig = rule.data?.origin === 'config';
  return (
    <>
      <PageHeader title={id === undefined ? 'New rule' : `Rule ${id}`}>
        <a class="button plain" href="/rules">
          All rules
        </a>
        {path !== undefined && rule.data !== undefined ? (
          <ConfirmButton
              label="Delete"
              disabled={fromConfig}
              title={fromConfig ? CONFIG_FILE_HINT : undefined}
              question={`Delete rule ${id}?`}
              detail="It stops at once; its counters go with it."
              confirmLabel="Delete"
              onConfirm={async () => {
                await api.delete(path);
                navigate('/rules');
              }}
            />
        ) : null}
      </PageHeader>
      <ErrorNotice error={rule.error} />
      {path !== undefined && rule.data !== undefined ? <RuleCounters path={path} /> : null}
      {rule.data !== undefined ? <RuleEditor key={rule.data.id} rule={rule.data} creating={id === undefined} connectors={connectors.data} onSaved={rule.reload} /> : null}
    </>
  );
}

function RuleEditor({ rule, creating, connectors, onSaved }: { rule: Rule; creating: boolean; connectors: Connector[] | undefined; onSaved: () => void }) {
  const [ruleId, setRuleId] = useState(rule.id);
  const [sql, setSql] = useState(rule.sql);
  const [description, setDescription] = useState(rule.description);
  const [enable, setEnable] = useState(rule.enable);
  const [actions, setActions] = useState(rule.actions);
  const [saved, setSaved] = useState(false);
  const [sqlError, setSqlError] = useState<Error | undefined>(undefined);
  const saving = useAction();
  const readOnly = rule.origin === 'config';

  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setSaved(false);
    setSqlError(undefined);
    const body = { sql, description, enable, actions };
    let made: Rule | undefined;
    const ok = await saving.run(async () => {
      try {
        made = creating ? await api.post<Rule>('/rules', { ...body, ...(ruleId.trim() === '' ? {} : { id: ruleId.trim() }) }) : await api.put<Rule>(`/rules/${segment(rule.id)}`, body);
      } catch (error) {
        if (isSqlError(error as Error)) setSqlError(error as Error);
        throw error;
      }
    });
    if (!ok) return;
    if (creating && made !== undefined) navigate(`/rules/detail/${segment(made.id)}`, { replace: true });
    else {
      setSaved(true);
      onSaved();
    }
  };
  const editSql = (next: string): void => {
    setSql(next);
    // The refusal was about the text before this edit.
    setSqlError(undefined);
  };
  return (
    <>
      <form class="card" onSubmit={(event) => void save(event)} aria-label="Rule">
        {readOnly ? <Note kind="warning">{CONFIG_FILE_HINT}</Note> : null}
        {/* A refusal about the SQL shows at the SQL; any other here. */}
        {isSqlError(saving.error) ? null : <ErrorNotice error={saving.error} />}
        {saved ? <Note kind="success">Saved: the rule runs as shown from the next message.</Note> : null}
        <div class="form-grid">
          {creating ? (
            <Field label="Rule id" hint="Letters, digits, _ . : - (empty: the broker makes one).">
              <input value={ruleId} onInput={(event) => setRuleId(inputValue(event))} />
            </Field>
          ) : null}
          <Field label="Description">
            <input value={description} readOnly={readOnly} onInput={(event) => setDescription(inputValue(event))} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={enable} disabled={readOnly} onChange={(event) => setEnable(checked(event))} /> Enabled
          </label>
        </div>
        <SqlField sql={sql} onChange={editSql} error={sqlError} readOnly={readOnly} />
        <ActionsEditor actions={actions} onChange={setActions} connectors={connectors} readOnly={readOnly} />
        {!creating ? (
          <p class="hint">
            Created {dateTime(rule.created_at)}
            {rule.last_modified_at !== null && rule.last_modified_at !== rule.created_at ? `, changed ${dateTime(rule.last_modified_at)}` : ''}.
          </p>
        ) : null}
        <div class="actions">
          <WriteButton type="submit" kind="primary" disabled={saving.busy || readOnly} title={readOnly ? CONFIG_FILE_HINT : undefined}>
            {creating ? 'Create rule' : 'Save'}
          </WriteButton>
        </div>
      </form>
      <SqlTester sql={sql} onSqlError={setSqlError} />
    </>
  );
}

function RuleCounters({ path }: { path: string }) {
  const metrics = useRequest(() => api.get<RuleMetrics>(`${path}/metrics`), [path], { every: 5_000 });
  const resetting = useAction();
  return (
    <section aria-labelledby="metrics-title">
      <div class="section-head">
        <h2 id="metrics-title">Counters</h2>
        <WriteButton kind="plain" disabled={resetting.busy} onClick={() => void resetting.run(async () => { await api.put(`${path}/metrics/reset`); metrics.reload(); })}>
          Reset counters
        </WriteButton>
      </div>
      <ErrorNotice error={metrics.error ?? resetting.error} />
      <div class="stat-grid compact" role="list" aria-label="Counters since the broker started or the last reset">
        {RULE_COUNTERS.map((name) => (
          <div key={name} class="stat" role="listitem">
            <div class="stat-label">{name}</div>
            <div class="stat-value" data-counter={name}>
              {count(metrics.data?.metrics[name])}
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}
