// The running configuration (GET /api/v5/configs, secrets masked) and what a reload would change
// (POST /api/v5/configs/reload?dry_run=true), without changing anything.

import { api } from '../api.js';
import { useAction } from '../components/controls.js';
import { PageHeader } from '../components/layout.js';
import { ErrorNotice, Note } from '../components/notice.js';
import { DataTable } from '../components/table.js';
import { useRequest } from '../hooks.js';
import { useState } from 'preact/hooks';

export function SettingsPage() {
  const config = useRequest(() => api.get<Record<string, unknown>>('/configs'), []);
  const [plan, setPlan] = useState<unknown>(undefined);
  const checking = useAction();
  const check = (): void => {
    void checking.run(async () => setPlan(await api.post<unknown>('/configs/reload', undefined, { dry_run: true })));
  };
  return (
    <>
      <PageHeader title="Settings" />
      <p class="lead">The configuration the broker runs with; passwords and keys are masked. Change it in the configuration file, then reload.</p>
      <section aria-labelledby="reload-title" class="card">
        <h2 id="reload-title">What a reload would change</h2>
        <p class="hint">Reads the configuration file again and compares it with the running configuration; nothing is applied.</p>
        <button type="button" class="button primary" onClick={check} disabled={checking.busy}>
          Check the configuration file
        </button>
        <ErrorNotice error={checking.error} />
        {plan !== undefined ? <ReloadPlan plan={plan} /> : null}
      </section>
      <section aria-labelledby="running-title">
        <h2 id="running-title">Running configuration</h2>
        <ErrorNotice error={config.error} />
        {config.data !== undefined ? (
          <pre class="payload-text config" tabIndex={0}>
            {JSON.stringify(config.data, null, 2)}
          </pre>
        ) : null}
      </section>
    </>
  );
}

interface ReloadChange {
  key: string;
  from: unknown;
  to: unknown;
  live?: boolean;
  takes_effect?: string;
}

function shown(value: unknown): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}

function ReloadPlan({ plan }: { plan: unknown }) {
  const { changes, source } = plan as { changes?: ReloadChange[]; source?: string };
  if (!Array.isArray(changes)) {
    return (
      <pre class="payload-text" tabIndex={0}>
        {JSON.stringify(plan, null, 2)}
      </pre>
    );
  }
  if (changes.length === 0) return <Note kind="success">{source ?? 'The file'} matches the running configuration: a reload changes nothing.</Note>;
  return (
    <>
      <p>
        Reading {source ?? 'the file'}, a reload would change {changes.length === 1 ? 'one key' : `${changes.length} keys`}:
      </p>
      <DataTable
        caption="What a reload would change"
        rows={changes}
        loading={false}
        rowKey={(change) => change.key}
        columns={[
          { key: 'key', label: 'Key', render: (change) => <code>{change.key}</code> },
          { key: 'from', label: 'Now', render: (change) => <code>{shown(change.from)}</code> },
          { key: 'to', label: 'In the file', render: (change) => <code>{shown(change.to)}</code> },
          { key: 'takes_effect', label: 'Takes effect', render: (change) => change.takes_effect ?? (change.live === false ? 'restart needed' : '–') },
        ]}
      />
    </>
  );
}
