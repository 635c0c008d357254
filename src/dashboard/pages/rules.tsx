// The rule engine (EMQX's /api/v5/rules): list rules, edit a rule's SQL, description, actions and
// state, test SQL against a sample input (POST /api/v5/rule_test), and read each rule's metrics.

import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { checked, ConfirmButton, Field, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { count, dateTime } from '../format.js';
import { useRequest } from '../hooks.js';
import { navigate } from '../router.js';

interface Rule {
  id: string;
  name?: string;
  sql: string;
  actions: unknown[];
  enable: boolean;
  description: string;
  from?: string[];
  created_at?: string | number;
  /** Starling: config-file rules are read-only through the API. */
  origin?: string;
}

type Metrics = Record<string, unknown>;

function asList(answer: Page<Rule> | Rule[]): { rows: Rule[]; meta?: Page<Rule>['meta'] } {
  return Array.isArray(answer) ? { rows: answer } : { rows: answer.data, meta: answer.meta };
}

export function RulesPage() {
  const [page, setPage] = useState(1);
  const rules = useRequest((signal) => api.get<Page<Rule> | Rule[]>('/rules', { page, limit: 50 }, signal).then(asList), [page], { every: 10_000 });
  return (
    <>
      <PageHeader title="Rules">
        <a class="button primary" href="/rules/new">
          New rule
        </a>
      </PageHeader>
      <p class="lead">Rules select from broker events with SQL and hand the result to actions (republish, connectors).</p>
      <ErrorNotice error={rules.error} />
      <DataTable
        caption="Rules"
        rows={rules.data?.rows}
        loading={rules.loading}
        rowKey={(rule) => rule.id}
        empty="No rules."
        columns={[
          { key: 'id', label: 'Id', render: (rule) => <a href={`/rules/${segment(rule.id)}`}>{rule.id}</a> },
          { key: 'description', label: 'Description', render: (rule) => rule.description || '–' },
          { key: 'sql', label: 'SQL', render: (rule) => <code class="sql-preview">{rule.sql}</code> },
          { key: 'enable', label: 'Enabled', render: (rule) => (rule.enable ? 'yes' : 'no') },
          { key: 'actions', label: 'Actions', numeric: true, render: (rule) => String(rule.actions.length) },
        ]}
      />
      {rules.data?.meta !== undefined ? <Pager page={page} limit={50} hasnext={rules.data.meta.hasnext} total={rules.data.meta.count} onPage={setPage} /> : null}
    </>
  );
}

const NEW_RULE: Rule = { id: '', sql: 'SELECT\n  payload.temperature AS t, clientid\nFROM\n  "sensors/#"\nWHERE\n  payload.temperature > 30', actions: [], enable: true, description: '' };

export function RulePage({ id }: { id: string }) {
  const creating = id === 'new';
  const rule = useRequest(() => (creating ? Promise.resolve(NEW_RULE) : api.get<Rule>(`/rules/${segment(id)}`)), [id]);
  return (
    <>
      <PageHeader title={creating ? 'New rule' : `Rule ${id}`}>
        <a class="button plain" href="/rules">
          All rules
        </a>
        {!creating ? <ConfirmButton label="Delete" question={`Delete rule ${id}?`} confirmLabel="Delete" onConfirm={async () => { await api.delete(`/rules/${segment(id)}`); navigate('/rules'); }} /> : null}
      </PageHeader>
      <ErrorNotice error={rule.error} />
      {rule.data !== undefined ? <RuleEditor key={id} rule={rule.data} creating={creating} /> : null}
      {!creating ? <RuleMetrics id={id} /> : null}
    </>
  );
}

function RuleEditor({ rule, creating }: { rule: Rule; creating: boolean }) {
  const [ruleId, setRuleId] = useState(rule.id);
  const [sql, setSql] = useState(rule.sql);
  const [description, setDescription] = useState(rule.description);
  const [enable, setEnable] = useState(rule.enable);
  const [actions, setActions] = useState(JSON.stringify(rule.actions, null, 2));
  const [saved, setSaved] = useState(false);
  const saving = useAction();
  const readOnly = rule.origin === 'config';
  const save = async (event: Event): Promise<void> => {
    event.preventDefault();
    setSaved(false);
    const ok = await saving.run(async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(actions);
      } catch (error) {
        throw new Error(`actions: not JSON (${(error as Error).message})`);
      }
      const body = { sql, description, enable, actions: parsed };
      if (creating) {
        const made = await api.post<Rule>('/rules', { ...body, ...(ruleId.trim() === '' ? {} : { id: ruleId.trim() }) });
        navigate(`/rules/${segment(made.id)}`);
      } else {
        await api.put(`/rules/${segment(rule.id)}`, body);
      }
    });
    setSaved(ok && !creating);
  };
  return (
    <>
      <form class="card" onSubmit={(event) => void save(event)} aria-label="Rule">
        {readOnly ? <Note kind="warning">This rule comes from the configuration file: change it there.</Note> : null}
        <ErrorNotice error={saving.error} />
        {saved ? <Note kind="success">Saved.</Note> : null}
        <div class="form-grid">
          {creating ? (
            <Field label="Id" hint="Empty: the broker picks one.">
              <input value={ruleId} onInput={(event) => setRuleId(inputValue(event))} />
            </Field>
          ) : null}
          <Field label="Description">
            <input value={description} onInput={(event) => setDescription(inputValue(event))} />
          </Field>
          <label class="check">
            <input type="checkbox" checked={enable} onChange={(event) => setEnable(checked(event))} /> Enabled
          </label>
        </div>
        <Field label="SQL">
          <textarea class="code-input" rows={8} spellcheck={false} value={sql} onInput={(event) => setSql(inputValue(event))} />
        </Field>
        <Field label="Actions (JSON)" hint='For example [{"function": "republish", "args": {"topic": "alerts/${clientid}", "payload": "${t}"}}]'>
          <textarea class="code-input" rows={6} spellcheck={false} value={actions} onInput={(event) => setActions(inputValue(event))} />
        </Field>
        <div class="actions">
          <WriteButton type="submit" kind="primary" disabled={saving.busy || readOnly}>
            {creating ? 'Create rule' : 'Save'}
          </WriteButton>
        </div>
      </form>
      <SqlTester sql={sql} />
    </>
  );
}

const SAMPLE_INPUT = JSON.stringify({ event_type: 'message_publish', topic: 'sensors/kitchen', clientid: 'c1', username: 'u1', qos: 1, payload: '{"temperature": 31.5}' }, null, 2);

function SqlTester({ sql }: { sql: string }) {
  const [input, setInput] = useState(SAMPLE_INPUT);
  const [output, setOutput] = useState<string | undefined>(undefined);
  const testing = useAction();
  const test = (): void => {
    setOutput(undefined);
    void testing.run(async () => {
      let context: unknown;
      try {
        context = JSON.parse(input);
      } catch (error) {
        throw new Error(`sample input: not JSON (${(error as Error).message})`);
      }
      const result = await api.post<unknown>('/rule_test', { sql, context });
      setOutput(JSON.stringify(result, null, 2));
    });
  };
  return (
    <section class="card" aria-labelledby="test-title">
      <h2 id="test-title">Test the SQL</h2>
      <p class="hint">Runs the SQL above (saved or not) against this sample event; nothing is published and no action runs.</p>
      <Field label="Sample input (JSON)">
        <textarea class="code-input" rows={8} spellcheck={false} value={input} onInput={(event) => setInput(inputValue(event))} />
      </Field>
      <div class="actions">
        <button type="button" class="button primary" onClick={test} disabled={testing.busy}>
          Run test
        </button>
      </div>
      <ErrorNotice error={testing.error} />
      {output !== undefined ? (
        <>
          <h3>Output</h3>
          <pre class="payload-text" tabIndex={0}>
            {output}
          </pre>
        </>
      ) : null}
    </section>
  );
}

function flatten(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix === '' ? key : `${prefix}.${key}`));
}

function RuleMetrics({ id }: { id: string }) {
  const metrics = useRequest(() => api.get<Metrics>(`/rules/${segment(id)}/metrics`), [id], { every: 5_000 });
  const overall = metrics.data === undefined ? [] : flatten((metrics.data['metrics'] as Metrics | undefined) ?? metrics.data).filter(([key]) => key !== 'node_metrics');
  return (
    <section aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <ErrorNotice error={metrics.error} />
      <dl class="facts metrics">
        {overall.map(([key, value]) => (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd>{typeof value === 'number' ? count(value) : typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) ? dateTime(value) : String(value)}</dd>
          </Fragment>
        ))}
      </dl>
    </section>
  );
}
