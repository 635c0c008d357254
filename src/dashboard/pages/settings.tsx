// The running configuration (GET /api/v5/configs, secrets masked), what a reload of the config file
// would change (POST /api/v5/configs/reload?dry_run=true) and the reload itself, and the log level
// (GET/PUT /api/v5/log/level).

import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmButton, inputValue, useAction, WriteButton } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { useRequest } from '../hooks.js';

interface ReloadChange {
  key: string;
  from: unknown;
  to: unknown;
  live: boolean;
  takes_effect: string;
  applied: boolean;
  note?: string;
}

interface ReloadAnswer {
  source: string;
  dry_run: boolean;
  changes: ReloadChange[];
  applied: string[];
  not_applied: Array<{ key: string; reason: string }>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function SettingsPage() {
  const config = useRequest(() => api.get<Record<string, unknown>>('/configs'), []);
  const [plan, setPlan] = useState<ReloadAnswer | undefined>(undefined);
  const checking = useAction();
  const check = (): void => {
    setPlan(undefined);
    void checking.run(async () => setPlan(await api.post<ReloadAnswer>('/configs/reload', undefined, { dry_run: true })));
  };
  return (
    <>
      <PageHeader title="Settings" />
      <p class="lead">The configuration the broker runs with; passwords, keys and tokens are masked. Change it in the configuration file, then reload.</p>
      <section aria-labelledby="reload-title" class="card">
        <h2 id="reload-title">Reloading the configuration file</h2>
        <p class="hint">Checking reads the file again and compares it with the running configuration; nothing is applied. Reloading applies what can change while the broker runs and names what needs a restart.</p>
        <div class="toolbar">
          <WriteButton kind="primary" onClick={check} disabled={checking.busy}>
            Check the configuration file
          </WriteButton>
          <ConfirmButton
            label="Reload"
            kind="plain"
            question="Reload the configuration file?"
            detail="What can change while the broker runs is applied at once; what needs a restart is named and left as it is."
            confirmLabel="Reload"
            onConfirm={async () => {
              setPlan(await api.post<ReloadAnswer>('/configs/reload'));
              config.reload();
            }}
          />
        </div>
        <ErrorNotice error={checking.error} />
        {plan !== undefined ? <ReloadPlan plan={plan} /> : null}
      </section>
      <LogLevel />
      <section aria-labelledby="running-title">
        <h2 id="running-title">Running configuration</h2>
        <ErrorNotice error={config.error} />
        {config.data !== undefined ? (
          <pre class="payload-text config" tabIndex={0} aria-label="Running configuration">
            {JSON.stringify(config.data, null, 2)}
          </pre>
        ) : null}
      </section>
    </>
  );
}

function shown(value: unknown): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}

function ReloadPlan({ plan }: { plan: ReloadAnswer }) {
  if (plan.changes.length === 0) return <Note kind="success">{plan.source} matches the running configuration: a reload changes nothing.</Note>;
  const changes = plan.changes.length === 1 ? 'one key' : `${plan.changes.length} keys`;
  return (
    <>
      {plan.dry_run ? (
        <p>
          Reading {plan.source}, a reload would change {changes}:
        </p>
      ) : (
        <Note kind={plan.not_applied.length === 0 ? 'success' : 'warning'}>
          Reloaded {plan.source}: {plan.applied.length} applied{plan.not_applied.length > 0 ? `, ${plan.not_applied.length} not (${plan.not_applied.map((entry) => `${entry.key}: ${entry.reason}`).join('; ')})` : ''}.
        </Note>
      )}
      <DataTable
        caption={plan.dry_run ? 'What a reload would change' : 'What the reload changed'}
        rows={plan.changes}
        loading={false}
        rowKey={(change) => change.key}
        columns={[
          { key: 'key', label: 'Key', render: (change) => <code>{change.key}</code> },
          { key: 'from', label: plan.dry_run ? 'Now' : 'Before', render: (change) => <code>{shown(change.from)}</code> },
          {
            key: 'to',
            label: 'In the file',
            render: (change) => (
              <>
                <code>{shown(change.to)}</code>
                {shown(change.to) === shown(change.from) ? <span class="hint"> (a masked secret differs)</span> : null}
              </>
            ),
          },
          { key: 'takes_effect', label: 'Takes effect', render: (change) => (change.live ? change.takes_effect : <span class="badge warn">restart needed</span>) },
          ...(plan.dry_run ? [] : [{ key: 'applied', label: 'Applied', render: (change: ReloadChange) => (change.applied ? 'yes' : `no${change.note !== undefined ? `: ${change.note}` : ''}`) }]),
        ]}
      />
    </>
  );
}

function LogLevel() {
  const level = useRequest(() => api.get<{ level: string }>('/log/level'), []);
  const [picked, setPicked] = useState<string | undefined>(undefined);
  const setting = useAction();
  const current = picked ?? level.data?.level ?? 'info';
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">Log level</h2>
      <form
        class="toolbar"
        aria-label="Log level"
        onSubmit={(event) => {
          event.preventDefault();
          void setting.run(async () => {
            await api.put('/log/level', { level: current });
            setPicked(undefined);
            level.reload();
          });
        }}
      >
        <label class="field inline">
          <span class="field-label">Lowest level logged</span>
          <select value={current} onChange={(event) => setPicked(inputValue(event))}>
            {LOG_LEVELS.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </label>
        <WriteButton type="submit" disabled={setting.busy || picked === undefined || picked === level.data?.level}>
          Set level
        </WriteButton>
        <span class="hint">Until a restart, or a reload of a file that sets another.</span>
      </form>
      <ErrorNotice error={level.error ?? setting.error} />
    </section>
  );
}
