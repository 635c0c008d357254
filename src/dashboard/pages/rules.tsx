// The rule engine's rules (GET /api/v5/rules, paged), each with what it selects from, its state, its
// main counters (GET /api/v5/rules/{id}/metrics) and enable, disable and delete; rules of the config
// file are shown and changed only there.

import { useState } from 'preact/hooks';
import { api, segment, type Page } from '../api.js';
import { ConfirmButton, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice } from '../components/notice.js';
import { DataTable, Pager } from '../components/table.js';
import { count } from '../format.js';
import { useRequest } from '../hooks.js';
import { navigate } from '../router.js';
import type { Rule, RuleMetrics } from '../rules-api.js';
import { describeAction } from './rule-actions.js';

const LIMIT = 20;
export const CONFIG_FILE_HINT = 'From the configuration file: change it there, then reload.';

interface Listed {
  page: Page<Rule>;
  metrics: Map<string, Record<string, number>>;
}

async function loadRules(page: number, signal: AbortSignal): Promise<Listed> {
  const listed = await api.get<Page<Rule>>('/rules', { page, limit: LIMIT }, signal);
  // One request per rule shown: a page holds at most LIMIT of them.
  const answers = await Promise.all(listed.data.map((rule) => api.get<RuleMetrics>(`/rules/${segment(rule.id)}/metrics`, undefined, signal).catch(() => undefined)));
  const metrics = new Map<string, Record<string, number>>();
  for (const answer of answers) if (answer !== undefined) metrics.set(answer.id, answer.metrics);
  return { page: listed, metrics };
}

export function RulesPage() {
  const [page, setPage] = useState(1);
  const rules = useRequest((signal) => loadRules(page, signal), [page], { every: 5_000 });
  const [changing, setChanging] = useState<Error | undefined>(undefined);
  const setEnabled = async (rule: Rule, enable: boolean): Promise<void> => {
    setChanging(undefined);
    try {
      await api.put(`/rules/${segment(rule.id)}`, { enable });
      rules.reload();
    } catch (error) {
      setChanging(error as Error);
    }
  };
  const metric = (rule: Rule, name: string): string => count(rules.data?.metrics.get(rule.id)?.[name]);
  return (
    <>
      <PageHeader title="Rules">
        <a class="button plain" href="/connectors">
          Connectors
        </a>
        <WriteButton kind="primary" onClick={() => navigate('/rules/create')}>
          New rule
        </WriteButton>
      </PageHeader>
      <p class="lead">A rule selects from published messages and client events with SQL and hands each result to its actions: republish, log, or a connector.</p>
      <ErrorNotice error={rules.error ?? changing} />
      <DataTable
        caption="Rules"
        rows={rules.data?.page.data}
        loading={rules.loading}
        rowKey={(rule) => rule.id}
        empty="No rules yet."
        columns={[
          { key: 'id', label: 'Rule', render: (rule) => <a href={`/rules/detail/${segment(rule.id)}`}>{rule.id}</a> },
          { key: 'from', label: 'From', render: (rule) => rule.from.map((from) => <code key={from} class="from">{from}</code>) },
          { key: 'actions', label: 'Actions', render: (rule) => rule.actions.map(describeAction).join(', ') || '–' },
          { key: 'enable', label: 'State', render: (rule) => <span class={`badge ${rule.enable ? 'good' : ''}`}>{rule.enable ? 'enabled' : 'disabled'}</span> },
          { key: 'origin', label: 'Defined in', render: (rule) => (rule.origin === 'config' ? 'config file' : 'store') },
          { key: 'matched', label: 'Matched', numeric: true, render: (rule) => metric(rule, 'matched') },
          { key: 'passed', label: 'Passed', numeric: true, render: (rule) => metric(rule, 'passed') },
          { key: 'failed', label: 'Failed', numeric: true, render: (rule) => metric(rule, 'failed') },
          {
            key: 'change',
            label: 'Change',
            render: (rule) => (
              <div class="row-actions">
                <WriteButton
                  aria-label={`${rule.enable ? 'Disable' : 'Enable'} rule ${rule.id}`}
                  disabled={rule.origin === 'config'}
                  title={rule.origin === 'config' ? CONFIG_FILE_HINT : undefined}
                  onClick={() => void setEnabled(rule, !rule.enable)}
                >
                  {rule.enable ? 'Disable' : 'Enable'}
                </WriteButton>
                <ConfirmButton
                  label="Delete"
                  ariaLabel={`Delete rule ${rule.id}`}
                  disabled={rule.origin === 'config'}
                  title={rule.origin === 'config' ? CONFIG_FILE_HINT : undefined}
                  question={`Delete rule ${rule.id}?`}
                  detail="It stops at once; its counters go with it."
                  confirmLabel="Delete"
                  onConfirm={async () => {
                    await api.delete(`/rules/${segment(rule.id)}`);
                    rules.reload();
                  }}
                />
              </div>
            ),
          },
        ]}
      />
      {rules.data !== undefined ? <Pager page={page} limit={LIMIT} hasnext={rules.data.page.meta.hasnext} total={rules.data.page.meta.count} onPage={setPage} /> : null}
    </>
  );
}
